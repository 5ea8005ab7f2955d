/**
 * dv query (src/table/actions/query.ts, src/io/query.ts): SQL over the tables
 * of a snapshot gives what DuckDB run by hand over the same rows gives, for
 * joins across tables and across revisions ("TABLE@REV"); statements other
 * than one SELECT, table functions, qualified names and host-revealing
 * functions are refused before anything runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { Repository } from '../../src/index.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { TextSink } from '../support/text-sink.js'

let dir: string
let repo: Repository
let v1: string
let db: DuckDBInstance
let duck: DuckDBConnection
let seq = 0

async function file(text: string): Promise<string> {
  const p = join(dir, `q-${seq++}.csv`)
  await writeFile(p, text)
  return p
}

async function dvQuery(sql: string, at?: string): Promise<string> {
  const sink = new TextSink()
  await repo.query(sql, sink, { format: 'csv', ...(at ? { at } : {}) })
  return sink.text
}

/** The table at `rev` as a Parquet file (dv cat), for DuckDB by hand. */
async function parquetOf(table: string, rev: string): Promise<string> {
  const path = join(dir, `${table}-${seq++}.parquet`)
  const out = createWriteStream(path)
  await repo.cat(table, out, { at: rev, format: 'parquet' })
  out.end()
  await once(out, 'close')
  return path
}

/** `sql` run by DuckDB over views of the tables (name -> Parquet file), as CSV text like dv prints it. */
async function byHand(sql: string, views: Record<string, string>): Promise<string> {
  for (const [name, path] of Object.entries(views)) await duck.run(`CREATE OR REPLACE VIEW "${name}" AS SELECT * FROM read_parquet('${path}')`)
  const out = join(dir, `hand-${seq++}.csv`)
  await duck.run(`COPY (${sql}) TO '${out}' (FORMAT csv, HEADER true)`)
  const { readFile } = await import('node:fs/promises')
  return readFile(out, 'utf8')
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-query-'))
  repo = await Repository.init(join(dir, 'lake'), { author: 'query' })
  await repo.write('events', await file('id,ts,kind,amount\n1,2026-01-01 10:00:00,a,10.5\n2,2026-01-02 11:00:00,b,20\n3,2026-01-02 12:00:00,a,5\n'), { partitionBy: 'day(ts)', commit: true, message: 'one' })
  await repo.write('kinds', await file('kind,label\na,Alpha\nb,Beta\nc,Gamma\n'), { commit: true, message: 'kinds' })
  v1 = await repo.resolve('main')
  await repo.write('events', await file('id,ts,kind,amount\n4,2026-01-03 09:00:00,c,7\n'), { commit: true, message: 'two' })
  await repo.delete('events', 'id = 2', { commit: true, message: 'drop 2' })
  db = await DuckDBInstance.create(':memory:')
  duck = await db.connect()
})
afterAll(async () => {
  duck.closeSync()
  db.closeSync()
  await repo.close()
  await rm(dir, { recursive: true, force: true })
})

