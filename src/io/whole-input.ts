/**
 * Compressed text input must be whole. DuckDB reads a truncated gzip stream up
 * to where it stops and reports no error when the cut falls between rows:
 * half a file would commit as if it were all of it. So before its rows count,
 * a compressed input is checked to the end, alongside the copy:
 * - gzip: decompressed once more by Node's gunzip, which checks what DuckDB
 *   does not (the end of the deflate stream, each member's CRC-32 and length);
 * - zstd: its frames walked (RFC 8878: frame and block headers carry sizes
 *   and a last-block flag; no decompression), since Node 20 has no zstd.
 * A failed check is CORRUPT (exit 5) naming the file.
 */
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { DvError } from '../errors.js'
import type { ReadableFile } from './readers.js'

/** How DuckDB decompresses `file`: `--compression`, or by name (.gz, .zst) when not given. */
export function compressionOf(file: ReadableFile): 'gzip' | 'zstd' | undefined {
  if (file.format !== 'csv' && file.format !== 'ndjson') return undefined
  const given = file.csv?.compression
  if (given === 'gzip' || given === 'zstd') return given
  if (given === 'none') return undefined
  return /\.gz$/i.test(file.path) ? 'gzip' : /\.zst$/i.test(file.path) ? 'zstd' : undefined
}

function notWhole(file: ReadableFile, kind: string, reason: string, cause?: unknown): DvError {
  return new DvError('CORRUPT', `${file.name} is not a whole ${kind} stream (${reason}): it was cut short or damaged, so its rows cannot all be read`, {
    hint: `fetch or copy the file again and check it with \`${kind === 'gzip' ? 'gzip' : 'zstd'} -t\`; nothing was written`,
    details: { file: file.name },
    ...(cause === undefined ? {} : { cause }),
  })
}

/** Resolves when the compressed input is complete; CORRUPT naming the file otherwise. No-op for plain input. */
export async function checkWholeInput(file: ReadableFile): Promise<void> {
  const kind = compressionOf(file)
  if (kind === 'gzip') await checkGzip(file)
  else if (kind === 'zstd') await checkZstd(file)
}

async function checkGzip(file: ReadableFile): Promise<void> {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() })
  try {
    await pipeline(createReadStream(file.path, { highWaterMark: 1 << 20 }), createGunzip({ chunkSize: 1 << 20 }), sink)
  } catch (e) {
    const reason = (e as Error).message
    if ((e as NodeJS.ErrnoException).code?.startsWith('Z_') || /unexpected end of file|incorrect header|invalid/i.test(reason)) {
      throw notWhole(file, 'gzip', reason, e)
    }
    throw new DvError('STORAGE', `cannot read ${file.name}: ${reason}`, { cause: e })
  }
}

const ZSTD_MAGIC = 0xfd2fb528
const FCS_BYTES = [0, 2, 4, 8]
const DICT_ID_BYTES = [0, 1, 2, 4]

async function checkZstd(file: ReadableFile): Promise<void> {
  const handle = await open(file.path, 'r')
  try {
    const size = (await handle.stat()).size
    const buf = Buffer.alloc(14)
    /** Reads `n` bytes at `pos`, or throws when the file ends first. */
    const at = async (pos: number, n: number, what: string): Promise<Buffer> => {
      if (pos + n > size) throw notWhole(file, 'zstd', `it ends inside ${what} at byte ${size}`)
      await handle.read(buf, 0, n, pos)
      return buf
    }
    if (size === 0) throw notWhole(file, 'zstd', 'it is empty')
    for (let pos = 0; pos < size;) {
      const magic = (await at(pos, 4, 'a frame header')).readUInt32LE(0)
      if ((magic & 0xfffffff0) === 0x184d2a50) { // a skippable frame: its size follows
        pos += 8 + (await at(pos + 4, 4, 'a skippable frame header')).readUInt32LE(0)
        if (pos > size) throw notWhole(file, 'zstd', `it ends inside a skippable frame at byte ${size}`)
        continue
      }
      if (magic !== ZSTD_MAGIC) throw notWhole(file, 'zstd', `no zstd frame starts at byte ${pos}`)
      const descriptor = (await at(pos + 4, 1, 'a frame header'))[0]!
      const singleSegment = (descriptor >> 5) & 1
      const fcsFlag = descriptor >> 6
      const headerBytes = 1 + (singleSegment ? 0 : 1) + DICT_ID_BYTES[descriptor & 3]! + (fcsFlag === 0 ? singleSegment : FCS_BYTES[fcsFlag]!)
      pos += 4 + headerBytes
      for (let last = false; !last;) {
        const header = (await at(pos, 3, 'a block header')).readUIntLE(0, 3)
        last = (header & 1) === 1
        const type = (header >> 1) & 3
        if (type === 3) throw notWhole(file, 'zstd', `a reserved block type at byte ${pos}`)
        pos += 3 + (type === 1 ? 1 : header >>> 3)
        if (pos > size) throw notWhole(file, 'zstd', `it ends inside a block at byte ${size}`)
      }
      if (descriptor & 4) pos += 4 // the content checksum
      if (pos > size) throw notWhole(file, 'zstd', `it ends inside a frame checksum at byte ${size}`)
    }
  } finally {
    await handle.close()
  }
}
