/**
 * Quarantine (format-spec/contracts.md#quarantine): a write with
 * onViolation 'quarantine' sends the rows breaking its table's row rules to
 * TABLE__quarantine and the others to TABLE, in ONE commit; table-level rules
 * fail the whole write; bad requests change nothing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { hashFiles } from '../support/file-hashes.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository, type DvError, type WriteOptions } from '../../src/index.js'
import { openLocalStorage, wrapCounting, wrapFaulty, type CountingStorage } from '../../src/store/index.js'
import { TextSink } from '../support/text-sink.js'

let dir: string
let n = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-quarantine-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const HEADER = 'id,country,amount,status,note'

/** One rule of each row-level kind, in contract order: required, pattern, range, invalidValues, length, missingValues. */
const ALL_RULES = ['id.required', 'country.pattern', 'amount.range', 'status.invalidValues', 'note.length', 'note.missingValues'] as const
type RuleName = (typeof ALL_RULES)[number]

function contract(rules: readonly RuleName[], tableLevel = ''): string {
  const has = (r: RuleName) => rules.includes(r)
  const noteOptions = has('note.length') ? '\n        logicalTypeOptions: {maxLength: 3}' : ''
  const noteQuality = has('note.missingValues') ? '\n        quality:\n          - {metric: missingValues, arguments: {missingValues: ["n/a"]}, mustBe: 0}' : ''
  return `apiVersion: v3.1.0
kind: DataContract
id: orders
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - name: id
        logicalType: integer${has('id.required') ? '\n        required: true' : ''}
      - name: country
        logicalType: string${has('country.pattern') ? '\n        logicalTypeOptions: {pattern: "^[A-Z]{2}$"}' : ''}
      - name: amount
        logicalType: integer${has('amount.range') ? '\n        logicalTypeOptions: {minimum: 0, maximum: 100}' : ''}
      - name: status
        logicalType: string${has('status.invalidValues') ? '\n        quality:\n          - {metric: invalidValues, arguments: {validValues: [new, paid]}, mustBe: 0}' : ''}
      - name: note
        logicalType: string${noteOptions}${noteQuality}
${tableLevel}`
}

interface Row { id: number | null; country: string | null; amount: number | null; status: string | null; note: string | null }

/** The rules a row breaks, in contract order (the model the engine must agree with). */
function broken(row: Row, rules: readonly RuleName[]): string[] {
  const fails: Record<RuleName, boolean> = {
    'id.required': row.id === null,
    'country.pattern': row.country !== null && !/^[A-Z]{2}$/.test(row.country),
    'amount.range': row.amount !== null && (row.amount < 0 || row.amount > 100),
    'note.length': row.note !== null && row.note.length > 3,
    'status.invalidValues': row.status !== null && !['new', 'paid'].includes(row.status),
    'note.missingValues': row.note === null || row.note === 'n/a',
  }
  return rules.filter((r) => fails[r])
}

async function csv(rows: Row[]): Promise<string> {
  const path = join(dir, `in-${++n}.csv`)
  const cell = (v: string | number | null) => (v === null ? '' : String(v))
  await writeFile(path, `${HEADER}\n${rows.map((r) => [r.id, r.country, r.amount, r.status, r.note].map(cell).join(',')).join('\n')}\n`)
  return path
}

async function read(repo: Repository, table: string): Promise<Array<Record<string, unknown>>> {
  const out = new TextSink()
  await repo.cat(table, out, { format: 'ndjson' })
  return out.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
}

function key(r: Record<string, unknown>): string {
  return JSON.stringify(['id', 'country', 'amount', 'status', 'note'].map((c) => r[c] ?? null))
}

async function failure(p: Promise<unknown>): Promise<DvError> {
  return p.then(() => { throw new Error('expected a failure') }, (e: DvError) => e)
}

/** SHA-256 of every file under refs/ and (unless refsOnly) reflog/: what a refused write must leave byte-identical. */
async function refState(root: string, refsOnly = false): Promise<Record<string, string>> {
  return hashFiles(root, refsOnly ? ['refs'] : ['refs', 'reflog'])
}

const GOOD: Row = { id: 0, country: 'DE', amount: 1, status: 'new', note: 'ok' }
const Q: WriteOptions = { commit: true, message: 'q', onViolation: 'quarantine' }

/** A bare repository (store at `root`) with table orders holding GOOD, and a contract of `rules`. */
async function orders(name: string, rules: readonly RuleName[] = ALL_RULES, tableLevel = '', wrap = (s: ReturnType<typeof openLocalStorage>) => s as ReturnType<typeof openLocalStorage>): Promise<{ repo: Repository; root: string }> {
  const root = join(dir, name)
  const repo = await Repository.fromStorage(wrap(openLocalStorage(root)), { init: true, author: 'ann' })
  await repo.write('orders', await csv([GOOD]), { commit: true, message: 'load', schema: 'id long, country string, amount long, status string, note string' })
  await repo.setContract('orders', contract(rules, tableLevel))
  return { repo, root }
}