describe('dv query', () => {
  const cases: Array<[string, string]> = [
    ['an aggregate', 'SELECT kind, sum(amount) AS total, count(*) AS n FROM events GROUP BY kind ORDER BY kind'],
    ['a join across tables', 'SELECT e.id, k.label FROM events e JOIN kinds k USING (kind) ORDER BY e.id'],
    ['a comparison across revisions', 'SELECT id, kind FROM "events@V1" EXCEPT SELECT id, kind FROM events ORDER BY id'],
    ['a CTE and a window', 'WITH r AS (SELECT id, kind, row_number() OVER (PARTITION BY kind ORDER BY id DESC) AS rn FROM events) SELECT * FROM r WHERE rn = 1 ORDER BY kind'],
    ['a subquery over an older version', 'SELECT label FROM kinds WHERE kind IN (SELECT kind FROM "events@V1" WHERE amount > 6) ORDER BY label'],
  ]

  it.each(cases)('%s gives what DuckDB gives by hand over the same rows', async (_, sql) => {
    const text = sql.replaceAll('V1', v1)
    const views = {
      events: await parquetOf('events', 'main'),
      kinds: await parquetOf('kinds', 'main'),
      [`events@${v1}`]: await parquetOf('events', v1),
    }
    expect(await dvQuery(text)).toBe(await byHand(text, views))
  })

  it('--at reads every unqualified table at that snapshot', async () => {
    expect(await dvQuery('SELECT count(*) AS n FROM events', v1)).toBe('n\n3\n')
    expect(await dvQuery('SELECT count(*) AS n FROM events')).toBe('n\n3\n')
    expect(await dvQuery('SELECT max(id) AS m FROM events', v1)).toBe('m\n3\n')
    expect(await dvQuery('SELECT max(id) AS m FROM events')).toBe('m\n4\n')
  })

  it('refuses everything but one SELECT over the snapshot, naming the construct', async () => {
    const refused: Array<[string, RegExp]> = [
      ["SELECT * FROM read_csv('/etc/passwd')", /table function read_csv/],
      ["SELECT * FROM events WHERE kind IN (SELECT * FROM read_text('/etc/hostname'))", /table function read_text/],
      ['SELECT * FROM duckdb_settings()', /table function duckdb_settings/],
      ["SELECT * FROM query('SELECT 1')", /table function query/],
      ["SELECT current_setting('allowed_directories')", /function current_setting/],
      ["SELECT getenv('HOME')", /function getenv/],
      ['SELECT * FROM information_schema.tables', /qualified name information_schema.tables/],
      ["COPY events TO '/tmp/dv-query-escape.csv'", /only SELECT/],
      ["ATTACH '/tmp/x.db' AS x", /only SELECT/],
      ["INSTALL httpfs", /only SELECT/],
      ['SET threads = 1', /only SELECT/],
      ['SELECT 1; SELECT 2', /exactly one SELECT/],
      ['SELECT * FROM events AT (VERSION => 1)', /AT \(\.\.\.\)/],
      ['SELECT $1', /parameters/],
      ['SELEC 1', /invalid query/],
      ['', /empty/],
    ]
    for (const [sql, message] of refused) {
      const e = await catchDvError(() => dvQuery(sql))
      expect({ sql, code: e.code }).toEqual({ sql, code: 'INVALID_ARGUMENT' })
      expect(e.message).toMatch(message)
    }
  })

  it('a table that does not exist at the revision is NOT_FOUND, naming it', async () => {
    expect((await catchDvError(() => dvQuery('SELECT * FROM nope'))).message).toMatch(/table 'nope' does not exist/)
    expect((await catchDvError(() => dvQuery(`SELECT * FROM "kinds@${v1}~1"`))).message).toMatch(/table 'kinds' does not exist/)
    expect((await catchDvError(() => dvQuery("SELECT * FROM '/etc/passwd'"))).code).toBe('NOT_FOUND')
  })

  it('a column that does not exist fails as the query, not as a scan of a table', async () => {
    const e = await catchDvError(() => dvQuery('SELECT nope FROM events'))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toMatch(/^cannot run the query: Binder Error: .*nope/)
  })
})

describe('dv query with a signal', () => {
  it('an abort stops a running query, rejecting with the signal\'s reason, and the next query on the repository runs', async () => {
    // 2,000 rows: a three-way cross join of them runs for minutes
    await repo.write('nums', await file('n\n' + Array.from({ length: 2000 }, (_, i) => i).join('\n') + '\n'), { commit: true, message: 'nums' })
    const controller = new AbortController()
    const reason = new Error('stop')
    const started = Date.now()
    const running = repo.query('SELECT count(*) AS c FROM nums a, nums b, nums c WHERE a.n + b.n + c.n = 7', new TextSink(), { signal: controller.signal })
    setTimeout(() => controller.abort(reason), 500)
    await expect(running).rejects.toBe(reason)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(await dvQuery('SELECT count(*) AS n FROM nums')).toBe('n\n2000\n')
    // aborted before it starts: nothing runs
    await expect(repo.query('SELECT 1', new TextSink(), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
  })
})
