/**
 * A compressed input cut short is CORRUPT (exit 5) and writes nothing: DuckDB
 * reads a truncated gzip stream up to the cut without an error when the cut
 * falls between rows, which would stage half a file as all of it
 * (src/io/whole-input.ts).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { constants, createGzip, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDBInstance } from '@duckdb/node-api'
import { Repository } from '../../src/index.js'
import { catchDvError } from '../conformance/storage-conformance.js'

let dir: string
const header = 'id,name\n'
const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${from + i},name_${from + i}\n`).join('')

/** A gzip stream of the CSV, flushed after the first half's rows, and the byte offset of that flush. */
async function gzipWithFlush(): Promise<{ whole: Buffer; cutAt: number }> {
  const gz = createGzip()
  const chunks: Buffer[] = []
  gz.on('data', (c: Buffer) => chunks.push(c))
  const ended = new Promise((r) => gz.on('end', r))
  gz.write(header + rows(0, 50_000))
  await new Promise<void>((r) => gz.flush(constants.Z_FULL_FLUSH, () => r()))
  const cutAt = chunks.reduce((n, c) => n + c.length, 0)
  gz.end(rows(50_000, 100_000))
  await ended
  return { whole: Buffer.concat(chunks), cutAt }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-gzip-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('a gzip input', () => {
  it('cut between rows is CORRUPT naming the file, and stages nothing; the whole file writes every row', async () => {
    const { whole, cutAt } = await gzipWithFlush()
    const cut = join(dir, 'cut.csv.gz')
    await writeFile(cut, whole.subarray(0, cutAt))
    const full = join(dir, 'full.csv.gz')
    await writeFile(full, whole)
    const repo = await Repository.init(join(dir, 'r1'), { author: 'test' })
    const e = await catchDvError(() => repo.write('t', cut))
    expect(e.code).toBe('CORRUPT')
    expect(e.message).toContain(`${cut} is not a whole gzip stream`)
    expect(e.hint).toMatch(/gzip -t/)
    expect((await repo.status()).staged).toEqual([])
    expect((await repo.write('t', full)).rows).toBe(100_000)
    await repo.close()
  })

  it('named without .gz but read with compression gzip is checked the same way', async () => {
    const { whole, cutAt } = await gzipWithFlush()
    const cut = join(dir, 'cut.data')
    await writeFile(cut, whole.subarray(0, cutAt))
    const repo = await Repository.init(join(dir, 'r2'), { author: 'test' })
    const e = await catchDvError(() => repo.write('t', cut, { format: 'csv', csv: { compression: 'gzip' } }))
    expect(e.code).toBe('CORRUPT')
    expect((await repo.status()).staged).toEqual([])
    await repo.close()
  })

  it('of several members (concatenated gzip files) is whole and reads every row', async () => {
    const path = join(dir, 'members.csv.gz')
    await writeFile(path, Buffer.concat([gzipSync(header + rows(0, 10)), gzipSync(rows(10, 25))]))
    const repo = await Repository.init(join(dir, 'r3'), { author: 'test' })
    expect((await repo.write('t', path)).rows).toBe(25)
    await repo.close()
  })
})

describe('a zstd input', () => {
  it('cut anywhere (a block, its header, the frame checksum) is CORRUPT and stages nothing; the whole file writes every row', async () => {
    const path = join(dir, 'whole.csv.zst')
    const db = await DuckDBInstance.create(':memory:')
    const conn = await db.connect()
    await conn.run(`COPY (SELECT i AS id, 'name_' || i AS name FROM range(300000) t(i)) TO '${path}' (FORMAT csv, HEADER, COMPRESSION zstd)`)
    conn.closeSync()
    db.closeSync()
    const whole = await readFile(path)
    const repo = await Repository.init(join(dir, 'r4'), { author: 'test' })
    for (const keep of [1, 4, 7, Math.floor(whole.length / 2), whole.length - 5, whole.length - 1]) {
      const cut = join(dir, `cut-${keep}.csv.zst`)
      await writeFile(cut, whole.subarray(0, keep))
      const e = await catchDvError(() => repo.write('t', cut))
      expect(e.code, `cut after ${keep} bytes`).toBe('CORRUPT')
      expect(e.message).toContain(`${cut} is not a whole zstd stream`)
    }
    expect((await repo.status()).staged).toEqual([])
    expect((await repo.write('t', path)).rows).toBe(300_000)
    await repo.close()
  })
})
