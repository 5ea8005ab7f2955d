/**
 * Inputs that hit a limit of the data engine (src/io/limits.ts): dv's
 * defaults handle them (a key first seen after row 20,480, a value of another
 * type late in a column, a 17 MiB and a 40 MiB JSON record, a 10,000-column
 * CSV), and what still fails names dv's setting, never DuckDB's option.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { engineLimits, parseByteSize } from '../../src/io/limits.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { TextSink } from '../support/text-sink.js'

let dir: string
let n = 0
const saved = { memory: process.env.DV_MEMORY_LIMIT, record: process.env.DV_MAX_RECORD_BYTES }

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-limits-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))
afterEach(() => {
  for (const [key, value] of [['DV_MEMORY_LIMIT', saved.memory], ['DV_MAX_RECORD_BYTES', saved.record]] as const) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
})

async function repo(): Promise<Repository> {
  return Repository.init(join(dir, `r${n++}`), { author: 'test' })
}

async function file(name: string, lines: Iterable<string>): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, [...lines].join('\n') + '\n')
  return path
}

function* range(from: number, to: number): Generator<number> {
  for (let i = from; i < to; i++) yield i
}

async function rows(r: Repository, table: string, where: string): Promise<string[]> {
  const out = new TextSink()
  await r.cat(table, out, { where })
  return out.text.trim().split('\n')
}

/** No message or hint of dv names an option of DuckDB. */
function expectNoEngineOptions(e: { message: string; hint?: string }): void {
  for (const text of [e.message, e.hint ?? '']) expect(text).not.toMatch(/sample_size|maximum_object_size|max_line_size|memory_limit|ignore_errors|union_by_name/)
}

describe('columns learnt from a sample', () => {
  it('an NDJSON key first seen after row 25,000 is read (a new table, and an append to a table that has it)', async () => {
    const r = await repo()
    const late = await file('late.ndjson', [...range(0, 30000)].map((i) => JSON.stringify(i < 25000 ? { id: i } : { id: i, late: `x${i}` })))
    const w = await r.write('t', late, { commit: true, message: 'late' })
    expect(w.rows).toBe(30000)
    expect(await rows(r, 't', 'late IS NOT NULL')).toHaveLength(5001)
    expect((await r.write('t', late, { commit: true, message: 'again' })).rows).toBe(30000)
    // an existing table without the key reads the input with its own types: the late key is still learnt
    await r.write('u', await file('first.ndjson', [JSON.stringify({ id: -1 })]), { commit: true, message: 'first' })
    expect((await r.write('u', late, { commit: true, message: 'late' })).rows).toBe(30000)
    expect(await rows(r, 'u', 'late IS NOT NULL')).toHaveLength(5001)
    await r.close()
  })

  // (NDJSON, whose values have JSON types: a string late in a number column is refused, test/io/late-values.test.ts)
  it('a value of another type late in a new CSV column widens the column to string', async () => {
    const r = await repo()
    for (const [name, lines] of [
      ['late.csv', ['id,v', ...[...range(0, 30000)].map((i) => `${i},${i}`), '30000,N/A']],
    ] as const) {
      const table = name.replace(/[.-]/g, '_')
      expect((await r.write(table, await file(name, lines), { commit: true, message: name })).rows, name).toBe(30001)
      expect((await r.show('HEAD', table)).table!.columns.find((c) => c.name === 'v')!.type, name).toBe('string')
      // the late value is itself, not its JSON text ("oops" with quotes)
      expect(await rows(r, table, 'id >= 29999'), name).toEqual(['id,v', '29999,29999', `30000,${name.endsWith('.csv') ? 'N/A' : 'oops'}`])
    }
    await r.close()
  })

  it('a bad value late in a column the table already has is an error naming its line and column', async () => {
    const r = await repo()
    await r.write('t', await file('ints.csv', ['id,v', '1,1']), { commit: true, message: 'ints' })
    const bad = await file('bad.csv', ['id,v', ...[...range(0, 30000)].map((i) => `${i},${i}`), '30000,N/A'])
    const e = await catchDvError(() => r.write('t', bad, { commit: true, message: 'bad' }))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toMatch(/line 30002, column 'v'/)
    expectNoEngineOptions(e)
    await r.close()
  })
})

