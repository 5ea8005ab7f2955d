/**
 * `dv export --format iceberg` read by Apache Spark: PySpark in local mode
 * with Iceberg's Spark runtime (.ci/spark-tools.sh), the export laid out as a
 * Hadoop catalog's table (WAREHOUSE/db/events). Every exported snapshot read
 * with SQL `SELECT * FROM dv.db.events VERSION AS OF <Iceberg snapshot id>`
 * gives exactly the rows `dv cat --at <dv snapshot> --json` gives, with its
 * own columns (before and after an added column); so do the current table,
 * a tag exported with --branch-refs (`VERSION AS OF 'v1'`) and filtered
 * queries on partition and data columns. The `.snapshots` metadata table
 * lists one snapshot per dv commit, in order, with dv's ids and operations.
 * Types: long, int, string, date, timestamptz, timestamp, decimal(38,5),
 * double, boolean; partitioned by identity and day(ts); appends, a delete,
 * an overwrite --where, an added column, replace-partitions.
 * Values are compared as canonical text made by test/support/spark_read.py
 * (numbers exact, timestamps as dv prints them; its docstring says how).
 * One Spark session runs every query. Run by `npm run test:interop`
 * (DV_INTEROP=1), with DV_TEST_SPARK_PYTHON and DV_TEST_SPARK_JARS.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ROOT, buildIfStale, runDv, runDvAsync } from '../cli/run-dv.js'
import { runPython } from '../support/python.js'

/** The Spark tools of .ci/spark-tools.sh; absent: skipped with the reason, or failed under CI. */
function sparkTools(suite: string): { python: string; jars: string } | undefined {
  const python = process.env.DV_TEST_SPARK_PYTHON
  const jars = process.env.DV_TEST_SPARK_JARS
  if (python && jars) return { python, jars }
  const how = 'run eval "$(bash .ci/spark-tools.sh)" first'
  if (process.env.CI) throw new Error(`${suite} needs DV_TEST_SPARK_PYTHON and DV_TEST_SPARK_JARS under CI (${how})`)
  console.warn(`skipping ${suite}: DV_TEST_SPARK_PYTHON or DV_TEST_SPARK_JARS is not set (${how})`)
  return undefined
}

const spark = sparkTools('the Spark interop suite (test/interop/spark.test.ts)')
const work = spark ? mkdtempSync(path.join(tmpdir(), 'dv-spark-interop-')) : ''
const repo = path.join(work, 'repo')
const warehouse = path.join(work, 'warehouse')
const TABLE = 'dv.db.events'

type Row = Record<string, string | boolean | null>
interface Result { name: string; error?: string; columns: string[]; types: string[]; rows: Row[]; expected_columns: string[] | null; expected: Row[] }
interface SparkSnapshot { snapshot_id: string; parent_id: string | null; operation: string; dv_snapshot: string }
interface SparkOut { spark: string; snapshots: SparkSnapshot[]; results: Result[] }