describe('quarantine splits the input', () => {
  it('sends each row-level rule type\'s failing rows, with every rule each broke, and the rest to the table, in one commit', async () => {
    const { repo } = await orders('each-rule')
    const input: Row[] = [
      { id: 1, country: 'FR', amount: 5, status: 'paid', note: 'a' }, // passes
      { id: null, country: 'FR', amount: 5, status: 'paid', note: 'a' }, // required
      { id: 3, country: 'fr', amount: 5, status: 'paid', note: 'a' }, // pattern
      { id: 4, country: 'FR', amount: 101, status: 'paid', note: 'a' }, // range
      { id: 5, country: 'FR', amount: 5, status: 'paid', note: 'long' }, // length
      { id: 6, country: 'FR', amount: 5, status: 'lost', note: 'a' }, // invalidValues
      { id: 7, country: 'FR', amount: 5, status: 'paid', note: 'n/a' }, // missingValues
      { id: null, country: 'xx', amount: -1, status: null, note: null }, // several
    ]
    const r = await repo.write('orders', await csv(input), Q)
    expect(r.rows).toBe(1)
    expect(r.quarantine).toMatchObject({ table: 'orders__quarantine', rows: 7, created: true })
    expect(r.quarantine!.byRule).toEqual({ 'id.required': 2, 'country.pattern': 2, 'amount.range': 2, 'status.invalidValues': 1, 'note.length': 1, 'note.missingValues': 2 })
    expect(r.quarantine!.summary).toBe('1 row committed to orders, 7 quarantined to orders__quarantine (id.required: 2, country.pattern: 2, amount.range: 2, status.invalidValues: 1, note.length: 1, note.missingValues: 2)')
    expect(Object.keys(r.commit!.tables).sort()).toEqual(['orders', 'orders__quarantine'])
    const q = await read(repo, 'orders__quarantine')
    const byId = new Map(q.map((row) => [key(row), row]))
    for (const row of input.slice(1)) {
      const got = byId.get(key(row as unknown as Record<string, unknown>))!
      expect(got._dv_rule).toEqual(broken(row, ALL_RULES))
      expect((got._dv_reason as string[]).length).toBe(broken(row, ALL_RULES).length)
      expect(got._dv_source).toMatch(/in-\d+\.csv$/)
      expect(got._dv_write).toBe(r.quarantine!.write)
    }
    expect(byId.get(key({ id: null, country: 'xx', amount: -1, status: null, note: null }))!._dv_reason).toEqual(['required', 'pattern ^[A-Z]{2}$', 'range 0..100', 'not missing (null, "n/a")'])
    expect((await read(repo, 'orders')).map(key).sort()).toEqual([GOOD, input[0]!].map((x) => key(x as unknown as Record<string, unknown>)).sort())
    await repo.close()
  })

  it('partitions the input exactly: passing + quarantined = input as multisets, each quarantined row labelled with the rules it broke (random rows and rules)', async () => {
    const value = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 5 })
    const row = fc.record({
      id: value(fc.integer({ min: 1, max: 6 })),
      country: value(fc.constantFrom('DE', 'FR', 'de', 'x', 'NLD')),
      amount: value(fc.integer({ min: -3, max: 103 })),
      status: value(fc.constantFrom('new', 'paid', 'lost')),
      note: value(fc.constantFrom('a', 'abc', 'long', 'n/a')),
    })
    let run = 0
    await fc.assert(fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 25 }), fc.subarray([...ALL_RULES], { minLength: 1 }), async (input, rules) => {
      const { repo } = await orders(`prop-${++run}`, rules)
      try {
        const r = await repo.write('orders', await csv(input), Q)
        const failing = input.filter((x) => broken(x, rules).length > 0)
        expect(r.quarantine!.rows).toBe(failing.length)
        expect(r.rows).toBe(input.length - failing.length)
        const table = (await read(repo, 'orders')).map(key)
        table.splice(table.indexOf(key(GOOD as unknown as Record<string, unknown>)), 1)
        const q = failing.length ? await read(repo, 'orders__quarantine') : []
        expect([...table, ...q.map(key)].sort()).toEqual(input.map((x) => key(x as unknown as Record<string, unknown>)).sort())
        expect(q.map((x) => JSON.stringify([key(x), x._dv_rule])).sort()).toEqual(failing.map((x) => JSON.stringify([key(x as unknown as Record<string, unknown>), broken(x, rules)])).sort())
      } finally {
        await repo.close()
      }
    }), { numRuns: 12 })
  }, 240_000)
})