describe('long records', () => {
  it('reads NDJSON records of 17 MiB and 40 MiB by default', async () => {
    const r = await repo()
    for (const mib of [17, 40]) {
      const path = await file(`big-${mib}.ndjson`, [
        ...[...range(0, 50)].map((i) => JSON.stringify({ id: i, blob: 'b' })),
        JSON.stringify({ id: 1000, blob: 'a'.repeat(mib << 20) }),
      ])
      expect((await r.write(`big${mib}`, path, { commit: true, message: `${mib}` })).rows).toBe(51)
    }
    await r.close()
  })

  it('a record longer than DV_MAX_RECORD_BYTES, and a CSV line longer than 2 MB, name the setting', async () => {
    const r = await repo()
    process.env.DV_MAX_RECORD_BYTES = '8MiB'
    const json = await file('long.ndjson', [JSON.stringify({ id: 1, blob: 'b' }), JSON.stringify({ id: 2, blob: 'a'.repeat(20 << 20) })])
    const e = await catchDvError(() => r.write('j', json, { commit: true, message: 'j' }))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toMatch(/line 2 is a JSON record of 20 MiB, longer than the 8 MiB dv reads/)
    expect(e.hint).toMatch(/DV_MAX_RECORD_BYTES=41MiB/)
    expectNoEngineOptions(e)
    delete process.env.DV_MAX_RECORD_BYTES
    const csv = await file('long.csv', ['id,txt', '1,a', `2,"${'x'.repeat(3 << 20)}"`])
    const c = await catchDvError(() => r.write('c', csv, { commit: true, message: 'c' }))
    expect(c.code).toBe('INVALID_ARGUMENT')
    expect(c.message).toMatch(/has a line longer than/)
    expect(c.hint).toMatch(/DV_MAX_RECORD_BYTES=/)
    expectNoEngineOptions(c)
    process.env.DV_MAX_RECORD_BYTES = '8MiB'
    expect((await r.write('c', csv, { commit: true, message: 'c' })).rows).toBe(2)
    await r.close()
  })
})

describe('memory', () => {
  it('is sized from the machine, or set by DV_MEMORY_LIMIT; a bad value is a usage error', () => {
    const machine = engineLimits({})
    expect(machine.memoryFromSetting).toBe(false)
    expect(machine.memoryBytes).toBeGreaterThanOrEqual(512 << 20)
    expect(engineLimits({ DV_MEMORY_LIMIT: '3GiB' })).toMatchObject({ memoryBytes: 3 * 2 ** 30, memoryFromSetting: true })
    expect(parseByteSize('1.5 GB', 'X')).toBe(1.5 * 2 ** 30)
    expect(parseByteSize('512mib', 'X')).toBe(512 * 2 ** 20)
    expect(parseByteSize('1048576', 'X')).toBe(1048576)
    for (const bad of ['', 'lots', '-1GB', '1.5XB', '0']) expect(() => parseByteSize(bad, 'DV_MEMORY_LIMIT'), bad).toThrow(/invalid DV_MEMORY_LIMIT/)
  })

  it('running out names DV_MEMORY_LIMIT, never memory_limit', async () => {
    const r = await repo()
    process.env.DV_MEMORY_LIMIT = '64MiB'
    const header = [...range(0, 3000)].map((i) => `c${i}`).join(',')
    const wide = await file('wide-oom.csv', [header, ...[...range(0, 300)].map((j) => [...range(0, 3000)].map((i) => String((i * j) % 97)).join(','))])
    const e = await catchDvError(() => r.write('w', wide, { commit: true, message: 'w' }))
    expect(e.code).toBe('STORAGE')
    expect(e.message).toMatch(/ran out of memory/)
    expect(e.hint).toMatch(/DV_MEMORY_LIMIT=1GiB/)
    expectNoEngineOptions(e)
    await r.close()
  })

  // 10,000 columns with DV_STRESS=1 (a step of .ci/run); the default suite takes 2,500 (DuckDB reading a
  // 10,000-column CSV is a minute of the default suite on 2 cores; dv's own per-column work is linear)
  const WIDTH = process.env.DV_STRESS === '1' ? 10_000 : 2_500
  it(`a ${WIDTH.toLocaleString('en')}-column, 1,000-row CSV ingests with the default limit`, async () => {
    const r = await repo()
    const columns = [...range(0, WIDTH)]
    const wide = await file('wide.csv', [columns.map((i) => `c${i}`).join(','), ...[...range(0, 1000)].map((j) => columns.map((i) => String((i * j) % 97)).join(','))])
    const w = await r.write('wide', wide, { commit: true, message: 'wide' })
    expect(w.rows).toBe(1000)
    const info = (await r.show('HEAD', 'wide')).table!
    expect(info.columns).toHaveLength(WIDTH)
    expect(info.columns[WIDTH - 1]).toMatchObject({ name: `c${WIDTH - 1}`, min: '0', max: '96' })
    await r.close()
  }, 600_000)
})
