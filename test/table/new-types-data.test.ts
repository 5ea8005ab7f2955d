/**
 * The primitive types of table kind v2 through the data plane: time,
 * timestamp_ns, timestamptz_ns, uuid, fixed(L), and unsigned integers mapped
 * losslessly. Nanoseconds round-trip exactly (pandas' default), through text
 * output, Parquet output (read back by pyarrow) and the library's Arrow batches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeData, makeVector, Table, TimestampNanosecond, vectorFromArray } from 'apache-arrow'
import { Repository, type WriteOptions } from '../../src/index.js'
import { TextSink } from '../support/text-sink.js'
import { runPython, testPython } from '../support/python.js'

let dir: string
let repo: Repository
let seq = 0
const python = testPython('new-types-data (pandas and pyarrow writers)')

async function file(ext: string, text: string): Promise<string> {
  const p = join(dir, `in-${seq++}.${ext}`)
  await writeFile(p, text)
  return p
}
async function write(table: string, source: string | Table, options: WriteOptions = {}) {
  return repo.write(table, source, { commit: true, message: `write ${table}`, ...options })
}
async function cat(table: string, format: 'csv' | 'ndjson' = 'csv'): Promise<string> {
  const s = new TextSink()
  await repo.cat(table, s, { format })
  return s.text
}
async function types(table: string): Promise<Record<string, string>> {
  return Object.fromEntries((await repo.show('main', table)).table!.columns.map((c) => [c.name, c.type]))
}
/** The int64 values of a timestamp column in the library's Arrow batches (nanoseconds since the epoch). */
async function arrowNanos(table: string, column: string): Promise<bigint[]> {
  const out: bigint[] = []
  for await (const batch of repo.scan(table)) {
    const data = batch.getChild(column)!.data[0]!
    out.push(...(data.values as BigInt64Array).subarray(0, data.length))
  }
  return out
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-new-types-'))
  repo = await Repository.init(join(dir, 'lake'), { author: 'types' })
})
afterAll(async () => {
  await repo.close()
  await rm(dir, { recursive: true, force: true })
})