function dv(...args: string[]): string {
  const r = runDv(args, { cwd: repo })
  if (r.code !== 0) throw new Error(`dv ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

/** `dv cat events --at REV [--where W] --json`: the rows a query must give, as dv prints them. */
async function dvCat(at: string, where?: string): Promise<string> {
  const r = await runDvAsync(['cat', 'events', '--at', at, '--json', ...(where ? ['--where', where] : [])], { cwd: repo })
  if (r.code !== 0) throw new Error(`dv cat events --at ${at} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

function csv(name: string, text: string): string {
  const file = path.join(work, name)
  writeFileSync(file, text)
  return file
}

const icebergId = (snapshot: string) => String(Number.parseInt(snapshot.slice(0, 13), 16))
const sortRows = (rows: Row[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))

/** The commits that changed the table, oldest first (every commit after `dv init`'s). */
let commits: string[] = []
let out: SparkOut
const byName = (name: string): Result => {
  const r = out.results.find((x) => x.name === name)
  if (!r) throw new Error(`no result named ${name}`)
  return r
}

describe.skipIf(!spark)('dv export --format iceberg, read by Apache Spark with VERSION AS OF', () => {
  beforeAll(async () => {
    buildIfStale()
    expect(runDv(['init', repo], { cwd: work }).code).toBe(0)
    const header = 'id,kind,ts,local_ts,day,qty,amount,score,ok\n'
    dv('write', 'events', csv('1.csv', header +
      '1,sale,2026-01-01T10:00:00Z,2026-01-01T11:00:00,2026-01-01,3,1.50,0.1,true\n' +
      '2,sale,2026-01-02T23:59:59.5Z,2026-01-02T00:00:00.000001,2026-01-02,1,-0.05,-2.5,false\n' +
      '3,refund,2026-01-02T08:30:00.123456Z,,2026-01-02,,12345678901234567890123456789012.12345,1e20,\n' +
      '4,refund,2026-01-03T00:00:00Z,2026-01-03T00:00:00,,7,0,,true\n' +
      '10,sale,2026-01-02T10:00:00Z,2026-01-02T10:00:00,2026-01-02,10,2.00,10.5,true\n' +
      '11,sale,2026-01-02T11:00:00Z,2026-01-02T11:00:00,2026-01-02,11,30.00,11.5,false\n'),
    '--partition-by', 'kind,day(ts)',
    '--schema', 'id long not null, kind string, ts timestamptz, local_ts timestamp, day date, qty int, amount decimal(38,5), score double, ok boolean',
    '--commit', '-m', 'load')
    dv('write', 'events', csv('2.csv', header +
      '5,sale,2026-01-03T12:00:00Z,2026-01-03T12:00:00,2026-01-03,2,99999999999999999999999999999999.99999,3.25,true\n' +
      '6,,2026-01-01T00:00:00Z,2026-01-01T00:00:00,2026-01-01,0,-0.00001,0.0,false\n'), '--commit', '-m', 'more')
    dv('tag', 'v1')
    dv('write', 'events', '--mode', 'delete', '--where', 'id = 2', '--commit', '-m', 'drop 2')
    dv('write', 'events', csv('3.csv', header + '7,refund,2026-01-02T09:00:00Z,2026-01-02T09:00:00,2026-01-02,5,-7.25,7.5,false\n'),
      '--mode', 'overwrite', '--where', "kind = 'refund'", '--commit', '-m', 'redo refunds')
    dv('table', 'alter', 'events', 'add-column', 'note', 'string')
    dv('write', 'events', csv('4.csv', header.replace('\n', ',note\n') + '8,sale,2026-01-04T01:02:03Z,2026-01-04T01:02:03,2026-01-04,4,8.00,8.125,true,"a, note"\n'),
      '--commit', '-m', 'with a note')
    dv('write', 'events', csv('5.csv', header.replace('\n', ',note\n') + '9,sale,2026-01-01T18:00:00Z,2026-01-01T18:00:00,2026-01-01,9,9.99,9.5,true,redone\n'),
      '--mode', 'replace-partitions', '--commit', '-m', 'redo sales of jan 1')
    // dv log, oldest first, without the repository's initial commit (no table yet)
    commits = (JSON.parse(dv('log', '--json')) as Array<{ snapshot: string }>).map((e) => e.snapshot).reverse().slice(1)
    mkdirSync(path.join(warehouse, 'db'), { recursive: true })
    const exported = JSON.parse(dv('export', 'events', '--format', 'iceberg', '--to', path.join(warehouse, 'db', 'events'), '--all-history', '--branch-refs', '--json')) as { snapshots: number; refs: string[] }
    expect(exported.snapshots).toBe(commits.length)

    const queries = [
      { name: 'current', sql: `SELECT * FROM ${TABLE}`, expected: await dvCat('HEAD') },
      ...await Promise.all(commits.map(async (s) => ({ name: `version ${s.slice(0, 12)}`, sql: `SELECT * FROM ${TABLE} VERSION AS OF ${icebergId(s)}`, expected: await dvCat(s) }))),
      { name: 'tag v1', sql: `SELECT * FROM ${TABLE} VERSION AS OF 'v1'`, expected: await dvCat('v1') },
      { name: 'partition filter', sql: `SELECT * FROM ${TABLE} WHERE kind = 'sale' AND ts < TIMESTAMP '2026-01-04 00:00:00+00:00'`, expected: await dvCat('HEAD', "kind = 'sale' and ts < '2026-01-04T00:00:00Z'") },
      { name: 'data filter', sql: `SELECT * FROM ${TABLE} WHERE amount > 10`, expected: await dvCat('HEAD', 'amount > 10') },
      { name: 'filter at a version', sql: `SELECT * FROM ${TABLE} VERSION AS OF ${icebergId(commits[1]!)} WHERE amount > 1 OR kind IS NULL`, expected: await dvCat(commits[1]!, 'amount > 1 or kind is null') },
    ]
    const request = { jars: spark!.jars, warehouse, catalog: 'dv', scratch: work, snapshots: `${TABLE}.snapshots`, queries }
    const started = Date.now()
    const text = await runPython(spark!.python, path.join(ROOT, 'test/support/spark_read.py'), [], { input: JSON.stringify(request) })
    writeFileSync(path.join(work, 'spark-out.json'), text) // kept with the repository, to look at after a failure
    out = JSON.parse(text) as SparkOut
    console.log(`Spark ${out.spark}: ${queries.length} queries and the snapshots table in ${Date.now() - started} ms (one session)`)
  }, 240_000)

  it('lists one Iceberg snapshot per dv commit, in order, with dv\'s ids and operations', () => {
    expect(out.snapshots.map((s) => s.snapshot_id)).toEqual(commits.map(icebergId))
    expect(out.snapshots.map((s) => s.dv_snapshot)).toEqual(commits)
    expect(out.snapshots.map((s) => s.parent_id)).toEqual([null, ...commits.slice(0, -1).map(icebergId)])
    expect(out.snapshots.map((s) => s.operation)).toEqual(['append', 'append', 'delete', 'overwrite', 'replace', 'append', 'overwrite'])
  })

  it('reads the current table with dv\'s columns and Spark types for each', () => {
    const r = byName('current')
    expect(r.error).toBeUndefined()
    expect(r.columns).toEqual(['id', 'kind', 'ts', 'local_ts', 'day', 'qty', 'amount', 'score', 'ok', 'note'])
    expect(r.types).toEqual(['bigint', 'string', 'timestamp', 'timestamp_ntz', 'date', 'int', 'decimal(38,5)', 'double', 'boolean', 'string'])
    expect(r.columns).toEqual(r.expected_columns)
    expect(sortRows(r.rows)).toEqual(sortRows(r.expected))
    expect(r.rows.map((x) => x.id).sort()).toEqual(['10', '11', '5', '6', '7', '8', '9'])
  })

  it('reads every exported snapshot with VERSION AS OF <snapshot id>: the rows and columns of dv cat --at', () => {
    const seen = new Set<string>()
    for (const s of commits) {
      const r = byName(`version ${s.slice(0, 12)}`)
      expect(r.error, r.name).toBeUndefined()
      expect(r.expected.length, r.name).toBeGreaterThan(0)
      expect(r.columns, r.name).toEqual(r.expected_columns)
      expect(sortRows(r.rows), r.name).toEqual(sortRows(r.expected))
      seen.add(JSON.stringify([r.columns, sortRows(r.rows)]))
    }
    // every commit changed what a reader sees: no two snapshots read alike
    expect(seen.size).toBe(commits.length)
    expect(byName(`version ${commits[3]!.slice(0, 12)}`).columns).not.toContain('note')
    expect(byName(`version ${commits[4]!.slice(0, 12)}`).columns).toContain('note')
  })

  it('reads a dv tag exported with --branch-refs by name: VERSION AS OF \'v1\'', () => {
    const r = byName('tag v1')
    expect(r.error).toBeUndefined()
    expect(sortRows(r.rows)).toEqual(sortRows(r.expected))
    expect(sortRows(r.rows)).toEqual(sortRows(byName(`version ${commits[1]!.slice(0, 12)}`).rows))
  })

  it('filters on partition and data columns, now and at a version, as dv cat --where does', () => {
    for (const name of ['partition filter', 'data filter', 'filter at a version']) {
      const r = byName(name)
      expect(r.error, name).toBeUndefined()
      expect(r.expected.length, name).toBeGreaterThan(0)
      expect(sortRows(r.rows), name).toEqual(sortRows(r.expected))
    }
  })
})
