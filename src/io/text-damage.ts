/**
 * Where a CSV or NDJSON input is damaged, said in dv's words: the first byte
 * that is not UTF-8, a quoted CSV field that never closes, or an NDJSON line
 * that is not JSON. Used only to explain a failure the engine reported.
 * DuckDB's own messages describe its sniffer's search space, and their line
 * numbers can be wrong. Measured on DuckDB 1.5.6: a bad byte on line 2 is
 * reported with "Original Line: id,name" (the header). An NDJSON record left
 * open on line N is reported at line N+1. A two-line file is reported at line 3.
 */
import { isUtf8 } from 'node:buffer'
import type { ReadableFile } from './readers.js'
import { textLines } from './text-lines.js'

export interface TextDamage {
  /** 1-based line of the damage. */
  line: number
  /** 1-based byte within the line, when known. */
  byte?: number
  /** What is wrong, for the message ("byte 0xE9 is not UTF-8"). */
  what: string
  hint: string
}

const NOT_UTF8_HINT = 'dv reads text input as UTF-8: convert the file first, e.g. `iconv -f LATIN1 -t UTF-8 FILE > FILE.utf8` (name the encoding it was written in)'

/** The first damage in `file` (CSV or NDJSON, plain or gzip), or undefined when the scan finds none. */
export async function findTextDamage(file: ReadableFile): Promise<TextDamage | undefined> {
  const lines = textLines(file)
  if (!lines) return undefined
  const csv = file.format === 'csv'
  const quote = (file.csv?.quote ?? '"').charCodeAt(0)
  const escape = (file.csv?.escape ?? file.csv?.quote ?? '"').charCodeAt(0)
  let lineNo = 0
  // CSV: the line where the quoted field still open began
  let openQuote = 0
  const check = (line: Buffer): TextDamage | undefined => {
    lineNo++
    if (!isUtf8(line)) return notUtf8(line, lineNo)
    if (csv) {
      for (let i = 0; i < line.length; i++) {
        const c = line[i]
        if (openQuote && c === escape && escape !== quote) i++
        else if (c === quote) openQuote = openQuote ? 0 : lineNo
      }
      return undefined
    }
    return notJson(line, lineNo)
  }
  for await (const line of lines) {
    const found = check(line)
    if (found) return found
  }
  if (csv && openQuote) {
    return {
      line: openQuote,
      what: 'a quoted field opens on this line and is never closed',
      hint: 'close the quote; a quote inside a quoted field is written twice ("")',
    }
  }
  return undefined
}

function notUtf8(line: Buffer, lineNo: number): TextDamage {
  const { at, length } = firstBadSequence(line)
  const bytes = [...line.subarray(at, at + length)].map((b) => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`)
  return {
    line: lineNo,
    byte: at + 1,
    what: length === 1 ? `byte ${at + 1} (${bytes[0]}) is not UTF-8` : `bytes ${at + 1}-${at + length} (${bytes.join(' ')}) are not UTF-8`,
    hint: NOT_UTF8_HINT,
  }
}

/**
 * The first ill-formed sequence of `bytes` (which isUtf8 rejected): its start,
 * and its length up to the byte that broke it, by the well-formed byte
 * sequences of Unicode's table 3-7 (no overlongs, no surrogates, at most U+10FFFF).
 */
export function firstBadSequence(bytes: Uint8Array): { at: number; length: number } {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]
    if (b < 0x80) { i++; continue }
    // the number of continuation bytes, and the range the first of them must fall in
    const [more, lo, hi] = b >= 0xc2 && b <= 0xdf ? [1, 0x80, 0xbf]
      : b === 0xe0 ? [2, 0xa0, 0xbf]
        : b === 0xed ? [2, 0x80, 0x9f]
          : b >= 0xe1 && b <= 0xef ? [2, 0x80, 0xbf]
            : b === 0xf0 ? [3, 0x90, 0xbf]
              : b === 0xf4 ? [3, 0x80, 0x8f]
                : b >= 0xf1 && b <= 0xf3 ? [3, 0x80, 0xbf]
                  : [0, 0, 0]
    if (more === 0) return { at: i, length: 1 }
    for (let k = 1; k <= more; k++) {
      const c = bytes[i + k]
      const [min, max] = k === 1 ? [lo, hi] : [0x80, 0xbf]
      if (c === undefined || c < min || c > max) return { at: i, length: k }
    }
    i += more + 1
  }
  return { at: bytes.length, length: 0 }
}

function notJson(line: Buffer, lineNo: number): TextDamage | undefined {
  // blank lines are skipped, as DuckDB does
  const text = line.toString('utf8')
  if (text.trim() === '') return undefined
  try {
    JSON.parse(text)
    return undefined
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e)
    const position = /at position (\d+)/.exec(reason)?.[1]
    const byte = position === undefined ? undefined : Buffer.byteLength(text.slice(0, Number(position))) + 1
    const token = /^Unexpected token '(.+?)', .* is not valid JSON$/.exec(reason)?.[1]
    const ended = /Unexpected end of JSON input|Unterminated string/.test(reason) || (byte !== undefined && byte > line.length)
    const why = ended
      ? 'the record ends before it is complete'
      : token !== undefined
        ? `unexpected '${token}'`
        : `${reason.replace(/ in JSON at position \d+.*$/, '').replace(/^./, (c) => c.toLowerCase())}${byte === undefined ? '' : ` at byte ${byte}`}`
    return {
      line: lineNo,
      ...(byte === undefined ? {} : { byte }),
      what: `not a JSON record: ${why}`,
      hint: 'each line of NDJSON is one whole JSON value: fix or remove the line (a record split over lines is not NDJSON)',
    }
  }
}
