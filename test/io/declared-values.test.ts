/**
 * Values read into columns the table declares (src/io/declared-check.ts):
 * DuckDB's casts would round 1.5 into a long column, read 0x10 as 16, drop a
 * date's time of day or a timestamp's UTC offset, and cut a time's
 * nanoseconds. An append (and a new table with --schema) refuses such a value
 * naming the record, the column, the value and the table's type, and writes
 * nothing; what reads exactly (1e3 in a long column, "16" as JSON, a midnight
 * date, a zero offset) is kept, with the value it spells (issue 8).
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository, type DvError } from '../../src/index.js'
import { TextSink } from '../support/text-sink.js'
import { useTempDir } from '../support/temp-dir.js'
import { refusedWrite } from '../support/refused-write.js'

const dir = useTempDir('dv-declared-values-')
const SCHEMA = 'id long, i int, m decimal(10,2), d date, ts timestamp, t time, s string, f float, x double'
const HEADER = 'id,i,m,d,ts,t,s,f,x'
const GOOD = { i: '1', m: '1.25', d: '2026-01-01', ts: '2026-01-01 10:00:00', t: '10:00:00', s: 'x', f: '0.5', x: '2.5' }
let r: Repository
let n = 0

beforeAll(async () => {
  r = await Repository.init(join(dir.path, 'repo'), { author: 'test' })
  await r.write('t', await csvOf([{ id: 0 }]), { schema: SCHEMA, commit: true, message: 'create' })
})
afterAll(() => r.close())

type Row = Partial<typeof GOOD> & { id: number }

/** A CSV file of `rows`, each column the good value unless the row gives it. */
async function csvOf(rows: Row[]): Promise<string> {
  const path = join(dir.path, `in-${n++}.csv`)
  const line = (row: Row) => [row.id, ...Object.keys(GOOD).map((k) => (row as Record<string, unknown>)[k] ?? (GOOD as Record<string, string>)[k])].join(',')
  await writeFile(path, [HEADER, ...rows.map(line)].join('\n') + '\n')
  return path
}

/** An NDJSON file of `rows` as given (a record has only the keys it names). */
async function ndjsonOf(rows: Array<Record<string, unknown>>): Promise<string> {
  const path = join(dir.path, `in-${n++}.ndjson`)
  await writeFile(path, rows.map((row) => JSON.stringify(row)).join('\n') + '\n')
  return path
}

/** Appends `path` to table t and expects a refusal that writes nothing. */
const refused = (path: string) => refusedWrite(r, path)

/** Appends `path` and returns the row with id `id` as its NDJSON line. */
async function appended(path: string, id: string): Promise<string> {
  await r.write('t', path, { commit: true, message: 'append' })
  const out = new TextSink()
  await r.cat('t', out, { where: `id = ${id}`, format: 'ndjson' })
  return out.text.trim()
}

