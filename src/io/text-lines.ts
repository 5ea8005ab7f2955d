/**
 * The lines of a CSV or NDJSON input, plain or gzip, as bytes: for the scans
 * that explain or check an input beside the engine (text-damage.ts,
 * ndjson-shape.ts). A line is yielded without its `\n` (and a `\r` before it);
 * the first line without a UTF-8 byte order mark. Breaking out of the loop
 * closes the file.
 */
import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import type { ReadableFile } from './readers.js'
import { compressionOf } from './whole-input.js'

/** The lines of `file`, or undefined for zstd, which Node 20 cannot decompress (the engine's words stand then). */
export function textLines(file: ReadableFile): AsyncGenerator<Buffer> | undefined {
  const compression = compressionOf(file)
  if (compression === 'zstd') return undefined
  return lines(file.path, compression === 'gzip')
}

async function* lines(path: string, gzip: boolean): AsyncGenerator<Buffer> {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 })
  let input: Readable = raw
  if (gzip) {
    const gunzip = createGunzip()
    raw.on('error', (e) => gunzip.destroy(e))
    input = raw.pipe(gunzip)
  }
  let first = true
  const strip = (line: Buffer): Buffer => {
    if (!first) return line
    first = false
    return line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf ? line.subarray(3) : line
  }
  try {
    let carry = Buffer.alloc(0)
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const data = carry.length ? Buffer.concat([carry, chunk]) : chunk
      let start = 0
      for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
        yield strip(data.subarray(start, nl > start && data[nl - 1] === 0x0d ? nl - 1 : nl))
        start = nl + 1
      }
      carry = Buffer.from(data.subarray(start))
    }
    if (carry.length) yield strip(carry)
  } finally {
    input.destroy()
    raw.destroy()
  }
}
