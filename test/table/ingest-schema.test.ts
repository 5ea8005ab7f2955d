/**
 * The table's schema governs ingest (format-spec/write-modes.md#reading-the-input):
 * typed reads of CSV/NDJSON, lossless inference, header and empty-input
 * rules, --schema, CSV options kept as table properties, widening on write.
 * Each defect of issue 8 that motivated a rule has a case here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { Repository, type DvError, type WriteOptions } from '../../src/index.js'
import { TextSink } from '../support/text-sink.js'

let dir: string
let repo: Repository
let seq = 0

async function file(ext: string, text: string | Buffer): Promise<string> {
  const p = join(dir, `in-${seq++}.${ext}`)
  await writeFile(p, text)
  return p
}
const csv = (text: string) => file('csv', text)
const ndjson = (text: string) => file('ndjson', text)

async function write(table: string, path: string, options: WriteOptions = {}) {
  return repo.write(table, path, { commit: true, message: `write ${table}`, ...options })
}
async function cat(table: string, format: 'csv' | 'ndjson' = 'csv'): Promise<string> {
  const s = new TextSink()
  await repo.cat(table, s, { format })
  return s.text
}
async function columns(table: string): Promise<Record<string, string>> {
  const info = await repo.show('main', table)
  return Object.fromEntries(info.table!.columns.map((c) => [c.name, c.type]))
}
/** The write fails with INVALID_ARGUMENT matching `message`, and main does not move. */
async function refused(table: string, path: string, message: RegExp, options: WriteOptions = {}): Promise<void> {
  const before = await repo.resolve('main')
  await expect(write(table, path, options)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) })
  expect(await repo.resolve('main')).toBe(before)
}
async function duckFile(ext: string, sql: string, options: string): Promise<string> {
  const p = join(dir, `duck-${seq++}.${ext}`)
  const db = await DuckDBInstance.create(':memory:')
  const c = await db.connect()
  await c.run(`COPY (${sql}) TO '${p}' (${options})`)
  c.closeSync()
  return p
}
const duckParquet = (sql: string) => duckFile('parquet', sql, 'FORMAT parquet')

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-ingest-schema-'))
  repo = await Repository.init(join(dir, 'lake'), { author: 'ingest' })
})
afterAll(async () => {
  await repo.close()
  await rm(dir, { recursive: true, force: true })
})

describe('lossless inference for a new table', () => {
  it('makes integers beyond int64 a decimal(38,0) column, exactly (not 9.223372036854776e+18)', async () => {
    await write('big', await csv('id,n\n1,9223372036854775808\n2,-99999999999999999999999999999999999999\n'))
    expect((await columns('big')).n).toBe('decimal(38,0)')
    expect(await cat('big')).toBe('id,n\n1,9223372036854775808\n2,-99999999999999999999999999999999999999\n')
  })

  it('refuses an integer of more than 38 digits, naming the line', async () => {
    await refused('big2', await csv('n\n1\n2\n123456789012345678901234567890123456789\n'), /line 4: integer 123456789012345678901234567890123456789 of column 'n' has more than 38 digits/)
  })

  it('refuses 1e400 (not inf), naming the line, in CSV and NDJSON', async () => {
    await refused('inf', await csv('id,x\n1,2.5\n2,1e400\n'), /line 3: value 1e400 of column 'x' is beyond the range of a double/)
    await refused('inf', await ndjson('{"x":1.5}\n{"x":-1e400}\n'), /line 2: value -1e400 of column 'x'/)
    // an explicit infinity is a value, not an overflow
    await write('inf_ok', await csv('x\n1.5\ninf\n'))
    expect(await cat('inf_ok')).toBe('x\n1.5\ninf\n')
  })

  it('refuses dates no value decides, asking for --date-format; a decided order is kept for later appends', async () => {
    await refused('d', await csv('d\n01/02/2026\n03/04/2026\n'), /'01\/02\/2026' that read both as %d\/%m\/%Y and as %m\/%d\/%Y.*no value decides/)
    await expect(write('d', await csv('d\n01/02/2026\n'))).rejects.toMatchObject({ hint: expect.stringContaining('--date-format') })
    await write('d', await csv('d\n13/02/2026\n01/02/2026\n'))
    const info = await repo.show('main', 'd')
    expect(info.table!.properties['dv.csv.date-format']).toBe('%d/%m/%Y')
    // the next file is ambiguous on its own: the table's format decides (1 February, not 2 January)
    await write('d', await csv('d\n01/02/2026\n'))
    expect(await cat('d')).toBe('d\n2026-02-13\n2026-02-01\n2026-02-01\n')
  })

  it('reads dates with --date-format as given', async () => {
    await write('dm', await csv('d\n01/02/2026\n'), { csv: { dateFormat: '%m/%d/%Y' } })
    expect(await cat('dm')).toBe('d\n2026-01-02\n')
  })
})