describe('CSV: a value the cast to the declared type would change is refused', () => {
  it.each([
    ['a fraction in a long column', 'id', '1.5', 'long'],
    ['a fraction in an int column', 'i', '2.50', 'int'],
    ['hex in an int column', 'i', '0x10', 'int'],
    ['binary in an int column', 'i', '0b101', 'int'],
    ['digit separators in an int column', 'i', '1_000', 'int'],
    ['a fraction with an exponent in an int column', 'i', '1.25e1', 'int'],
    ['more fractional digits than the scale', 'm', '1.555', 'decimal(10,2)'],
    ['an exponent past the scale', 'm', '1.5e-3', 'decimal(10,2)'],
    ['a padded fraction in a long column', 'id', ' 2.5 ', 'long'],
    ['a time of day in a date column', 'd', '2026-01-02 10:00:00', 'date'],
    ['a UTC offset in a timestamp column', 'ts', '2026-01-01 00:00:00+02', 'timestamp'],
    ['a negative offset in a timestamp column', 'ts', '2026-01-01T00:00:00-05:30', 'timestamp'],
    ['nanoseconds in a time column', 't', '10:00:00.123456789', 'time'],
    ['more digits than a float holds', 'f', '123456789.123', 'float'],
    ['a float beyond its range (read as infinity)', 'f', '1e300', 'float'],
    ['a float below its range (read as zero)', 'f', '1e-50', 'float'],
    ['a double beyond its range (read as infinity)', 'x', '-1e400', 'double'],
    ['a double below its range (read as zero)', 'x', '2.5e-400', 'double'],
  ])('%s', async (_, column, value, type) => {
    const row = column === 'id' ? { id: value as unknown as number } : { id: 2, [column]: value }
    const e = await refused(await csvOf([{ id: 1 }, row]))
    expect(e.message).toContain(`record 2 (line 3 without quoted line breaks before it): value '${value}' of column '${column}'`)
    expect(e.message).toContain(`but the table's column is ${type}, and dv does not convert it`)
    expect(e.details).toMatchObject({ record: 2, line: 3, column, value, tableType: type })
  }, 30_000)

  it('keeps what reads exactly: 1e3 and 2.0 in integer columns, trailing zeros past the scale, a midnight date, a zero offset', async () => {
    const row = await appended(await csvOf([{ id: '1e3' as unknown as number, i: '2.0', m: '1.1e-1', d: '2026-01-02 00:00:00', ts: '2026-01-01 10:00:00+00:00', t: '10:00:00.123456000' }]), '1000')
    expect(JSON.parse(row)).toEqual({ id: 1000, i: 2, m: 0.11, d: '2026-01-02', ts: '2026-01-01 10:00:00', t: '10:00:00.123456', s: 'x', f: 0.5, x: 2.5 })
  }, 30_000)

  it('keeps the floats and doubles a float or double reads back: 0.1, 3.4028235e38, 16777216, inf; 1e308, -Infinity, 0e-5', async () => {
    const path = await csvOf([
      { id: 30, f: '0.1', x: '1e308' },
      { id: 31, f: '3.4028235e38', x: '-Infinity' },
      { id: 32, f: '16777216', x: '0e-5' },
      { id: 33, f: 'inf', x: '1.7976931348623157e308' },
    ])
    await r.write('t', path, { commit: true, message: 'floats' })
    const out = new TextSink()
    await r.cat('t', out, { where: 'id BETWEEN 30 AND 33', format: 'csv', columns: ['id', 'f', 'x'] })
    expect(out.text).toBe('id,f,x\n30,0.1,1e+308\n31,3.4028235e+38,-inf\n32,16777216.0,0.0\n33,inf,1.7976931348623157e+308\n')
  }, 30_000)

  it('a date format of the write decides what a date column reads', async () => {
    const path = await csvOf([{ id: 7, d: '02/01/2026 10:00' }])
    await r.write('t', path, { commit: true, message: 'formatted', csv: { dateFormat: '%d/%m/%Y %H:%M' } })
    const out = new TextSink()
    await r.cat('t', out, { where: 'id = 7', format: 'ndjson' })
    expect(JSON.parse(out.text).d).toBe('2026-01-02')
  }, 30_000)

  it("dates whose day/month order no value decides are refused, not guessed; a deciding value or --date-format reads them", async () => {
    const path = await csvOf([{ id: 20, d: '01/02/2026' }, { id: 21, d: '03/04/2026' }])
    const e = await refused(path)
    expect(e.message).toContain("column 'd' has values like '01/02/2026' that read both as %d/%m/%Y and as %m/%d/%Y, and no value decides")
    expect(e.hint).toContain('--date-format')
    await r.write('t', path, { commit: true, message: 'told', csv: { dateFormat: '%m/%d/%Y' } })
    const decided = await csvOf([{ id: 22, d: '01/02/2026' }, { id: 23, d: '13/04/2026' }])
    await r.write('t', decided, { commit: true, message: 'decided' })
    const out = new TextSink()
    await r.cat('t', out, { where: 'id BETWEEN 20 AND 23', format: 'csv', columns: ['id', 'd'] })
    expect(out.text).toBe('id,d\n20,2026-01-02\n21,2026-03-04\n22,2026-02-01\n23,2026-04-13\n')
  }, 30_000)

  it('a new table with --schema is checked the same way', async () => {
    const e = await r.write('fresh', await csvOf([{ id: 1, m: '0.125' }]), { schema: SCHEMA }).then(() => undefined, (x: DvError) => x)
    expect(e?.message).toContain("value '0.125' of column 'm' is not a number with at most 2 fractional digits")
    expect((await r.status()).staged).toEqual([])
  }, 30_000)
})

describe('NDJSON: a value the cast to the declared type would change is refused', () => {
  it.each([
    ['a fraction in a long column', 'id', 1.5, '1.5'],
    ['a boolean in an int column', 'i', true, 'true'],
    ['a hex string in an int column', 'i', '0x10', '"0x10"'],
    ['a fraction as a string in an int column', 'i', '1.5', '"1.5"'],
    ['more fractional digits than the scale', 'm', 1.555, '1.555'],
    ['a boolean in a decimal column', 'm', false, 'false'],
    ['a time of day in a date column', 'd', '2026-01-02T10:00:00', '"2026-01-02T10:00:00"'],
    ['a UTC offset in a timestamp column', 'ts', '2026-01-01T00:00:00+02:00', '"2026-01-01T00:00:00+02:00"'],
    ['nanoseconds in a time column', 't', '10:00:00.123456789', '"10:00:00.123456789"'],
    ['more digits than a float holds', 'f', 3.14159265, '3.14159265'],
    ['a float beyond its range', 'f', 1e300, '1e300'],
    ['a string of more digits than a float holds', 'f', '123456789.5', '"123456789.5"'],
  ])('%s', async (_, column, value, shown) => {
    const e = await refused(await ndjsonOf([{ id: 1 }, { id: 2, [column]: value }]))
    expect(e.message).toContain(`record 2 (line 2): value ${shown} of column '${column}'`)
    expect(e.details).toMatchObject({ record: 2, line: 2, column })
  }, 30_000)

  it('keeps what reads exactly: an int64 as a string of digits, 1e3, a midnight date (as pandas writes it), Z', async () => {
    // (1e3 is written as the text 1e3, which JSON.stringify would print as 1000)
    const path = join(dir.path, 'exact.ndjson')
    await writeFile(path, '{"id":"9007199254740993","i":1e3,"m":1.250,"d":"2026-01-02T00:00:00.000","ts":"2026-01-01T10:00:00Z"}\n')
    const row = await appended(path, '9007199254740993')
    expect(row).toContain('"id":9007199254740993,')
    expect(JSON.parse(row)).toMatchObject({ i: 1000, m: 1.25, d: '2026-01-02', ts: '2026-01-01 10:00:00' })
  }, 30_000)
})
