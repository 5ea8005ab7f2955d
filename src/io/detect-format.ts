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

/** The input format a file name implies, or undefined when its extension says nothing. A .gz or .zst after it (data.csv.gz) is a compression, read as such. */
export function detectFormat(path: string): InputFormat | undefined {
  const m = /\.([A-Za-z0-9]+)(\.(gz|zst))?$/i.exec(path)
  if (m?.[2] && !['csv', 'tsv', 'ndjson', 'jsonl', 'json'].includes(m[1].toLowerCase())) return undefined
  return m ? BY_EXTENSION[m[1].toLowerCase()] : undefined
}
