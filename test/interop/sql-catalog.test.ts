/**
 * `dv export --catalog sql:PATH` read by PyIceberg's own SqlCatalog
 * (`SqlCatalog(name, uri="sqlite:///PATH", warehouse=...)`, `load_table`,
 * `scan`): the rows and the column sums are those of `dv cat` and `dv query`;
 * a re-export after a new commit is seen as the new current snapshot. dv
 * registers into a catalog PyIceberg created (its namespace, its catalog
 * name); and after PyIceberg commits to the table through the catalog, a dv
 * re-export is a CONFLICT (exit 4) that leaves PyIceberg's commit standing.
 * Run by `npm run test:interop` (DV_INTEROP=1), with DV_TEST_PYTHON.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { ROOT, buildIfStale, runDv } from '../cli/run-dv.js'
import { runPython, testPython } from '../support/python.js'

const python = testPython('the SQL catalog interop suite (test/interop/sql-catalog.test.ts)')
const work = python ? mkdtempSync(path.join(tmpdir(), 'dv-sql-catalog-interop-')) : ''
const repo = path.join(work, 'repo')

interface Scan { rows: Array<Record<string, unknown>>; sums: Record<string, number>; count: number; current: string; snapshots: string[]; metadata_location: string; tables: string[][] }

function dv(...args: string[]): string {
  const r = runDv(args, { cwd: repo })
  if (r.code !== 0) throw new Error(`dv ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

async function pyiceberg<T>(request: Record<string, unknown>): Promise<T> {
  return JSON.parse(await runPython(python!, path.join(ROOT, 'test/support/sql_catalog.py'), [], {
    input: JSON.stringify({ warehouse: pathToFileURL(path.join(work, 'warehouse')).href, ...request }),
  })) as T
}

const catalogOf = (file: string, name = 'dv') => ({ uri: `sqlite:///${file}`, name })
const icebergId = (snapshot: string) => String(Number.parseInt(snapshot.slice(0, 13), 16))
const head = () => (JSON.parse(dv('log', '-n', '1', '--json')) as Array<{ snapshot: string }>)[0].snapshot
const sortRows = (rows: Array<Record<string, unknown>>) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))

/** What dv itself reads: the rows of `dv cat` and the sums of `dv query`. */
function dvView(): { rows: Array<Record<string, unknown>>; sums: Record<string, number> } {
  const rows = JSON.parse(dv('cat', 'events', '--json')) as Array<Record<string, unknown>>
  const [sums] = JSON.parse(dv('query', 'SELECT sum(id) AS id, sum(qty) AS qty FROM events', '--json')) as Array<Record<string, number>>
  return { rows: sortRows(rows), sums }
}

function csv(name: string, text: string): string {
  const file = path.join(work, name)
  writeFileSync(file, text)
  return file
}

describe.skipIf(!python)('dv export --catalog sql:PATH, opened by PyIceberg\'s SqlCatalog', () => {
  const cat = path.join(work, 'catalog.db')
  const out = path.join(work, 'events-export')

  beforeAll(() => {
    buildIfStale()
    expect(runDv(['init', repo], { cwd: work }).code).toBe(0)
    dv('write', 'events', csv('1.csv', 'id,name,qty\n1,ann,10\n2,bob,20\n3,cy,30\n'), '--schema', 'id long not null, name string, qty long', '--commit', '-m', 'load')
  })

  it('registers a new catalog that PyIceberg loads and scans to dv\'s rows and sums', async () => {
    const r = JSON.parse(dv('export', 'events', '--format', 'iceberg', '--to', out, '--catalog', `sql:${cat}`, '--json')) as { catalog: { action: string } }
    expect(r.catalog.action).toBe('created')
    const scan = await pyiceberg<Scan>({ op: 'scan', ...catalogOf(cat), namespace: 'default', table: 'events' })
    const mine = dvView()
    expect(sortRows(scan.rows)).toEqual(mine.rows)
    expect(scan.sums).toEqual(mine.sums)
    expect(scan.sums).toEqual({ id: 6, qty: 60 })
    expect(scan.current).toBe(icebergId(head()))
    expect(scan.tables).toEqual([['default', 'events']])
    expect(scan.metadata_location).toBe(`${pathToFileURL(out).href}/metadata/v1.metadata.json`)
  })

  it('re-exports after a new commit: PyIceberg sees the new current snapshot, its rows and sums', async () => {
    dv('write', 'events', csv('2.csv', 'id,name,qty\n4,dee,40\n'), '--commit', '-m', 'more')
    dv('write', 'events', '--mode', 'delete', '--where', 'id = 2', '--commit', '-m', 'drop bob')
    const r = JSON.parse(dv('export', 'events', '--format', 'iceberg', '--to', out, '--catalog', `sql:${cat}`, '--json')) as { catalog: { action: string } }
    expect(r.catalog.action).toBe('updated')
    const scan = await pyiceberg<Scan>({ op: 'scan', ...catalogOf(cat), namespace: 'default', table: 'events' })
    const mine = dvView()
    expect(sortRows(scan.rows)).toEqual(mine.rows)
    expect(scan.sums).toEqual({ id: 8, qty: 80 })
    expect(scan.sums).toEqual(mine.sums)
    expect(scan.current).toBe(icebergId(head()))
    expect(scan.snapshots).toHaveLength(3)
    expect(scan.metadata_location).toMatch(/\/v2\.metadata\.json$/)
  })

  it('registers into a catalog PyIceberg created, under its catalog name and namespace', async () => {
    const theirs = path.join(work, 'theirs.db')
    await pyiceberg({ op: 'create-namespace', ...catalogOf(theirs, 'lake'), namespace: 'analytics' })
    const text = dv('export', 'events', '--format', 'iceberg', '--to', path.join(work, 'theirs-export'), '--catalog', `sql:${theirs}`, '--catalog-name', 'lake', '--namespace', 'analytics')
    expect(text).toContain("catalog: registered analytics.events in catalog 'lake'")
    const scan = await pyiceberg<Scan>({ op: 'scan', ...catalogOf(theirs, 'lake'), namespace: 'analytics', table: 'events' })
    expect(sortRows(scan.rows)).toEqual(dvView().rows)
    expect(scan.tables).toEqual([['analytics', 'events']])
  })

  it('after PyIceberg commits through the catalog, a dv re-export is a CONFLICT (exit 4) and PyIceberg\'s commit stands', async () => {
    const appended = await pyiceberg<{ metadata_location: string }>({ op: 'append', ...catalogOf(cat), namespace: 'default', table: 'events', rows: [{ id: 9, name: 'py', qty: 90 }] })
    expect(appended.metadata_location).not.toMatch(/\/v\d+\.metadata\.json$/)
    dv('write', 'events', csv('3.csv', 'id,name,qty\n5,eve,50\n'), '--commit', '-m', 'late')
    const r = runDv(['export', 'events', '--format', 'iceberg', '--to', out, '--catalog', `sql:${cat}`], { cwd: repo })
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(/already has a table default\.events .* which is not an earlier dv export of this table/)
    expect(r.stderr).toMatch(/hint: register under another name/)
    const scan = await pyiceberg<Scan>({ op: 'scan', ...catalogOf(cat), namespace: 'default', table: 'events' })
    expect(scan.metadata_location).toBe(appended.metadata_location)
    expect(scan.sums).toEqual({ id: 17, qty: 170 })
  })
})
