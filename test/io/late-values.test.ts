/**
 * Values after the sample (src/io/sample-check.ts): DuckDB chooses CSV and
 * NDJSON column types from the first 20,480 records. A later value of another
 * kind is either read losslessly (the types are then learnt from every record)
 * or refused naming the file, the line, the column and both types: never
 * converted silently (issue 8). Every input here is made in the test with
 * more records than the sample.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { TextSink } from '../support/text-sink.js'
import { refusedWrite } from '../support/refused-write.js'

const SAMPLE = 20_480
let dir: string
let n = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-late-values-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

/** An NDJSON file of SAMPLE records {id, v: early(i)}, then one {id, v: late}. */
async function ndjson(early: (i: number) => unknown, late: unknown): Promise<string> {
  const path = join(dir, `in-${n++}.ndjson`)
  const lines = Array.from({ length: SAMPLE }, (_, i) => JSON.stringify({ id: i, v: early(i) }))
  await writeFile(path, [...lines, JSON.stringify({ id: SAMPLE, v: late })].join('\n') + '\n')
  return path
}

/** A CSV file (header id,v) of SAMPLE rows with v = early(i), then one with v = late. */
async function csv(early: (i: number) => string, late: string): Promise<string> {
  const path = join(dir, `in-${n++}.csv`)
  const lines = Array.from({ length: SAMPLE }, (_, i) => `${i},${early(i)}`)
  await writeFile(path, ['id,v', ...lines, `${SAMPLE},${late}`].join('\n') + '\n')
  return path
}

async function lastRow(r: Repository, table: string): Promise<string> {
  const out = new TextSink()
  await r.cat(table, out, { where: `id = ${SAMPLE}`, format: 'ndjson' })
  return out.text.trim()
}

/** Writes `path` to a new table and expects a refusal that leaves the repository as it was. */
const refused = refusedWrite

describe('NDJSON: a late value of another JSON type is refused, naming the line, the column and both types', () => {
  let r: Repository
  beforeAll(async () => {
    r = await Repository.init(join(dir, 'ndjson'), { author: 'test' })
  })
  afterAll(() => r.close())

  it.each([
    ['an object in a string column', (i: number) => `s${i}`, { a: 1 }, 'string', 'object'],
    ['an array in a string column', (i: number) => `s${i}`, [1, 2], 'string', 'array'],
    ['a number in a string column', (i: number) => `s${i}`, 5, 'string', 'number'],
    ['a boolean in a string column', (i: number) => `s${i}`, true, 'string', 'boolean'],
    ['a string in a number column', (i: number) => i, '12', 'number', 'string'],
    ['a string in a boolean column', () => true, 'yes', 'boolean', 'string'],
    ['a number in a struct column', (i: number) => ({ a: i }), 7, 'object', 'number'],
    ['a string in a list column', (i: number) => [i], 'x', 'array', 'string'],
  ] as const)('%s', async (_, early, late, sampled, found) => {
    const e = await refused(r, await ndjson(early, late))
    expect(e.message).toContain(`key 'v' holds ${/^[aeiou]/.test(sampled) ? 'an' : 'a'} ${sampled} on line 1 and ${/^[aeiou]/.test(found) ? 'an' : 'a'} ${found} on line ${SAMPLE + 1}`)
    expect(e.message).toContain(`after the first 20,480 records, from which the column's type was chosen: ${sampled}`)
    expect(e.message).toContain('in-')
    expect(e.details).toMatchObject({ column: 'v', lines: [1, SAMPLE + 1], types: [sampled, found] })
    expect(e.hint).toContain('--schema "v string')
  }, 60_000)

  it('a later fraction in a column sampled as integers reads as double, losslessly (not rounded)', async () => {
    await r.write('fraction', await ndjson((i) => i, 1.5), { commit: true, message: 'fraction' })
    expect((await r.show('HEAD', 'fraction')).table!.columns.find((c) => c.name === 'v')!.type).toBe('double')
    expect(await lastRow(r, 'fraction')).toBe(`{"id":${SAMPLE},"v":1.5}`)
  }, 60_000)

  it('a later integer beyond 64 bits in a column sampled as integers reads exactly, as decimal(38,0)', async () => {
    // written as text: a JS number would round it; the JSON parser types it a double, found by its length
    const path = join(dir, 'big.ndjson')
    const lines = Array.from({ length: SAMPLE }, (_, i) => JSON.stringify({ id: i, v: i }))
    await writeFile(path, [...lines, `{"id":${SAMPLE},"v":123456789012345678901234567890}`].join('\n') + '\n')
    await r.write('big', path, { commit: true, message: 'big' })
    expect((await r.show('HEAD', 'big')).table!.columns.find((c) => c.name === 'v')!.type).toBe('decimal(38,0)')
    expect(await lastRow(r, 'big')).toBe(`{"id":${SAMPLE},"v":123456789012345678901234567890}`)
  }, 60_000)

  it('a column the user declares a string keeps every value, a late object as its JSON text', async () => {
    await r.write('declared', await ndjson((i) => `s${i}`, { a: 1 }), { commit: true, message: 'declared', schema: 'id long, v string' })
    expect(await lastRow(r, 'declared')).toBe(`{"id":${SAMPLE},"v":"{\\"a\\":1}"}`)
  }, 60_000)
})

