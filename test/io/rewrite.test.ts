import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { createDataEngine, type DataEngine, type OpenedSource, type RewriteRequest, type RewriteResult, type ScanFile, type WrittenFile } from '../../src/io/index.js'
import type { PartitionField, Schema } from '../../src/format/types.js'
import { isDvError } from '../../src/errors.js'

let dir: string
let engine: DataEngine
let db: DuckDBInstance
let conn: DuckDBConnection
let n = 0

/** Table history: the old file was written when field 2 was called `amount` and `note` did not exist. */
const OLD_SCHEMA: Schema = {
  fields: [
    { id: 1, name: 'id', type: 'long', required: true },
    { id: 2, name: 'amount', type: 'double', required: false },
    { id: 3, name: 'region', type: 'string', required: false },
  ],
}
const SCHEMA: Schema = {
  fields: [
    { id: 1, name: 'id', type: 'long', required: true },
    { id: 2, name: 'value', type: 'double', required: false },
    { id: 3, name: 'region', type: 'string', required: false },
    { id: 4, name: 'note', type: 'string', required: false },
  ],
}
const BY_REGION: PartitionField[] = [{ sourceId: 3, fieldId: 1000, name: 'region', transform: 'identity' }]

let oldFile: ScanFile
let newFile: ScanFile

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]
}

async function csv(text: string): Promise<string> {
  const path = join(dir, `in-${n++}.csv`)
  await writeFile(path, text)
  return path
}

async function open(text: string): Promise<OpenedSource> {
  return engine.openSource(await csv(text), { tmpDir: join(dir, 'tmp') })
}

/** Writes CSV text as data files of `schema` through openSource + writeParquet. */
async function dataFiles(text: string, schema: Schema, spec: PartitionField[] = []): Promise<WrittenFile[]> {
  const src = await open(text)
  try {
    return await src.writeParquet({ schema, partitionSpec: spec, outDir: join(dir, `data-${n++}`) })
  } finally {
    await src.close()
  }
}

function scanFile(f: WrittenFile): ScanFile {
  return { path: f.path, rows: f.rows, columns: f.columns }
}

function outDir(): string {
  return join(dir, `out-${n++}`)
}

function request(files: ScanFile[], drop: RewriteRequest['drop'], extra: Partial<RewriteRequest> = {}): RewriteRequest {
  return { files, schema: SCHEMA, partitionSpec: [], outDir: outDir(), drop, tmpDir: join(dir, 'tmp'), ...extra }
}

async function readKept(files: WrittenFile[]): Promise<Record<string, unknown>[]> {
  if (!files.length) return []
  return rows(`SELECT * FROM read_parquet([${files.map((f) => `'${f.path}'`).join(', ')}])`)
}

let big: ScanFile | undefined

/** 60,000 rows in row groups of 2,048, so DuckDB reads it with several threads. */
async function bigFile(): Promise<ScanFile> {
  if (big) return big
  const path = join(dir, 'big.parquet')
  await conn.run(`COPY (SELECT range::BIGINT AS id, range * 0.5 AS value, 'r' || (range % 7) AS region FROM range(60000)) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`)
  big = { path, rows: 60000, columns: { '1': { name: 'id', nulls: 0 }, '2': { name: 'value', nulls: 0 }, '3': { name: 'region', nulls: 0 } } }
  return big
}

/** Row count and how many rows do not follow a smaller id, across `files` in order. */
async function disorder(files: WrittenFile[]): Promise<Record<string, unknown>[]> {
  const list = files.map((f) => `'${f.path}'`).join(', ')
  return rows(`SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE id <= prev)::INTEGER AS disorder FROM (SELECT id, lag(id) OVER () AS prev FROM read_parquet([${list}]))`)
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    if (isDvError(e)) return `${e.code}: ${e.message}`
    throw e
  }
  throw new Error('expected a DvError')
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-rewrite-'))
  engine = await createDataEngine({ threads: 2, tmpDir: dir, readableDirectories: [dir] })
  db = await DuckDBInstance.create(':memory:')
  conn = await db.connect()
  const [old] = await dataFiles('id,amount,region\n1,1.5,eu\n2,2.5,us\n3,10.5,eu\n4,,\n', OLD_SCHEMA)
  const [newer] = await dataFiles('id,value,region,note\n5,20,eu,a\n6,30,us,b\n7,40,eu,\n', SCHEMA)
  oldFile = scanFile(old)
  newFile = scanFile(newer)
  expect(oldFile.columns['2'].name).toBe('amount')
  expect(oldFile.columns['4']).toBeUndefined()
})

