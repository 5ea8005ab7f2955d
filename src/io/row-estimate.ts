/**
 * Rows read so far, estimated while the engine copies a text input: DuckDB
 * reports only the share of the input it has read, so progress turns bytes
 * into rows with the mean line length of the file's first MiB. Compressed
 * input (the bytes are not the text's) and Parquet get no estimate; the
 * exact count arrives when the write ends.
 */
import { open } from 'node:fs/promises'
import type { ReadableFile } from './readers.js'
import { compressionOf } from './whole-input.js'

const HEAD_BYTES = 1 << 20

/** Mean bytes per row (line) of a plain CSV or NDJSON file, from its first MiB; undefined when unknown. */
export async function meanRowBytes(file: ReadableFile): Promise<number | undefined> {
  if (file.format !== 'csv' && file.format !== 'ndjson') return undefined
  if (compressionOf(file) !== undefined) return undefined
  let handle
  try {
    handle = await open(file.path, 'r')
    const buf = Buffer.alloc(HEAD_BYTES)
    const { bytesRead } = await handle.read(buf, 0, HEAD_BYTES, 0)
    const lastNewline = buf.lastIndexOf(10, bytesRead - 1)
    if (lastNewline < 0) return undefined
    let lines = 0
    for (let i = buf.indexOf(10); i >= 0 && i <= lastNewline; i = buf.indexOf(10, i + 1)) lines++
    // a CSV header is a line but not a row; the mean still holds for the rest
    return lines > 0 ? (lastNewline + 1) / lines : undefined
  } catch {
    return undefined // an estimate only: the write itself reports real errors
  } finally {
    await handle?.close()
  }
}