describe('new primitive types from text input', () => {
  it('reads time, timestamp_ns, timestamptz_ns, uuid and fixed(L) with --schema, and prints them in canonical form', async () => {
    const input = await file('csv', [
      'id,t,ns,tz,u,f',
      '1,09:30:00.25,2026-01-02 03:04:05.123456789,2026-01-02 03:04:05.000000001+02:00,5D1E8F3A-92B4-4C7E-A1D6-0F2B9C8E7A41,\\x00\\xff',
      '2,,1900-01-01 00:00:00.000000001,1970-01-01 00:00:00Z,,',
    ].join('\n') + '\n')
    await write('kinds', input, { schema: 'id int, t time, ns timestamp_ns, tz timestamptz_ns, u uuid, f fixed(2)' })
    expect(await types('kinds')).toEqual({ id: 'int', t: 'time', ns: 'timestamp_ns', tz: 'timestamptz_ns', u: 'uuid', f: 'fixed(2)' })
    expect(await cat('kinds', 'ndjson')).toBe([
      '{"id":1,"t":"09:30:00.25","ns":"2026-01-02 03:04:05.123456789","tz":"2026-01-02 01:04:05.000000001+00","u":"5d1e8f3a-92b4-4c7e-a1d6-0f2b9c8e7a41","f":"\\\\x00\\\\xFF"}',
      '{"id":2,"t":null,"ns":"1900-01-01 00:00:00.000000001","tz":"1970-01-01 00:00:00+00","u":null,"f":null}',
    ].join('\n') + '\n')
    const info = (await repo.show('main', 'kinds')).table!.columns
    expect(info.find((c) => c.name === 'ns')).toMatchObject({ min: '1900-01-01T00:00:00.000000001', max: '2026-01-02T03:04:05.123456789' })
    expect(info.find((c) => c.name === 'tz')).toMatchObject({ min: '1970-01-01T00:00:00.000000000Z', max: '2026-01-02T01:04:05.000000001Z' })
    expect(info.find((c) => c.name === 'u')).toMatchObject({ min: '5d1e8f3a-92b4-4c7e-a1d6-0f2b9c8e7a41' })
    expect(info.find((c) => c.name === 'f')).toMatchObject({ min: '00ff', max: '00ff' })
    expect(info.find((c) => c.name === 't')).toMatchObject({ min: '09:30:00.250000' })
    // the library's Arrow batches: nanoseconds as int64, timestamptz_ns with its zone
    const batches = []
    for await (const b of repo.scan('kinds')) batches.push(b)
    const tz = batches[0]!.schema.fields.find((f) => f.name === 'tz')!
    expect(String(tz.type)).toBe('Timestamp<NANOSECOND, UTC>')
    expect(batches[0]!.getChild('ns')!.data[0]!.values[0]).toBe(1767323045123456789n)
  })

  // pandas' to_csv spells datetime64[ns] with nine digits; DuckDB's sniffer would read microseconds
  it('infers timestamp_ns for a CSV column whose timestamps have nanoseconds, and keeps every digit', async () => {
    const input = await file('csv', 'id,ts,us\n1,2026-01-02 03:04:05.123456789,2026-01-02 03:04:05.123456\n2,2026-01-02 03:04:05.5,\n')
    await write('inferns', input)
    expect(await types('inferns')).toEqual({ id: 'long', ts: 'timestamp_ns', us: 'timestamp' })
    expect(await cat('inferns')).toBe('id,ts,us\n1,2026-01-02 03:04:05.123456789,2026-01-02 03:04:05.123456\n2,2026-01-02 03:04:05.5,\n')
  })

  it("refuses pandas' Timestamp.max in a CSV (the engine's infinity), naming the record and the column, and writes nothing", async () => {
    const head = await repo.resolve('main')
    const input = await file('csv', 'id,ts\n1,2026-01-02 03:04:05.123456789\n2,2262-04-11 23:47:16.854775807\n')
    const e = await write('tsmax', input).then(() => undefined, (x: unknown) => x)
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', details: { record: 2, line: 3, column: 'ts', value: '2262-04-11 23:47:16.854775807' } })
    expect((e as Error).message).toContain("timestamp '2262-04-11 23:47:16.854775807' of column 'ts' has nanoseconds but is beyond the timestamp_ns range")
    expect(await repo.resolve('main')).toBe(head)
    // its text is kept when the user asks for it
    await write('tsmax', input, { schema: 'id long, ts string' })
    expect(await cat('tsmax')).toBe('id,ts\n1,2026-01-02 03:04:05.123456789\n2,2262-04-11 23:47:16.854775807\n')
  })

  it("refuses a CSV or NDJSON timestamp with nanoseconds into a table's microsecond column rather than cutting it; zeros past the sixth digit are kept", async () => {
    await write('micro', await file('csv', 'id,ts\n1,2026-01-02 03:04:05.123456\n'))
    expect(await types('micro')).toEqual({ id: 'long', ts: 'timestamp' })
    const head = await repo.resolve('main')
    const csv = await write('micro', await file('csv', 'id,ts\n2,2026-01-02 03:04:05.123456000\n3,2026-01-02 03:04:05.123456789\n')).then(() => undefined, (x: unknown) => x)
    expect(csv).toMatchObject({ code: 'INVALID_ARGUMENT', details: { record: 2, line: 3, column: 'ts', value: '2026-01-02 03:04:05.123456789', tableType: 'timestamp' } })
    expect((csv as Error).message).toContain("the table's column is timestamp (microseconds), and dv does not cut them")
    const json = await write('micro', await file('ndjson', '{"id":2,"ts":"2026-01-02T03:04:05.1234567"}\n')).then(() => undefined, (x: unknown) => x)
    expect(json).toMatchObject({ code: 'INVALID_ARGUMENT', details: { record: 1, line: 1, column: 'ts' } })
    expect(await repo.resolve('main')).toBe(head)
    await write('micro', await file('csv', 'id,ts\n2,2026-01-02 03:04:05.123456000\n'))
    expect(await cat('micro')).toBe('id,ts\n1,2026-01-02 03:04:05.123456\n2,2026-01-02 03:04:05.123456\n')
  })

  it('refuses a fixed(L) value of another length, naming the column', async () => {
    await write('fx', await file('csv', 'f\n\\x01\\x02\n'), { schema: 'f fixed(2)' })
    await expect(write('fx', await file('csv', 'f\n\\x01\\x02\\x03\n'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/column 'f'.*fixed\(2\)/) })
  })

  it('prunes and filters on the new types', async () => {
    const s = new TextSink()
    const r = await repo.cat('kinds', s, { format: 'csv', columns: ['id'], where: "ns < '2000-01-01' AND u IS NULL" })
    expect(s.text).toBe('id\n2\n')
    expect(r.rows).toBe(1)
  })
})

describe('Arrow input', () => {
  it('keeps every nanosecond of a Timestamp(ns, UTC) column (DuckDB alone would cut it to microseconds)', async () => {
    const ts = makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: 2, nullCount: 0, data: new BigInt64Array([1767323045123456789n, 1n]) }))
    const table = new Table({ id: vectorFromArray(new Int32Array([1, 2])), ts })
    await write('arrow_tz', table)
    expect(await types('arrow_tz')).toMatchObject({ ts: 'timestamptz_ns' })
    expect(await cat('arrow_tz')).toBe('id,ts\n1,2026-01-02 03:04:05.123456789+00\n2,1970-01-01 00:00:00.000000001+00\n')
    expect(await arrowNanos('arrow_tz', 'ts')).toEqual([1767323045123456789n, 1n])
  })
})