describe('an existing table reads CSV and NDJSON with its own types', () => {
  it('appends a batch whose nullable column is empty everywhere (CSV and NDJSON)', async () => {
    await write('f', await csv('id,f\n1,1.5\n'))
    await write('f', await csv('id,f\n2,\n3,\n'))
    await write('f', await ndjson('{"id":4,"f":null}\n'))
    expect(await columns('f')).toEqual({ id: 'long', f: 'double' })
    expect(await cat('f')).toBe('id,f\n1,1.5\n2,\n3,\n4,\n')
  })

  it('takes CSV appends into a table made from int32 Parquet, and names the line, column and both types of a value that does not fit', async () => {
    await write('i32', await duckParquet('SELECT 1::INTEGER AS id, 10::SMALLINT AS s'))
    expect(await columns('i32')).toEqual({ id: 'int', s: 'int' })
    await write('i32', await csv('id,s\n2,20\n'))
    expect(await cat('i32')).toBe('id,s\n1,10\n2,20\n')
    const err = await write('i32', await csv('id,s\n3,30\n4,3000000000\n')).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/line 3, column 's'.*table's type int/), details: { line: 3, column: 's', tableType: 'int', inputType: 'text' } })
    const json = await write('i32', await ndjson('{"id":5,"s":1}\n{"id":6,"s":"x"}\n{"id":7,"s":3000000000}\n')).catch((e: unknown) => e)
    expect(json).toMatchObject({ code: 'INVALID_ARGUMENT', details: { line: 2, column: 's', tableType: 'int', inputType: 'json' } })
  })

  it('names the NDJSON column whose value the engine failed on when several values of the line do not fit', async () => {
    await write('two_bad', await csv('id,d,amt\n1,2026-01-01,1.5\n'), { schema: 'id long, d date, amt decimal(10,2)' })
    // pandas' to_json writes dates as epoch milliseconds: 'd' does not fit, nor does 'amt'; the engine quotes one of them
    const err = await write('two_bad', await ndjson('{"id":2,"d":1767312000000,"amt":[1]}\n')).then(() => { throw new Error('the write was accepted') }, (e: DvError) => e)
    const quoted = /Unable to cast '([^']*)'|Failed to cast value to [a-z ]+: (.*)/.exec(err.message)
    expect(quoted, err.message).not.toBeNull()
    expect(err.details).toMatchObject({ line: 1, column: quoted![1] === '1767312000000' ? 'd' : 'amt' })
    expect(err.message).toContain(`column '${String(err.details!.column)}'`)
  })

  it('reads a missing nullable column as null and refuses a missing required one', async () => {
    await write('req', await csv('id,v\n1,a\n'), { schema: 'id long not null, v string, w double' })
    await write('req', await csv('id\n2\n'))
    expect(await cat('req')).toBe('id,v,w\n1,a,\n2,,\n')
    await refused('req', await csv('v\nb\n'), /lacks required column\(s\) 'id'/)
  })

  it('takes only values with an offset into an instant column, and refuses a wall-clock reading naming its line', async () => {
    await write('inst', await csv('id,ts\n1,2026-01-02T10:00:00+02:00\n'))
    expect(await columns('inst')).toEqual({ id: 'long', ts: 'timestamptz' })
    await write('inst', await csv('id,ts\n2,2026-01-02 10:00:00Z\n3,\n'))
    await refused('inst', await csv('id,ts\n4,2026-01-02 10:00:00-0530\n5,2026-01-02 10:00:00\n'), /record 2 \(line 3 without quoted line breaks before it\): value '2026-01-02 10:00:00' of column 'ts' has no UTC offset, but the table's column is timestamptz/)
    await refused('inst', await ndjson('{"id":6,"ts":"2026-01-02"}\n'), /record 1 \(line 1\): value "2026-01-02" of column 'ts' has no UTC offset/)
    await write('inst_ns', await ndjson('{"id":1,"ts":"2026-01-02T10:00:00.123456789+01:00"}\n'), { schema: 'id long, ts timestamptz_ns' })
    await refused('inst_ns', await csv('id,ts\n2,2026-01-02T10:00:00.000000001\n'), /'ts' has no UTC offset, but the table's column is timestamptz_ns/)
    expect(await cat('inst')).toBe('id,ts\n1,2026-01-02 08:00:00+00\n2,2026-01-02 10:00:00+00\n3,\n')
    expect(await cat('inst_ns')).toBe('id,ts\n1,2026-01-02 09:00:00.123456789+00\n')
  })

  it('widens a narrower input exactly and refuses any other type, naming the column and both types', async () => {
    await write('wide', await csv('id,x,d\n1,1.5,2026-01-01 10:00:00\n'), { schema: 'id long, x double, d timestamp' })
    await write('wide', await duckParquet("SELECT 2::INTEGER AS id, 2.5::FLOAT AS x, DATE '2026-01-02' AS d"))
    expect(await cat('wide')).toBe('id,x,d\n1,1.5,2026-01-01 10:00:00\n2,2.5,2026-01-02 00:00:00\n')
    await refused('wide', await duckParquet("SELECT 'x' AS id"), /column 'id' is string in .* but long in table 'wide'/)
    await write('narrow', await duckParquet('SELECT 1::INTEGER AS id'))
    await refused('narrow', await duckParquet('SELECT 2::BIGINT AS id'), /column 'id' is long in .* but int in table 'narrow'/)
  })
})

