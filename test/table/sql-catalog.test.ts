/**
 * `exportTable(..., { catalog: 'sql:PATH' })` against the real SQLite (sql.js)
 * on real files: the first export creates PyIceberg's tables and inserts the
 * row; a re-export moves it with the previous location kept; an up-to-date
 * export leaves the file byte for byte; a row that is not an earlier dv export
 * of the table (another table, a PyIceberg commit) is a CONFLICT that writes
 * nothing, neither the Iceberg metadata nor the catalog; a held lock, a hot
 * journal, WAL mode, a file that is not SQLite, an s3:// catalog and a
 * missing directory each fail with their code. PyIceberg itself opens these
 * catalogs in test/interop/sql-catalog.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import initSqlJs from 'sql.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DvError, Repository } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'dv-sql-catalog-'))
let repo: Repository
let csvCount = 0

async function csv(text: string): Promise<string> {
  const file = join(dir, `in-${csvCount++}.csv`)
  writeFileSync(file, `id,v\n${text}`)
  return file
}

type Row = Record<string, unknown>
async function rows(path: string, sql: string): Promise<Row[]> {
  const SQL = await initSqlJs()
  const db = new SQL.Database(readFileSync(path))
  try {
    const result = db.exec(sql)[0]
    return result ? result.values.map((v) => Object.fromEntries(result.columns.map((c, i) => [c, v[i]]))) : []
  } finally {
    db.close()
  }
}

async function execute(path: string, sql: string): Promise<void> {
  const SQL = await initSqlJs()
  const db = new SQL.Database(existsSync(path) ? readFileSync(path) : undefined)
  db.exec(sql)
  writeFileSync(path, db.export())
  db.close()
}

async function failure(p: Promise<unknown>): Promise<DvError> {
  const e = await p.then(() => undefined, (x: unknown) => x)
  expect(e).toBeInstanceOf(DvError)
  return e as DvError
}

const metadataUri = (out: string, v: number) => `${pathToFileURL(out).href}/metadata/v${v}.metadata.json`

beforeAll(async () => {
  repo = await Repository.init(join(dir, 'repo'), { author: 'ann' })
  await repo.write('events', await csv('1,10\n2,20\n'), { commit: true, message: 'one' })
  await repo.write('sales.orders', await csv('7,70\n'), { commit: true, message: 'orders' })
})

afterAll(async () => {
  await repo.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('registering an export in a SQL catalog', () => {
  it('creates the tables, inserts the row and the namespace; a re-export moves it by CAS; an up-to-date one changes no byte', async () => {
    const cat = join(dir, 'first.db')
    const out = join(dir, 'first-export')
    const first = await repo.exportTable('events', { to: out, catalog: `sql:${cat}` })
    expect(first.catalog).toEqual({
      catalog: cat, catalogName: 'dv', namespace: 'default', tableName: 'events',
      metadataLocation: metadataUri(out, 1), previousMetadataLocation: null, action: 'created',
    })
    expect((await rows(cat, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).map((r) => r.name))
      .toEqual(['iceberg_namespace_properties', 'iceberg_tables'])
    expect(await rows(cat, 'SELECT * FROM iceberg_tables')).toEqual([{
      catalog_name: 'dv', table_namespace: 'default', table_name: 'events',
      metadata_location: metadataUri(out, 1), previous_metadata_location: null, iceberg_type: 'TABLE',
    }])
    expect(await rows(cat, 'SELECT * FROM iceberg_namespace_properties')).toEqual([
      { catalog_name: 'dv', namespace: 'default', property_key: 'exists', property_value: 'true' },
    ])
    expect(existsSync(`${cat}.dv-lock`)).toBe(false)

    await repo.write('events', await csv('3,30\n'), { commit: true, message: 'two' })
    const second = await repo.exportTable('events', { to: out, catalog: `sql:${cat}` })
    expect(second.catalog).toMatchObject({ metadataLocation: metadataUri(out, 2), previousMetadataLocation: metadataUri(out, 1), action: 'updated' })
    expect(await rows(cat, 'SELECT metadata_location, previous_metadata_location FROM iceberg_tables'))
      .toEqual([{ metadata_location: metadataUri(out, 2), previous_metadata_location: metadataUri(out, 1) }])

    const bytes = readFileSync(cat)
    const third = await repo.exportTable('events', { to: out, catalog: `sql:${cat}` })
    expect(third).toMatchObject({ upToDate: true, catalog: { action: 'unchanged', metadataLocation: metadataUri(out, 2) } })
    expect(readFileSync(cat).equals(bytes)).toBe(true)
  })

  it('registers an existing export that was made without a catalog, and moves a row left at an older version of it', async () => {
    const cat = join(dir, 'late.db')
    const out = join(dir, 'late-export')
    await repo.exportTable('sales.orders', { to: out })
    const r = await repo.exportTable('sales.orders', { to: out, catalog: `sql:${cat}` })
    // a dv name's '.' separates the namespace, as PyIceberg reads 'sales.orders'
    expect(r.catalog).toMatchObject({ namespace: 'sales', tableName: 'orders', action: 'created', metadataLocation: metadataUri(out, 1) })
    await repo.write('sales.orders', await csv('8,80\n'), { commit: true, message: 'more orders' })
    await repo.exportTable('sales.orders', { to: out }) // v2, the catalog left at v1
    await repo.write('sales.orders', await csv('9,90\n'), { commit: true, message: 'even more' })
    const moved = await repo.exportTable('sales.orders', { to: out, catalog: `sql:${cat}` })
    expect(moved.catalog).toMatchObject({ action: 'updated', previousMetadataLocation: metadataUri(out, 1), metadataLocation: metadataUri(out, 3) })
  })

  it('takes --catalog-name, --namespace and --table-name, and refuses a table name PyIceberg would split', async () => {
    const cat = join(dir, 'named.db')
    const r = await repo.exportTable('events', { to: join(dir, 'named-export'), catalog: `sql:${cat}`, catalogName: 'lake', namespace: 'a.b', tableName: 'ev' })
    expect(r.catalog).toMatchObject({ catalogName: 'lake', namespace: 'a.b', tableName: 'ev' })
    expect(await rows(cat, 'SELECT catalog_name, table_namespace, table_name FROM iceberg_tables')).toEqual([{ catalog_name: 'lake', table_namespace: 'a.b', table_name: 'ev' }])
    const out = join(dir, 'bad-name-export')
    expect((await failure(repo.exportTable('events', { to: out, catalog: `sql:${cat}`, tableName: 'x.y' }))).code).toBe('INVALID_ARGUMENT')
    expect((await failure(repo.exportTable('events', { to: out, catalog: `sql:${cat}`, namespace: 'a..b' }))).code).toBe('INVALID_ARGUMENT')
    expect(existsSync(out)).toBe(false)
  })
})

describe('a catalog row that is not an earlier export of this table', () => {
  it('moved by someone else (a PyIceberg commit): CONFLICT, and neither the export nor the catalog is written', async () => {
    const cat = join(dir, 'moved.db')
    const out = join(dir, 'moved-export')
    await repo.exportTable('events', { to: out, catalog: `sql:${cat}` })
    const theirs = `${pathToFileURL(out).href}/metadata/00002-5d1e8f3a-92b4-4c7e-a1d6-0f2b9c8e7a41.metadata.json`
    await execute(cat, `UPDATE iceberg_tables SET metadata_location = '${theirs}', previous_metadata_location = '${metadataUri(out, 1)}'`)
    await repo.write('events', await csv('4,40\n'), { commit: true, message: 'three' })
    const bytes = readFileSync(cat)
    const e = await failure(repo.exportTable('events', { to: out, catalog: `sql:${cat}` }))
    expect(e.code).toBe('CONFLICT')
    expect(e.message).toContain(theirs)
    expect(e.hint).toMatch(/--table-name/)
    expect(readFileSync(cat).equals(bytes)).toBe(true)
    expect(existsSync(join(out, 'metadata', 'v2.metadata.json'))).toBe(false)
  })

  it('another table\'s export under the same name: CONFLICT; the same table\'s export elsewhere: moved', async () => {
    const cat = join(dir, 'other.db')
    await repo.exportTable('sales.orders', { to: join(dir, 'orders-export'), catalog: `sql:${cat}`, namespace: 'default', tableName: 'events' })
    const out = join(dir, 'other-export')
    expect((await failure(repo.exportTable('events', { to: out, catalog: `sql:${cat}` }))).code).toBe('CONFLICT')
    expect(existsSync(out)).toBe(false)
    const again = await repo.exportTable('sales.orders', { to: join(dir, 'orders-export-2'), catalog: `sql:${cat}`, namespace: 'default', tableName: 'events' })
    expect(again.catalog).toMatchObject({ action: 'updated', previousMetadataLocation: metadataUri(join(dir, 'orders-export'), 1) })
  })
})

describe('the catalog file', () => {
  it('adds the tables to a SQLite file that lacks them, keeping what it holds', async () => {
    const cat = join(dir, 'plain.db')
    await execute(cat, "CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine')")
    await repo.exportTable('events', { to: join(dir, 'plain-export'), catalog: `sql:${cat}` })
    expect(await rows(cat, 'SELECT t FROM notes')).toEqual([{ t: 'mine' }])
    expect(await rows(cat, 'SELECT table_name FROM iceberg_tables')).toEqual([{ table_name: 'events' }])
  })

  it('writes a catalog of PyIceberg\'s v0 schema (no iceberg_type column) as it is', async () => {
    const cat = join(dir, 'v0.db')
    await execute(cat, `CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL,
      metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000), PRIMARY KEY (catalog_name, table_namespace, table_name));
      CREATE TABLE iceberg_namespace_properties (catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255) NOT NULL, property_key VARCHAR(255) NOT NULL,
      property_value VARCHAR(1000) NOT NULL, PRIMARY KEY (catalog_name, namespace, property_key))`)
    await repo.exportTable('events', { to: join(dir, 'v0-export'), catalog: `sql:${cat}` })
    expect(Object.keys((await rows(cat, 'SELECT * FROM iceberg_tables'))[0])).toEqual(['catalog_name', 'table_namespace', 'table_name', 'metadata_location', 'previous_metadata_location'])
  })

  it('refuses what it cannot write safely, each with its code, writing nothing', async () => {
    const notSqlite = join(dir, 'notes.txt')
    writeFileSync(notSqlite, 'just text, long enough to have a header if it were a database '.repeat(3))
    const cases: Array<[string, string, RegExp]> = [
      [`sql:${notSqlite}`, 'INVALID_ARGUMENT', /is not a SQLite database/],
      ['sql:s3://bucket/catalog.db', 'UNSUPPORTED', /local file system/],
      ['hive:thrift://metastore:9083', 'INVALID_ARGUMENT', /unknown catalog/],
      ['sql:', 'INVALID_ARGUMENT', /empty/],
      [`sql:${join(dir, 'no-such-dir', 'c.db')}`, 'STORAGE', /cannot write the catalog/],
      [`sql:${dir}`, 'INVALID_ARGUMENT', /is a directory/],
    ]
    for (const [catalog, code, message] of cases) {
      const out = join(dir, `refused-${code}-${csvCount++}`)
      const e = await failure(repo.exportTable('events', { to: out, catalog }))
      expect([catalog, e.code]).toEqual([catalog, code])
      expect(e.message).toMatch(message)
      expect(existsSync(out)).toBe(false)
    }
    expect(readFileSync(notSqlite, 'utf8')).toMatch(/^just text/)
  })

  it('a held lock or a hot journal is a CONFLICT; a WAL-mode file is UNSUPPORTED; the file unchanged', async () => {
    const cat = join(dir, 'busy.db')
    const out = join(dir, 'busy-export')
    await repo.exportTable('events', { to: out, catalog: `sql:${cat}` })
    await repo.write('events', await csv('5,50\n'), { commit: true, message: 'four' })
    const bytes = readFileSync(cat)
    writeFileSync(`${cat}.dv-lock`, '')
    const locked = await failure(repo.exportTable('events', { to: out, catalog: `sql:${cat}` }))
    expect([locked.code, locked.retryable]).toEqual(['CONFLICT', false])
    expect(locked.hint).toContain(`${cat}.dv-lock`)
    rmSync(`${cat}.dv-lock`)
    writeFileSync(`${cat}-journal`, 'x')
    expect((await failure(repo.exportTable('events', { to: join(dir, 'journal-export'), catalog: `sql:${cat}` }))).code).toBe('CONFLICT')
    rmSync(`${cat}-journal`)
    expect(readFileSync(cat).equals(bytes)).toBe(true)
    const wal = join(dir, 'wal.db')
    const image = Buffer.from(bytes)
    image[18] = 2 // the file format bytes SQLite sets in WAL mode
    image[19] = 2
    writeFileSync(wal, image)
    expect((await failure(repo.exportTable('events', { to: join(dir, 'wal-export'), catalog: `sql:${wal}` }))).code).toBe('UNSUPPORTED')
    // after all that, the registration goes through
    expect((await repo.exportTable('events', { to: out, catalog: `sql:${cat}` })).catalog?.action).toBe('updated')
  })

  it('keeps the file mode of an existing catalog', async () => {
    const cat = join(dir, 'mode.db')
    mkdirSync(join(dir, 'mode'), { recursive: true })
    await execute(cat, 'CREATE TABLE x (a)')
    const { chmodSync, statSync } = await import('node:fs')
    chmodSync(cat, 0o600)
    await repo.exportTable('events', { to: join(dir, 'mode-export'), catalog: `sql:${cat}` })
    expect(statSync(cat).mode & 0o777).toBe(0o600)
  })
})