afterAll(async () => {
  await engine.close()
  conn.closeSync()
  db.closeSync()
  await rm(dir, { recursive: true, force: true })
})

describe('rewriteFiles with a predicate', () => {
  it('leaves files without matches alone and writes nothing', async () => {
    const req = request([oldFile, newFile], { where: 'id > 100' })
    const result = await engine.rewriteFiles(req)
    expect(result.files).toEqual([{ matched: 0, kept: [] }, { matched: 0, kept: [] }])
    expect((await readdir(req.outDir)).filter((f) => f.startsWith('dv-'))).toEqual([])
  })

  it('drops files whose rows all match without writing', async () => {
    const req = request([oldFile, newFile], { where: 'id >= 5' })
    const result = await engine.rewriteFiles(req)
    expect(result.files).toEqual([{ matched: 0, kept: [] }, { matched: 3, kept: [] }])
    expect((await readdir(req.outDir)).filter((f) => f.startsWith('dv-'))).toEqual([])
  })

  it('rewrites partially matching files as the current schema, reading renamed and missing columns by field id', async () => {
    // `value` is `amount` in the old file; `note` is missing there (NULL, so `note = 'a'` never matches it).
    const result = await engine.rewriteFiles(request([oldFile, newFile], { where: "value BETWEEN 2 AND 11 AND note IS NULL OR note = 'a'" }))
    expect(result.files.map((f) => f.matched)).toEqual([2, 1])
    const [oldKept, newKept] = result.files.map((f) => f.kept)
    expect(oldKept).toHaveLength(1)
    expect(await readKept(oldKept)).toEqual([
      { id: '1', value: 1.5, region: 'eu', note: null },
      { id: '4', value: null, region: null, note: null },
    ])
    expect(await readKept(newKept)).toEqual([
      { id: '6', value: 30, region: 'us', note: 'b' },
      { id: '7', value: 40, region: 'eu', note: null },
    ])
    const f = oldKept[0]
    expect(f.temporary).toBe(true)
    expect(f.rows).toBe(2)
    expect(f.bytes).toBe((await stat(f.path)).size)
    expect(f.partition).toEqual({})
    expect(f.columns).toEqual({
      '1': { name: 'id', min: '1', max: '4', nulls: 0 },
      '2': { name: 'value', min: '1.5', max: '1.5', nulls: 1 },
      '3': { name: 'region', min: 'eu', max: 'eu', nulls: 1 },
      '4': { name: 'note', nulls: 2 },
    })
    const ids = await rows(`SELECT name, field_id FROM parquet_schema('${f.path}') WHERE num_children IS NULL`)
    expect(ids).toEqual(SCHEMA.fields.map((x) => ({ name: x.name, field_id: String(x.id) })))
    const codecs = await rows(`SELECT DISTINCT compression FROM parquet_metadata('${f.path}')`)
    expect(codecs).toEqual([{ compression: 'ZSTD' }])
  })

  it('keeps the partition of the rewritten rows', async () => {
    const files = await dataFiles('id,value,region\n1,1,eu\n2,2,us\n3,3,eu\n4,4,us\n', SCHEMA, BY_REGION)
    const result = await engine.rewriteFiles(request(files.map(scanFile), { where: 'id IN (1, 4)' }, { partitionSpec: BY_REGION }))
    const byRegion: Record<string, RewriteResult['files'][number]> = Object.fromEntries(files.map((f, i) => [f.partition['1000'], result.files[i]!]))
    expect(byRegion.eu.matched).toBe(1)
    expect(byRegion.eu.kept.map((k: WrittenFile) => k.partition)).toEqual([{ '1000': 'eu' }])
    expect(byRegion.us.kept.map((k: WrittenFile) => k.partition)).toEqual([{ '1000': 'us' }])
    expect((await readKept(byRegion.us.kept)).map((r) => r.id)).toEqual(['2'])
  })

  it('splits a file written before the table was partitioned by its current partitions', async () => {
    const result = await engine.rewriteFiles(request([oldFile], { where: 'id = 2' }, { partitionSpec: BY_REGION }))
    const kept = result.files[0].kept
    expect(result.files[0].matched).toBe(1)
    expect(kept.map((k) => [k.partition['1000'], k.rows]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([[null, 1], ['eu', 2]])
    expect((await readKept(kept)).map((r) => r.id).sort()).toEqual(['1', '3', '4'])
  })

  it('rejects unknown columns and syntax errors', async () => {
    expect(await codeOf(engine.rewriteFiles(request([oldFile], { where: 'amount > 1' })))).toMatch(/^INVALID_ARGUMENT: unknown column 'amount'.*id, value, region, note/)
    expect(await codeOf(engine.rewriteFiles(request([oldFile], { where: 'id >' })))).toMatch(/^INVALID_ARGUMENT: invalid predicate 'id >'/)
    expect(await codeOf(engine.rewriteFiles(request([oldFile], { where: ' ' })))).toMatch(/^INVALID_ARGUMENT/)
  })
})

describe('rewriteFiles with upsert keys', () => {
  it('drops the rows whose key is in the input', async () => {
    const src = await open('id,value\n2,0\n6,0\n99,0\n')
    try {
      const result = await engine.rewriteFiles(request([oldFile, newFile], { keys: { columns: ['id'], source: src } }))
      expect(result.files.map((f) => f.matched)).toEqual([1, 1])
      expect((await readKept(result.files[0].kept)).map((r) => r.id)).toEqual(['1', '3', '4'])
      expect((await readKept(result.files[1].kept)).map((r) => [r.id, r.note])).toEqual([['5', 'a'], ['7', null]])
    } finally {
      await src.close()
    }
  })

  it('matches composite keys on every column', async () => {
    const src = await open('region,id\neu,1\neu,2\nus,2\nus,7\n')
    try {
      const result = await engine.rewriteFiles(request([oldFile, newFile], { keys: { columns: ['region', 'id'], source: src } }))
      expect(result.files).toMatchObject([{ matched: 2 }, { matched: 0, kept: [] }])
      expect((await readKept(result.files[0].kept)).map((r) => r.id)).toEqual(['3', '4'])
    } finally {
      await src.close()
    }
  })

  it('compares keys after the cast to the table types (text stays text)', async () => {
    const schema: Schema = { fields: [{ id: 1, name: 'code', type: 'string', required: false }, { id: 2, name: 'n', type: 'long', required: false }] }
    const [file] = await dataFiles('code,n\n1.5,1\n1.50,2\n01.5,3\n', schema)
    expect(file.columns['1']).toMatchObject({ min: '01.5', max: '1.50' })
    const src = await open('code,n\n1.50,9\n') // read on its own, 1.50 would be the double 1.5
    expect(src.columns[0].type).toBe('double')
    try {
      const result = await engine.rewriteFiles(request([scanFile(file)], { keys: { columns: ['code'], source: src } }, { schema }))
      expect(result.files[0].matched).toBe(1)
      expect(await readKept(result.files[0].kept)).toEqual([{ code: '1.5', n: '1' }, { code: '01.5', n: '3' }])
    } finally {
      await src.close()
    }
  })

  it('keeps row order across row groups', async () => {
    const file = await bigFile()
    const keys = join(dir, 'keys.csv')
    await conn.run(`COPY (SELECT DISTINCT (hash(range) % 60000)::BIGINT AS id FROM range(600)) TO '${keys}' (HEADER true)`)
    const [{ k }] = await rows(`SELECT count(*)::INTEGER AS k FROM read_csv('${keys}')`)
    const src = await engine.openSource(keys, { tmpDir: join(dir, 'tmp') })
    try {
      const result = await engine.rewriteFiles(request([file], { keys: { columns: ['id'], source: src } }))
      expect(result.files[0].matched).toBe(k)
      const kept = result.files[0].kept
      expect(kept).toHaveLength(1)
      expect(await disorder(kept)).toEqual([{ n: 60000 - (k as number), disorder: 0 }])
      const leaked = await rows(`SELECT count(*)::INTEGER AS n FROM read_parquet('${kept[0].path}') WHERE id IN (SELECT id FROM read_csv('${keys}'))`)
      expect(leaked).toEqual([{ n: 0 }])
    } finally {
      await src.close()
    }
  })

  it('splits kept rows over the target size into pieces in row order', async () => {
    const file = await bigFile()
    const result = await engine.rewriteFiles(request([file], { where: 'id % 10 = 0' }, { targetFileBytes: 60_000 }))
    const kept = result.files[0].kept
    expect(result.files[0].matched).toBe(6000)
    expect(kept.length).toBeGreaterThan(2)
    expect(kept.every((f) => f.bytes < 60_000 * 1.5)).toBe(true)
    expect(await disorder(kept)).toEqual([{ n: 54000, disorder: 0 }])
    // each piece carries its own statistics, and the pieces follow each other
    for (let i = 1; i < kept.length; i++) expect(Number(kept[i].columns['1'].min)).toBeGreaterThan(Number(kept[i - 1].columns['1'].max))
  })

  it('works on files with a column named file_row_number', async () => {
    const schema: Schema = { fields: [{ id: 1, name: 'id', type: 'long', required: false }, { id: 2, name: 'file_row_number', type: 'long', required: false }] }
    const [file] = await dataFiles('id,file_row_number\n1,10\n2,20\n3,30\n', schema)
    const src = await open('id\n2\n')
    try {
      const result = await engine.rewriteFiles(request([scanFile(file)], { keys: { columns: ['id'], source: src } }, { schema }))
      expect(result.files[0].matched).toBe(1)
      expect(await readKept(result.files[0].kept)).toEqual([{ id: '1', file_row_number: '10' }, { id: '3', file_row_number: '30' }])
    } finally {
      await src.close()
    }
  })

  it('rejects key columns unknown to the table or missing from the input, and sources of another engine', async () => {
    const src = await open('id,value\n1,1\n')
    const other = await createDataEngine({ threads: 1 })
    const foreign = await other.openSource(await csv('id\n1\n'), { tmpDir: join(dir, 'tmp') })
    try {
      expect(await codeOf(engine.rewriteFiles(request([oldFile], { keys: { columns: ['nope'], source: src } })))).toMatch(/^INVALID_ARGUMENT: unknown key column\(s\) 'nope'/)
      expect(await codeOf(engine.rewriteFiles(request([oldFile], { keys: { columns: ['id', 'region'], source: src } })))).toMatch(/^INVALID_ARGUMENT: key column\(s\) 'region' missing from .*in-\d+\.csv; its columns are: id, value/)
      expect(await codeOf(engine.rewriteFiles(request([oldFile], { keys: { columns: ['id'], source: foreign } })))).toMatch(/^INVALID_ARGUMENT: source .* was not opened by this data engine/)
    } finally {
      await src.close()
      await foreign.close()
      await other.close()
    }
  })
})

describe('checkKeys', () => {
  it('accepts unique non-null keys', async () => {
    const src = await open('id,region\n1,eu\n1,us\n2,eu\n')
    await expect(src.checkKeys(['id', 'region'])).resolves.toBeUndefined()
    await expect(src.checkKeys(['region', 'id'], SCHEMA)).resolves.toBeUndefined()
    await src.close()
  })

  it('names a missing column', async () => {
    const src = await open('id,region\n1,eu\n')
    expect(await codeOf(src.checkKeys(['id', 'day']))).toMatch(/^INVALID_ARGUMENT: key column\(s\) 'day' missing from .*; its columns are: id, region$/)
    expect(await codeOf(src.checkKeys([]))).toMatch(/^INVALID_ARGUMENT: no key columns/)
    await src.close()
  })

  it('names the column holding nulls', async () => {
    const src = await open('id,region\n1,eu\n2,\n3,\n')
    expect(await codeOf(src.checkKeys(['region']))).toMatch(/^INVALID_ARGUMENT: key column 'region' is null in 2 row\(s\) of .*in-\d+\.csv$/)
    expect(await codeOf(src.checkKeys(['id', 'region'], SCHEMA))).toMatch(/key column 'region' is null in 2 row\(s\) of .* \(e\.g\. key \(id=2, region=null\)\)$/)
    await src.close()
  })

  it('names a duplicate key', async () => {
    const src = await open('id,region\n1,eu\n2,us\n1,eu\n3,eu\n2,us\n1,us\n')
    expect(await codeOf(src.checkKeys(['id', 'region']))).toMatch(/^INVALID_ARGUMENT: duplicate key \(id=[12], region='(eu|us)'\) occurs 2 times in .* \(2 keys repeat\)$/)
    expect(await codeOf(src.checkKeys(['region']))).toMatch(/^INVALID_ARGUMENT: duplicate key region='(eu|us)' occurs [34] times/)
    await src.close()
  })

  it('compares after the cast to the table types when given the schema', async () => {
    const schema: Schema = { fields: [{ id: 1, name: 'code', type: 'string', required: false }] }
    const src = await open('code\n1.5\n1.50\n')
    expect(await codeOf(src.checkKeys(['code']))).toMatch(/duplicate key code=1\.5 occurs 2 times/)
    await expect(src.checkKeys(['code'], schema)).resolves.toBeUndefined()
    await src.close()
  })
})

describe('countNotMatching', () => {
  it('counts the rows of written files outside the predicate, NULL counting as outside', async () => {
    const files = await dataFiles('id,value,region\n1,5,eu\n2,15,eu\n3,5,\n4,5,us\n', SCHEMA)
    expect(await engine.countNotMatching(files, SCHEMA, "region = 'eu'")).toBe(2)
    expect(await engine.countNotMatching(files, SCHEMA, "region = 'eu' AND value < 10")).toBe(3)
    expect(await engine.countNotMatching(files, SCHEMA, 'note IS NULL')).toBe(0) // a table column the input lacks reads as NULL
    expect(await engine.countNotMatching(files, SCHEMA, 'id > 0')).toBe(0)
    expect(await codeOf(engine.countNotMatching(files, SCHEMA, 'amount > 0'))).toMatch(/^INVALID_ARGUMENT: unknown column 'amount'/)
    expect(await codeOf(engine.countNotMatching(files, SCHEMA, 'id = = 1'))).toMatch(/^INVALID_ARGUMENT: invalid predicate/)
  })

  it('reads an input stored as-is outside the engine directories through a sandbox for that file alone', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'dv-asis-'))
    try {
      const path = join(elsewhere, 'input.parquet')
      await conn.run(`COPY (SELECT range::BIGINT AS id, 1.0::DOUBLE AS value, 'eu' AS region, NULL::VARCHAR AS note FROM range(10)) TO '${path}' (FORMAT parquet)`)
      const file: ScanFile = { path, rows: 10, columns: { '1': { name: 'id', nulls: 0 }, '2': { name: 'value', nulls: 0 }, '3': { name: 'region', nulls: 0 }, '4': { name: 'note', nulls: 10 } } }
      expect(await engine.countNotMatching([file], SCHEMA, 'id < 7')).toBe(3)
      // the long-lived sandbox itself may not read it
      expect(await codeOf(engine.rewriteFiles(request([file], { where: 'id < 7' })))).toMatch(/Permission Error/)
    } finally {
      await rm(elsewhere, { recursive: true, force: true })
    }
  })
})