describe('headers and empty input', () => {
  it('refuses duplicate, empty and case-only duplicate header names instead of renaming them', async () => {
    await refused('h', await csv('id,v,id\n1,2,3\n'), /names column 'id' twice \(columns 1 and 3\)/)
    await refused('h', await csv('id,,v\n1,2,3\n'), /column 2 of the header of .* has no name/)
    await refused('h', await csv('ID,v,id\n1,2,3\n'), /columns 'ID' and 'id' \(columns 1 and 3\), which differ only in case/)
    // and against the table's columns: dv's message, not the engine's binder error
    await write('h', await csv('id,v\n1,a\n'))
    await refused('h', await csv('ID,v\n2,b\n'), /column 'ID' of .* differs only in case from column 'id' of table 'h'/)
  })

  it('refuses a 0-byte file for a new table ("no columns: give --schema"), never making a column0', async () => {
    const empty = await csv('')
    await refused('e', empty, /no columns: .* is empty/)
    await expect(write('e', empty)).rejects.toMatchObject({ hint: expect.stringContaining('--schema') })
    await refused('e', empty, /has no rows/, { schema: 'id long, v string' })
    const r = await write('e', empty, { schema: 'id long, v string', allowEmpty: true })
    expect(r).toMatchObject({ created: true, rows: 0, files: 0 })
    expect(await columns('e')).toEqual({ id: 'long', v: 'string' })
  })

  it('appends nothing from an input without rows unless allowed', async () => {
    await write('few', await csv('id\n1\n'))
    await refused('few', await csv('id\n'), /has no rows: nothing to write to table 'few'/)
    await refused('few', await csv(''), /has no rows/)
    await refused('few', await ndjson(''), /has no rows/)
    const r = await write('few', await csv('id\n'), { allowEmpty: true })
    expect(r).toMatchObject({ rows: 0, files: 0 })
    expect(await cat('few')).toBe('id\n1\n')
  })
})

