/**
 * A gzip input must be whole. DuckDB reads a truncated gzip stream up to where
 * it stops and reports no error when the cut falls between rows: half a file
 * would commit as if it were all of it. Node's gunzip checks what DuckDB does
 * not (the end of the deflate stream, the CRC-32 and length trailer of every
 * member), so a gzip input is decompressed once more, alongside the copy, and
 * the write fails with CORRUPT (exit 5) when that check does.
 * zstd input needs no such pass: its frames carry their sizes, and DuckDB
 * fails on a cut one.
 */
import { createReadStream } from 'node:fs'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { DvError } from '../errors.js'
import type { ReadableFile } from './readers.js'

/** Whether DuckDB reads `file` as gzip: `--compression gzip`, or the default (auto) on a .gz name. */
export function isGzipInput(file: ReadableFile): boolean {
  if (file.format !== 'csv' && file.format !== 'ndjson') return false
  const given = file.csv?.compression
  return given === 'gzip' || (given === undefined && /\.gz$/i.test(file.path))
}

/** Decompresses the whole file, discarding the output; CORRUPT naming the file when the stream is cut or damaged. */
export async function checkGzipWhole(file: ReadableFile): Promise<void> {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() })
  try {
    await pipeline(createReadStream(file.path, { highWaterMark: 1 << 20 }), createGunzip(), sink)
  } catch (e) {
    const reason = (e as Error).message
    if ((e as NodeJS.ErrnoException).code?.startsWith('Z_') || /unexpected end of file|incorrect header|invalid/i.test(reason)) {
      throw new DvError('CORRUPT', `${file.name} is not a whole gzip stream (${reason}): it was cut short or damaged, so its rows cannot all be read`, {
        hint: 'fetch or copy the file again and check it with `gzip -t`; nothing was written',
        details: { file: file.name },
        cause: e,
      })
    }
    throw new DvError('STORAGE', `cannot read ${file.name}: ${reason}`, { cause: e })
  }
}
