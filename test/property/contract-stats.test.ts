/**
 * Statistics decide what they can (null counts, min/max, row counts); the
 * engine reads data only where they cannot. On random data in random files,
 * every decision must agree with full evaluation: the count of failing rows
 * computed row by row from the data itself.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'

let dir: string
let n = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-contract-prop-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

type Row = { a: number | null; b: number | null }

const row = fc.record({
  a: fc.option(fc.integer({ min: -50, max: 50 }), { freq: 4 }),
  b: fc.option(fc.integer({ min: -400, max: 400 }).map((x) => x / 4), { freq: 4 }),
})
const files = fc.array(fc.array(row, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 })
const bound = fc.integer({ min: -60, max: 60 })

function contract(lo: number, hi: number, pct: number): string {
  return `apiVersion: v3.1.0
kind: DataContract
id: p
version: 1.0.0
status: active
schema:
  - name: t
    properties:
      - name: a
        logicalType: integer
        required: true
        logicalTypeOptions: {minimum: ${lo}, maximum: ${hi}}
      - name: b
        logicalType: number
        logicalTypeOptions: {minimum: ${lo / 2}}
        quality:
          - {metric: nullValues, mustBeLessOrEqualTo: ${pct}, unit: percent}
    quality:
      - {metric: rowCount, mustBeGreaterThan: ${Math.abs(lo) % 10}}
`
}

describe('statistics agree with full evaluation', () => {
  it('required, range on long and double, nullValues in percent, rowCount', async () => {
    await fc.assert(fc.asyncProperty(files, bound, bound, fc.integer({ min: 0, max: 100 }), async (parts, x, y, pct) => {
      const [lo, hi] = x <= y ? [x, y] : [y, x]
      const repo = await Repository.init(join(dir, `r${++n}`), { author: 'p' })
      try {
        for (const [i, part] of parts.entries()) {
          const path = join(dir, `in-${n}-${i}.csv`)
          await writeFile(path, `a,b\n${part.map((r) => `${r.a ?? ''},${r.b ?? ''}`).join('\n')}\n`)
          await repo.write('t', path, { commit: true, message: `part ${i}`, schema: 'a long, b double' })
        }
        await repo.setContract('t', contract(lo, hi, pct))
        const report = await repo.check('t')
        const rows: Row[] = parts.flat()
        const measured = Object.fromEntries(report.rules.map((r) => [r.name, r.measured]))
        const nullsB = rows.filter((r) => r.b === null).length
        expect(measured).toEqual({
          'a.required': rows.filter((r) => r.a === null).length,
          'a.range': rows.filter((r) => r.a !== null && (r.a < lo || r.a > hi)).length,
          'b.range': rows.filter((r) => r.b !== null && r.b < lo / 2).length,
          'b.nullValues': (nullsB / rows.length) * 100,
          rowCount: rows.length,
        })
        const status = Object.fromEntries(report.rules.map((r) => [r.name, r.status]))
        expect(status['b.nullValues']).toBe((nullsB / rows.length) * 100 <= pct ? 'passed' : 'failed')
        expect(status.rowCount).toBe(rows.length > Math.abs(lo) % 10 ? 'passed' : 'failed')
      } finally {
        await repo.close()
      }
    }), { numRuns: 12 })
  }, 240_000)
})