describe('CSV: a late value DuckDB would convert is read losslessly or refused', () => {
  let r: Repository
  beforeAll(async () => {
    r = await Repository.init(join(dir, 'csv'), { author: 'test' })
  })
  afterAll(() => r.close())

  it.each([
    ['a fraction in an integer column: double', (i: number) => `${i}`, '1.5', 'double', `{"id":${SAMPLE},"v":1.5}`],
    ['an exponent in an integer column: double', (i: number) => `${i}`, '-2.5E-1', 'double', `{"id":${SAMPLE},"v":-0.25}`],
    ['a time of day in a date column: timestamp', () => '2026-01-02', '2026-01-02 10:00:00', 'timestamp', `{"id":${SAMPLE},"v":"2026-01-02 10:00:00"}`],
    // the integer cast reads 1_000 as 1000; the sniffer, given every record, reads the column as text
    ['a digit separator in an integer column: string, not 1000', (i: number) => `${i}`, '1_000', 'string', `{"id":${SAMPLE},"v":"1_000"}`],
  ] as const)('%s', async (name, early, late, type, row) => {
    const table = `t${n++}`
    await r.write(table, await csv(early, late), { commit: true, message: name })
    expect((await r.show('HEAD', table)).table!.columns.find((c) => c.name === 'v')!.type).toBe(type)
    expect(await lastRow(r, table)).toBe(row)
  }, 60_000)

  // the integer cast reads these as 16 and 5, and so does the sniffer given every record: refused, never converted
  it.each(['0x10', '0X1f', '0b101', '0B11'])('hex or binary late in an integer column is refused naming the record and the value (the cast would read a number): %s', async (late) => {
    const e = await refused(r, await csv((i) => `${i}`, late))
    expect(e.message).toContain(`record ${SAMPLE + 1} (line ${SAMPLE + 2}`)
    expect(e.message).toContain(`value '${late}' of column 'v' does not fit the column's type bigint`)
  }, 60_000)

  // every spelling of a UTC offset: the check's cheap pre-test must let each through to the exact one
  it.each(['2026-01-02 10:00:00+02:00', '2026-01-02 10:00:00-05:00', '2026-01-02 10:00:00.25-0530', '2026-01-02 10:00:00-05', '2026-01-02T10:00:00Z'])('a UTC offset late in a naive timestamp column is refused naming the record, the line, the column and the value (it would be dropped): %s', async (late) => {
    const e = await refused(r, await csv(() => '2026-01-02 10:00:00', late))
    expect(e.message).toContain(`record ${SAMPLE + 1} (line ${SAMPLE + 2}`)
    expect(e.message).toContain(`value '${late}' of column 'v' does not fit the column's type timestamp`)
    expect(e.details).toMatchObject({ column: 'v', record: SAMPLE + 1, line: SAMPLE + 2 })
  }, 60_000)
})