describe('--schema for a new table', () => {
  it('reads the input with the declared types', async () => {
    await write('typed', await csv('id,code,amount\n1,007,12.30\n'), { schema: 'id int not null, code string, amount decimal(10,2)' })
    expect(await columns('typed')).toEqual({ id: 'int', code: 'string', amount: 'decimal(10,2)' })
    expect(await cat('typed')).toBe('id,code,amount\n1,007,12.30\n')
  })

  it('takes the JSON form from a file (@FILE)', async () => {
    const schema = await file('json', JSON.stringify({ fields: [{ id: 1, name: 'id', type: 'long', required: true }, { id: 2, name: 'u', type: 'uuid', required: false }] }))
    await write('json_schema', await csv('id,u\n1,5D1E8F3A-92B4-4C7E-A1D6-0F2B9C8E7A41\n'), { schema: `@${schema}` })
    expect(await columns('json_schema')).toEqual({ id: 'long', u: 'uuid' })
    expect(await cat('json_schema')).toBe('id,u\n1,5d1e8f3a-92b4-4c7e-a1d6-0f2b9c8e7a41\n')
  })

  it('refuses a schema that does not parse (naming the position), input columns it lacks, and disagreement with an existing table', async () => {
    await refused('bad', await csv('id\n1\n'), /column 9/, { schema: 'id long,, v string' })
    await refused('bad', await csv('id,extra\n1,2\n'), /column\(s\) 'extra' that --schema lacks/, { schema: 'id long' })
    await write('agree', await csv('id\n1\n'), { schema: 'id long' })
    await write('agree', await csv('id\n2\n'), { schema: 'id long' })
    await refused('agree', await csv('id\n3\n'), /--schema disagrees with table 'agree'/, { schema: 'id int' })
  })
})

describe('CSV options', () => {
  it('reads the dialect given and keeps it as table properties for later appends', async () => {
    await write('semi', await csv("id;name;note\n1;'a;b';NA\n"), { csv: { delimiter: ';', quote: "'", nullString: 'NA' } })
    expect((await repo.show('main', 'semi')).table!.properties).toEqual({ 'dv.csv.delimiter': ';', 'dv.csv.quote': "'", 'dv.csv.null': 'NA' })
    await write('semi', await csv("id;name;note\n2;'c';x\n"))
    expect(await cat('semi', 'ndjson')).toBe('{"id":1,"name":"a;b","note":null}\n{"id":2,"name":"c","note":"x"}\n')
  })

  it('reads a header-less file as the table\'s columns, in order', async () => {
    await write('nohdr', await csv('id,v\n1,a\n'))
    await write('nohdr', await csv('2,b\n'), { csv: { header: false } })
    expect(await cat('nohdr')).toBe('id,v\n1,a\n2,b\n')
    await refused('nohdr_new', await csv('1,a\n'), /has no header row/, { csv: { header: false } })
  })

  it('reads gzip and zstd by the extension (.csv.gz, .csv.zst) or by --compression', async () => {
    await write('gz', await file('csv.gz', gzipSync('id\n1\n')))
    await write('gz', await file('bin', gzipSync('id\n2\n')), { format: 'csv', csv: { compression: 'gzip' } })
    await write('gz', await duckFile('csv.zst', 'SELECT 3 AS id', 'FORMAT csv, COMPRESSION zstd'))
    expect(await cat('gz')).toBe('id\n1\n2\n3\n')
  })

  it('refuses a delimiter of more than one character', async () => {
    await refused('delim', await csv('a\n1\n'), /--delimiter must be one character/, { csv: { delimiter: ';;' } })
  })
})

describe('refused types', () => {
  it('names the column and the type of geometry and variant input', async () => {
    const geo = await duckParquet("SELECT 1 AS id, 'POINT(1 2)'::GEOMETRY AS shape")
    await expect(write('geo', geo)).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/column 'shape' of .* has type geometry/) })
    const variant = await duckParquet('SELECT 1 AS id, 1::VARIANT AS v')
    await expect(write('variant', variant)).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/column 'v' of .* has type variant/) })
  })
})
