/**
 * A write whose data file dv cannot read back stores nothing, stages nothing
 * and moves no ref: the read-back runs in publishFiles, before the first
 * object is put. The damaged file here is one DuckDB would store as-is (its
 * footer is fine and its types are the table's), with the first page of a
 * column garbled: only reading the pages finds it.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDBInstance } from '@duckdb/node-api'
import { Repository } from '../../src/index.js'

let dir: string
let good: string
let damaged: string

async function listing(root: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name)
    if (entry.isFile() && !path.includes(`${join(root, 'tmp')}`)) out.push(`${path} ${path.includes('objects') ? '' : await readFile(path, 'utf8')}`)
  }
  return out.sort()
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-read-back-publish-'))
  good = join(dir, 'good.parquet')
  damaged = join(dir, 'damaged.parquet')
  const db = await DuckDBInstance.create(':memory:')
  const conn = await db.connect()
  await conn.run(`COPY (SELECT range AS id, 'v' || range AS s FROM range(1000)) TO '${good}' (FORMAT parquet)`)
  const [meta] = (await conn.runAndReadAll(`SELECT data_page_offset AS o FROM parquet_metadata('${good}') WHERE path_in_schema = 's'`)).getRowObjectsJson()
  conn.closeSync()
  db.closeSync()
  const bytes = Buffer.from(await readFile(good))
  bytes.fill(0xff, Number(meta.o), Number(meta.o) + 8)
  await writeFile(damaged, bytes)
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('publishing reads every data file back first', () => {
  it.each([['staged', false], ['committed', true]])('a damaged input is CORRUPT and nothing is %s or stored', async (_, commit) => {
    const root = join(dir, `lake-${commit}`)
    const repo = await Repository.init(root, { author: 'test' })
    try {
      await repo.write('t', good, { commit: true, message: 'good' })
      const before = await listing(join(root, '.dv'))
      const err = await repo.write('t', damaged, { commit, message: 'damaged' }).catch((e) => e)
      expect(err).toMatchObject({ code: 'CORRUPT' })
      expect(err.message).toContain(damaged)
      expect((await repo.status()).staged).toEqual([])
      expect(await listing(join(root, '.dv'))).toEqual(before)
    } finally {
      await repo.close()
    }
  })
})