describe('what cannot quarantine fails the whole write', () => {
  it('a table-level rule (rowCount) fails with QUALITY: every ref and reflog byte-identical, no quarantine table', async () => {
    const { repo, root } = await orders('row-count', ALL_RULES, '    quality:\n      - {metric: rowCount, mustBeLessThan: 3}\n')
    const before = await refState(root)
    const e = await failure(repo.write('orders', await csv([{ ...GOOD, id: 1 }, { ...GOOD, id: 2 }, { ...GOOD, id: null }]), Q))
    expect(e.code).toBe('QUALITY')
    expect(e.message).toMatch(/rowCount/)
    expect(await refState(root)).toEqual(before)
    expect(await failure(read(repo, 'orders__quarantine'))).toMatchObject({ code: 'NOT_FOUND' })
    await repo.close()
  })

  it('uniqueness is table-level: a repeated value fails with QUALITY, nothing quarantined', async () => {
    const { repo, root } = await orders('unique')
    await repo.setContract('orders', contract(ALL_RULES).replace('logicalType: integer\n        required: true', 'logicalType: integer\n        required: true\n        unique: true'))
    const before = await refState(root)
    const e = await failure(repo.write('orders', await csv([{ ...GOOD }, { ...GOOD, id: null }]), Q))
    expect(e.code).toBe('QUALITY')
    expect(e.message).toMatch(/id\.unique/)
    expect(await refState(root)).toEqual(before)
    await repo.close()
  })

  it('makes ONE compare-and-swap; when it fails, neither table changes', async () => {
    let storage!: CountingStorage
    const counted = await orders('one-cas', ALL_RULES, '', (s) => (storage = wrapCounting(s)) as never)
    storage.resetCounts()
    await counted.repo.write('orders', await csv([{ ...GOOD, id: 1 }, { ...GOOD, id: null }]), Q)
    expect(storage.counts.cas).toBe(1)
    await counted.repo.close()

    // the same write with its compare-and-swap failing (init, load and contract made CAS 1-3)
    const { repo, root } = await orders('failed-cas', ALL_RULES, '', (s) => wrapFaulty(s, { failCas: [4] }) as never)
    const before = await refState(root, true)
    const e = await failure(repo.write('orders', await csv([{ ...GOOD, id: 1 }, { ...GOOD, id: null }]), Q))
    expect(e.code).toBe('STORAGE')
    // the reflog's entry is written before the compare-and-swap (refs/reflog.ts); the ref is what readers follow
    expect(await refState(root, true)).toEqual(before)
    expect((await read(repo, 'orders')).map(key)).toEqual([key(GOOD as unknown as Record<string, unknown>)])
    expect(await failure(read(repo, 'orders__quarantine'))).toMatchObject({ code: 'NOT_FOUND' })
    await repo.close()
  })
})

