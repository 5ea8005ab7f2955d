/**
 * The one row pass over the added files (contract/evaluate.ts addedRows,
 * io/contract-checks.ts countRows): a unique rule on an integer column is
 * decided there by one bit per value (repeat probe) when nothing repeats,
 * and by the exact check otherwise; length rules count code points with a
 * byte-count shortcut. Each case here fails if the restructured query
 * mis-counts: repeats within the added rows, across files, in a range too
 * wide for a probe, of negative and 32-bit values; lengths of multi-byte text.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository, type ContractRuleResult, type DvError } from '../../src/index.js'
import { openSandbox, type Sandbox } from '../../src/io/sandbox.js'
import { countRows } from '../../src/io/contract-checks.js'
import { repeatProbe } from '../../src/table/contract/evaluate.js'
import type { DataFile, Field } from '../../src/format/types.js'

let dir: string

const HEAD = 'apiVersion: v3.1.0\nkind: DataContract\nid: c1\nversion: 1.0.0\nstatus: active\n'
const UNIQUE = `${HEAD}schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n        unique: true\n`
const LENGTH = `${HEAD}schema:\n  - name: t\n    properties:\n      - name: name\n        logicalType: string\n        logicalTypeOptions: {minLength: 2, maxLength: 3}\n`

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-contract-row-pass-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

let n = 0
/** A new repository whose table t (`schema`) holds `seed` rows under `contract`; then appends `rows`: the commit's report of rule `name`. */
async function append(schema: string, seed: string[], contract: string, rows: string[], name: string): Promise<ContractRuleResult> {
  const repo = await Repository.init(join(dir, `r${++n}`), { author: 'ann' })
  try {
    const header = schema.split(', ').map((c) => c.split(' ')[0]).join(',')
    const file = async (lines: string[]) => {
      const path = join(dir, `in-${n}-${Math.random().toString(36).slice(2)}.csv`)
      await writeFile(path, `${header}\n${lines.join('\n')}\n`)
      return path
    }
    await repo.write('t', await file(seed), { commit: true, message: 'seed', schema })
    await repo.setContract('t', contract)
    const outcome = await repo.write('t', await file(rows), { commit: true, message: 'append' }).then(() => undefined, (e: DvError) => e)
    if (outcome === undefined) {
      const report = await repo.check('t')
      // a commit that passed: the whole table holds the rows; the rule passed on them
      const rule = report.rules.find((r) => r.name === name)!
      return { ...rule, status: 'passed' }
    }
    expect(outcome.code).toBe('QUALITY')
    const report = (outcome.details as { contract: Array<{ rules: ContractRuleResult[] }> }).contract[0]!
    return report.rules.find((r) => r.name === name)!
  } finally {
    await repo.close()
  }
}

describe('unique on an integer column, decided in the row pass', () => {
  it.each<[string, string, string[], string[], 'passed' | 'failed', number]>([
    ['no repeat', 'id long, v string', ['1,a'], ['2,b', '3,c', '4,d'], 'passed', 0],
    ['repeats within the added rows (distinct values counted)', 'id long, v string', ['1,a'], ['5,a', '5,b', '5,c', '6,d', '6,e', '7,f', ',g', ',h'], 'failed', 2],
    ['a repeat of a value of another file', 'id long, v string', ['1,a', '9,b'], ['8,c', '9,d', '10,e'], 'failed', 1],
    ['negative values repeating', 'id long, v string', ['1,a'], ['-5,a', '-3,b', '-5,c'], 'failed', 1],
    ['a 32-bit column repeating', 'id int, v string', ['1,a'], ['7,a', '-7,b', '7,c'], 'failed', 1],
    ['a 32-bit column over its whole range (no probe), repeating', 'id int, v string', ['1,a'], ['2147483647,a', '-2147483648,b', '2147483647,c'], 'failed', 1],
    ['a range too wide for a probe, repeating', 'id long, v string', ['1,a'], ['2,a', '1099511627776,b', '1099511627776,c'], 'failed', 1],
    ['a range too wide for a probe, no repeat', 'id long, v string', ['1,a'], ['2,a', '1099511627776,b', '-1099511627776,c'], 'passed', 0],
    ['only nulls added', 'id long, v string', ['1,a'], [',a', ',b'], 'passed', 0],
  ])('%s', async (_case, schema, seed, rows, status, measured) => {
    const r = await append(schema, seed, UNIQUE, rows, 'id.unique')
    expect({ status: r.status, measured: r.measured }).toEqual({ status, measured })
    if (status === 'failed') {
      expect(r.by).toBe('engine')
      expect(r.samples.length).toBeGreaterThan(0)
      expect(r.samples.every((s) => rows.some((line) => line.startsWith(`${s.id},`)))).toBe(true)
    }
  })
})

