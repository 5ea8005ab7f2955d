/**
 * Write progress that moves (issue 7 §6): a real 200 MB CSV write reports the
 * bytes the engine has read as it reads them (DuckDB's progress enabled), up
 * to the file's size, then the rows; a stream (stdin) reports the bytes
 * spooled as they arrive, with no total (20 MB of the same rows: its ticks
 * come per chunk read, whatever the size).
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'

let dir: string
let big: string
let rowsWritten = 0
/** The first 20 MB of the same rows: a stream's spooling ticks come per chunk read (64 KiB), so its size is not the point. */
let medium: string
let mediumRows = 0

/** Writes CSV rows (37-45 bytes each) until `size` bytes; returns how many rows. */
async function writeCsv(path: string, size: number): Promise<number> {
  const out = createWriteStream(path)
  out.write('id,ts,name,amount\n')
  let bytes = 0
  let count = 0
  for (let i = 0; bytes < size; i++) {
    const rows: string[] = []
    for (let j = 0; j < 10_000; j++) rows.push(`${i * 10_000 + j},2026-01-${String((j % 28) + 1).padStart(2, '0')}T00:00:00Z,name_${j % 977},${(j * 7) % 10_000}.25`)
    const chunk = rows.join('\n') + '\n'
    bytes += chunk.length
    count += rows.length
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()))
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())))
  return count
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-progress-'))
  big = join(dir, 'big.csv')
  rowsWritten = await writeCsv(big, 200e6)
  medium = join(dir, 'medium.csv')
  mediumRows = await writeCsv(medium, 20e6)
}, 120_000)
afterAll(() => rm(dir, { recursive: true, force: true }))

type Tick = { rows: number; rowsEstimated?: boolean; bytesRead?: number; bytesTotal?: number }

it('a 200 MB CSV write reports bytes read as the engine reads them, then its rows', async () => {
  const repo = await Repository.init(join(dir, 'r1'), { author: 'test' })
  const size = (await stat(big)).size
  const ticks: Tick[] = []
  const w = await repo.write('t', big, { onProgress: (p) => ticks.push({ ...p }) })
  expect(w.rows).toBe(rowsWritten)
  expect(ticks.every((t) => t.bytesTotal === size)).toBe(true)
  const read = ticks.map((t) => t.bytesRead!)
  // moving, not 0 then 100%: several values strictly between, never going back
  const between = new Set(read.filter((b) => b > 0 && b < size))
  expect(between.size).toBeGreaterThanOrEqual(3)
  expect(read).toEqual([...read].sort((a, b) => a - b))
  // rows while reading are an estimate from the mean line length (every line here is 37-45 bytes):
  // within 10% of the rows in the bytes read so far
  const midway = ticks.filter((t) => t.bytesRead! > 0 && t.bytesRead! < size)
  expect(midway.every((t) => t.rowsEstimated === true)).toBe(true)
  for (const t of midway) expect(Math.abs(t.rows - (t.bytesRead! / size) * rowsWritten)).toBeLessThanOrEqual(0.1 * (t.bytesRead! / size) * rowsWritten + 1)
  expect(ticks.at(-1)).toEqual({ rows: rowsWritten, bytesRead: size, bytesTotal: size })
  await repo.close()
}, 300_000)

it('a stream reports the bytes spooled as they arrive, with no total', async () => {
  const repo = await Repository.init(join(dir, 'r2'), { author: 'test' })
  const size = (await stat(medium)).size
  const ticks: Tick[] = []
  await repo.write('t', createReadStream(medium), { format: 'csv', onProgress: (p) => ticks.push({ ...p }) })
  const spooling = ticks.filter((t) => t.bytesTotal === undefined)
  expect(spooling.length).toBeGreaterThanOrEqual(3)
  expect(spooling.at(-1)!.bytesRead).toBe(size)
  // then the engine reads the spooled file, whose size is now known
  expect(ticks.at(-1)).toEqual({ rows: mediumRows, bytesRead: size, bytesTotal: size })
  await repo.close()
}, 300_000)