describe('write modes', () => {
  it('upsert: a passing row replaces its key; a quarantined row replaces nothing', async () => {
    const { repo } = await orders('upsert')
    await repo.write('orders', await csv([{ ...GOOD, id: 1, note: 'one' }, { ...GOOD, id: 2, note: 'two' }]), { commit: true, message: 'more' })
    const r = await repo.write('orders', await csv([{ ...GOOD, id: 1, note: 'new' }, { ...GOOD, id: 2, country: 'bad' }]), { ...Q, mode: 'upsert', key: ['id'] })
    expect(r.quarantine!.rows).toBe(1)
    // one input row passed; the upsert's rewritten file carries the unchanged rows too (r.rows counts those)
    expect(r.quarantine!.passed).toBe(1)
    expect(r.rows).toBeGreaterThan(1)
    expect(r.quarantine!.summary).toBe('1 row committed to orders, 1 quarantined to orders__quarantine (country.pattern: 1)')
    expect((await read(repo, 'orders')).map((x) => `${String(x.id)}:${String(x.note)}`).sort()).toEqual(['0:ok', '1:new', '2:two'])
    await repo.close()
  })

  it('overwrite replaces the table with the passing rows; an overwrite where no row passes is QUALITY', async () => {
    const { repo } = await orders('overwrite')
    const r = await repo.write('orders', await csv([{ ...GOOD, id: 9 }, { ...GOOD, id: null }]), { ...Q, mode: 'overwrite' })
    expect(r.quarantine!.rows).toBe(1)
    expect((await read(repo, 'orders')).map((x) => x.id)).toEqual([9])
    const e = await failure(repo.write('orders', await csv([{ ...GOOD, id: null }]), { ...Q, mode: 'overwrite' }))
    expect(e.code).toBe('QUALITY')
    expect((await read(repo, 'orders')).map((x) => x.id)).toEqual([9])
    await repo.close()
  })

  it('replace-partitions replaces only the partitions of passing rows', async () => {
    const root = join(dir, 'partitions')
    const repo = await Repository.fromStorage(openLocalStorage(root), { init: true, author: 'ann' })
    await repo.write('orders', await csv([{ ...GOOD, country: 'DE' }, { ...GOOD, id: 1, country: 'FR' }]), { commit: true, message: 'load', partitionBy: 'country', schema: 'id long, country string, amount long, status string, note string' })
    await repo.setContract('orders', contract(ALL_RULES))
    const r = await repo.write('orders', await csv([{ ...GOOD, id: 5, country: 'DE' }, { ...GOOD, id: null, country: 'FR' }]), { ...Q, mode: 'replace-partitions' })
    expect(r.quarantine!.rows).toBe(1)
    expect((await read(repo, 'orders')).map((x) => `${String(x.country)}:${String(x.id)}`).sort()).toEqual(['DE:5', 'FR:1'])
    await repo.close()
  })

  it('staged without commit: both changes are staged, and the commit lands both in one snapshot', async () => {
    const root = join(dir, 'staged-ws')
    const repo = await Repository.init(root, { author: 'ann' })
    await repo.write('orders', await csv([GOOD]), { commit: true, message: 'load' })
    await repo.setContract('orders', contract(ALL_RULES))
    const r = await repo.write('orders', await csv([{ ...GOOD, id: 1 }, { ...GOOD, id: null }]), { onViolation: 'quarantine' })
    expect(r.quarantine!.summary).toBe('1 row staged for orders, 1 quarantined to orders__quarantine (id.required: 1)')
    expect((await repo.status()).staged.map((s) => s.table).sort()).toEqual(['orders', 'orders__quarantine'])
    const c = await repo.commit({ message: 'both' })
    expect(Object.keys(c.tables).sort()).toEqual(['orders', 'orders__quarantine'])
    await repo.close()
  })
})

describe('bad requests change nothing', () => {
  it('refuses an unknown onViolation, a table without a contract, delete, and a TABLE__quarantine of another shape (INVALID_ARGUMENT)', async () => {
    const { repo, root } = await orders('bad')
    const input = await csv([{ ...GOOD, id: null }])
    const before = await refState(root)
    expect(await failure(repo.write('orders', input, { ...Q, onViolation: 'ignore' as never }))).toMatchObject({ code: 'INVALID_ARGUMENT', message: "unknown --on-violation value 'ignore'" })
    expect(await failure(repo.write('orders', undefined, { ...Q, mode: 'delete', where: 'id = 1' }))).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await refState(root)).toEqual(before)

    await repo.write('plain', await csv([GOOD]), { commit: true, message: 'plain' })
    const none = await failure(repo.write('plain', input, Q))
    expect(none).toMatchObject({ code: 'INVALID_ARGUMENT', message: "table 'plain' has no contract: --on-violation quarantine splits rows by a contract's row rules" })
    expect(none.hint).toMatch(/dv contract set plain/)

    await writeFile(join(dir, 'other.csv'), 'x,y\n1,2\n')
    await repo.write('orders__quarantine', join(dir, 'other.csv'), { commit: true, message: 'collision' })
    const mid = await refState(root)
    const shape = await failure(repo.write('orders', input, Q))
    expect(shape.code).toBe('INVALID_ARGUMENT')
    expect(shape.message).toBe("table 'orders__quarantine' exists with another shape: it lacks column _dv_rule (or has another type there)")
    expect(await refState(root)).toEqual(mid)
    await repo.close()
  })

  it('refuses a TABLE__quarantine whose column has a type the table\'s values do not fit', async () => {
    const { repo, root } = await orders('bad-type')
    // a quarantine table made by hand with country as long
    await writeFile(join(dir, 'q.ndjson'), '{"id": 1, "country": 5, "_dv_rule": ["r"], "_dv_reason": ["r"], "_dv_source": "s", "_dv_write": "w"}\n')
    await repo.write('orders__quarantine', join(dir, 'q.ndjson'), { commit: true, message: 'hand-made' })
    const before = await refState(root)
    const e = await failure(repo.write('orders', await csv([{ ...GOOD, id: null }]), Q))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toMatch(/^table 'orders__quarantine' exists with another shape: column 'country' is string in the quarantined rows of table 'orders' but long in table 'orders__quarantine'/)
    expect(await refState(root)).toEqual(before)
    await repo.close()
  })
})
