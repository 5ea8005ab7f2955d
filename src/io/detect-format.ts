import type { InputFormat } from './types.js'

const BY_EXTENSION: Record<string, InputFormat> = {
  csv: 'csv',
  tsv: 'csv',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  json: 'ndjson',
  parquet: 'parquet',
  pq: 'parquet',
  arrow: 'arrow',
  arrows: 'arrow',
  ipc: 'arrow',
  feather: 'arrow',
}

/** The input format a file name implies, or undefined when its extension says nothing. */
export function detectFormat(path: string): InputFormat | undefined {
  const m = /\.([A-Za-z0-9]+)$/.exec(path)
  return m ? BY_EXTENSION[m[1].toLowerCase()] : undefined
}