describe.skipIf(!python)('files from pandas and pyarrow', () => {
  let files: Record<string, string>
  beforeAll(async () => {
    const script = join(dir, 'make.py')
    await writeFile(script, `
import sys, uuid, pandas as pd, pyarrow as pa, pyarrow.parquet as pq
out = sys.argv[1]
pd.DataFrame({'id': [1, 2], 'ts': pd.to_datetime(['2026-01-02 03:04:05.123456789', '1970-01-01 00:00:00.000000001'])}).to_parquet(out + '/naive.parquet')
pd.DataFrame({'id': [1, 2], 'ts': pd.to_datetime(['2026-01-02 03:04:05.123456789+02:00', '1677-09-22 00:00:00.000000001Z'], utc=True)}).to_parquet(out + '/tz.parquet')
pq.write_table(pa.table({
  'u8': pa.array([255, 0], pa.uint8()), 'u16': pa.array([65535, 0], pa.uint16()),
  'u32': pa.array([4294967295, 0], pa.uint32()), 'u64': pa.array([18446744073709551615, 0], pa.uint64()),
  'u': pa.array([uuid.UUID('5d1e8f3a-92b4-4c7e-a1d6-0f2b9c8e7a41').bytes, None], pa.uuid()),
  't': pa.array([34200250000, None], pa.time64('us')),
}), out + '/unsigned.parquet')
pq.write_table(pa.table({'t': pa.array([1], pa.time64('ns'))}), out + '/time-ns.parquet')
`)
    await runPython(python!, script, [dir])
    files = { naive: join(dir, 'naive.parquet'), tz: join(dir, 'tz.parquet'), unsigned: join(dir, 'unsigned.parquet'), timeNs: join(dir, 'time-ns.parquet') }
  })

  async function pyarrowInts(parquet: string): Promise<string> {
    const script = join(dir, 'read.py')
    await writeFile(script, `
import sys, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
print(t.column('ts').cast('int64').to_pylist())
`)
    return (await runPython(python!, script, [parquet])).trim()
  }

  it('round-trips pandas nanosecond timestamps exactly, naive and tz-aware, in every output', async () => {
    await write('naive', files.naive)
    await write('aware', files.tz)
    expect(await types('naive')).toEqual({ id: 'long', ts: 'timestamp_ns' })
    expect(await types('aware')).toEqual({ id: 'long', ts: 'timestamptz_ns' })
    expect(await cat('naive')).toBe('id,ts\n1,2026-01-02 03:04:05.123456789\n2,1970-01-01 00:00:00.000000001\n')
    expect(await cat('aware', 'ndjson')).toBe('{"id":1,"ts":"2026-01-02 01:04:05.123456789+00"}\n{"id":2,"ts":"1677-09-22 00:00:00.000000001+00"}\n')
    for (const table of ['naive', 'aware']) {
      const out = join(dir, `${table}-out.parquet`)
      const s = new TextSink()
      await repo.cat(table, s, { format: 'parquet' })
      await writeFile(out, s.bytes)
      const expected = table === 'naive' ? '[1767323045123456789, 1]' : '[1767315845123456789, -9223286399999999999]'
      expect(await pyarrowInts(out)).toBe(expected)
    }
    expect(await arrowNanos('aware', 'ts')).toEqual([1767315845123456789n, -9223286399999999999n])
    // appending the same file again keeps the type (timestamptz_ns into timestamptz_ns)
    await write('aware', files.tz)
    expect((await cat('aware')).split('\n').length).toBe(6)
  })

  it('maps unsigned integers losslessly and reads uuid and time', async () => {
    await write('unsigned', files.unsigned)
    expect(await types('unsigned')).toEqual({ u8: 'int', u16: 'int', u32: 'long', u64: 'decimal(20,0)', u: 'uuid', t: 'time' })
    expect(await cat('unsigned')).toBe('u8,u16,u32,u64,u,t\n255,65535,4294967295,18446744073709551615,5d1e8f3a-92b4-4c7e-a1d6-0f2b9c8e7a41,09:30:00.25\n0,0,0,0,,\n')
  })

  it('refuses a nanosecond time of day rather than cutting it', async () => {
    await expect(write('timens', files.timeNs)).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/column 't' of .* has type TIME_NS/) })
  })
})
