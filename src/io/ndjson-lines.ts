/**
 * How long the records of an NDJSON file are. DuckDB reads JSON with a fixed
 * largest object (maximum_object_size, 16 MiB by default) and reserves twice
 * that per thread whatever the input: raising it for every file costs memory
 * (measured: +200 MiB peak RSS at 256 MiB on a 300 MB file), so dv measures
 * the longest line of a file larger than the default (one streaming pass of
 * indexOf over the bytes) and raises the limit for that file only.
 */
import { createReadStream } from 'node:fs'
import { DvError } from '../errors.js'
import { formatBytes, RECORD_SETTING } from './limits.js'

/** DuckDB's default maximum_object_size: a file no larger than this needs nothing. */
export const DUCKDB_JSON_OBJECT_BYTES = 16 * 1024 * 1024

export interface LineScan {
  lines: number
  /** Length in bytes of the longest line (without its newline), and its 1-based number. */
  longest: number
  longestLine: number
}

export async function scanLines(path: string): Promise<LineScan> {
  let lines = 0
  let current = 0
  let longest = 0
  let longestLine = 0
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 }) as AsyncIterable<Buffer>) {
    let start = 0
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      current += nl - start
      lines++
      if (current > longest) [longest, longestLine] = [current, lines]
      current = 0
      start = nl + 1
    }
    current += chunk.length - start
  }
  if (current > 0) {
    lines++
    if (current > longest) [longest, longestLine] = [current, lines]
  }
  return { lines, longest, longestLine }
}

/**
 * The maximum_object_size to read `path` with: undefined when DuckDB's
 * default suffices, else the longest line rounded up to a MiB. A line longer
 * than `cap` (DV_MAX_RECORD_BYTES) is INVALID_ARGUMENT naming it.
 */
export async function jsonObjectLimit(path: string, name: string, bytes: number | undefined, cap: number): Promise<number | undefined> {
  if (bytes !== undefined && bytes <= DUCKDB_JSON_OBJECT_BYTES) return undefined
  const { longest, longestLine } = await scanLines(path)
  if (longest > cap) {
    throw new DvError('INVALID_ARGUMENT', `${name} line ${longestLine} is a JSON record of ${formatBytes(longest)}, longer than the ${formatBytes(cap)} dv reads`, {
      hint: `raise the limit with ${RECORD_SETTING}=${Math.ceil((longest * 2) / (1 << 20))}MiB (the engine holds twice a record per thread: DV_MEMORY_LIMIT may need raising too)`,
      details: { file: name, line: longestLine, bytes: longest, setting: RECORD_SETTING },
    })
  }
  if (longest < DUCKDB_JSON_OBJECT_BYTES - 1024) return undefined
  const MiB = 1 << 20
  return Math.ceil((longest + 1024) / MiB) * MiB
}