describe('length counts code points, not bytes', () => {
  it.each<[string, string[], 'passed' | 'failed', number]>([
    ['two-byte letters within 2..3', ['ab', 'éé', 'ééé', '€€€'], 'passed', 0],
    ['four letters of two bytes each (8 bytes) is too long', ['ab', 'éééé'], 'failed', 1],
    ['one letter of two bytes is too short', ['ab', 'é'], 'failed', 1],
    ['one letter of four bytes is too short', ['ab', '👍'], 'failed', 1],
    ['six bytes, three letters: within', ['€€', 'x€y'], 'passed', 0],
    ['nulls pass', ['ab', ''], 'passed', 0],
  ])('%s', async (_case, names, status, measured) => {
    const r = await append('id long, name string', ['0,ab'], LENGTH, names.map((s, i) => `${i + 1},${s}`), 'name.length')
    expect({ status: r.status, measured: r.measured }).toEqual({ status, measured })
  })
})

describe('repeat probe', () => {
  const field: Field = { id: 1, name: 'id', type: 'long', required: false } as Field
  const file = (rows: number, min?: string, max?: string, nulls = 0): DataFile => ({ rows, columns: { '1': { nulls, ...(min !== undefined ? { min, max } : {}) } } }) as unknown as DataFile

  it('spans the files\' min and max, and leaves a range wider than 8 bits per row (at least 2^23) to the exact check', () => {
    expect(repeatProbe([file(10, '5', '9'), file(10, '-3', '7')], field)).toEqual({ column: 'id', min: '-3', max: '9' })
    expect(repeatProbe([file(10, '0', String(2 ** 23 - 1))], field)).toEqual({ column: 'id', min: '0', max: String(2 ** 23 - 1) })
    expect(repeatProbe([file(10, '0', String(2 ** 23))], field)).toBeUndefined()
    expect(repeatProbe([file(2 ** 21, '0', String(2 ** 24 - 1))], field)).toBeDefined()
    expect(repeatProbe([file(10, '1', '2')], { ...field, type: 'string' } as Field)).toBeUndefined()
    expect(repeatProbe([file(10, undefined, undefined)], field)).toBeUndefined()
  })

  it('statistics that do not hold (a value outside min..max) give no count, never a wrong one', async () => {
    const scratch = join(dir, 'scratch')
    const sandbox: Sandbox = await openSandbox({ scratchDir: scratch, threads: 1 })
    try {
      const path = join(scratch, 'p.parquet')
      await sandbox.run(`COPY (SELECT * FROM (VALUES (1::BIGINT), (2), (2), (50)) AS v(id)) TO '${path}' (FORMAT parquet)`)
      const files = [{ path, rows: 4, columns: { '1': { name: 'id' } } }] as never
      const schema = { fields: [field] } as never
      expect((await countRows(sandbox, files, schema, [], [{ column: 'id', min: '1', max: '50' }], 0)).repeatingRows).toEqual([1])
      expect((await countRows(sandbox, files, schema, [], [{ column: 'id', min: '1', max: '10' }], 0)).repeatingRows).toEqual([undefined])
    } finally {
      sandbox.close()
    }
  })
})
