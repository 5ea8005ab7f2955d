/**
 * Property: a predicate generated from a grammar over a random schema (int,
 * long, double, decimal, string, date, timestamp, boolean columns, with
 * nulls) selects, through `Repository.cat --where` (parse, allow-list,
 * render, pruning by partition-less min/max stats over 1-3 files, the
 * sandbox's scan), exactly the rows a JavaScript evaluation of the same tree
 * with SQL's three-valued logic selects (predicate-model.ts). The reference
 * shares nothing with the code under test: it neither parses the text nor
 * runs SQL. DV_PREDICATE_RUNS sets the number of tables (default 25).
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { Repository } from '../../src/index.js'
import { TextSink } from '../support/text-sink.js'
import { COL_TYPES, evaluate, predicate, quote, textOf, value, type Col, type ColType, type Pred, type Row } from './predicate-model.js'

const RUNS = Number(process.env.DV_PREDICATE_RUNS ?? 25)

const DUCK_TYPE: Record<ColType, string> = {
  int: 'INTEGER', long: 'BIGINT', double: 'DOUBLE', 'decimal(9,2)': 'DECIMAL(9,2)', string: 'VARCHAR', date: 'DATE', timestamp: 'TIMESTAMP', boolean: 'BOOLEAN',
}

interface Case {
  cols: Col[]
  rows: Row[]
  /** Row counts of the files the rows are written in, in order. */
  files: number[]
  preds: Array<{ pred: Pred; seed: number }>
}

const caseArb: fc.Arbitrary<Case> = fc
  .array(fc.constantFrom(...COL_TYPES), { minLength: 1, maxLength: 5 })
  .map((types) => types.map((type, i): Col => ({ name: `c${i}`, type })))
  .chain((cols) => fc.record({
    cols: fc.constant(cols),
    rows: fc.array(fc.tuple(...cols.map((c) => value(c.type))), { maxLength: 24 })
      .map((tuples) => tuples.map((t, rid) => Object.fromEntries([['rid', rid], ...cols.map((c, i) => [c.name, t[i]])]) as Row)),
    files: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 3 }),
    preds: fc.array(fc.record({ pred: predicate(cols, 3), seed: fc.nat(1000) }), { minLength: 1, maxLength: 6 }),
  }))

/** SQL for one value in the test's own writer (test infrastructure, not dv). */
function sqlValue(type: ColType, v: Row[string]): string {
  if (v === null) return `CAST(NULL AS ${DUCK_TYPE[type]})`
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE'
  if (typeof v === 'number') return `CAST(${(v / 100).toFixed(2)} AS ${DUCK_TYPE[type]})`
  return `CAST(${quote(v)} AS ${DUCK_TYPE[type]})`
}

/** Splits the rows by `files` (the last file takes the rest); at least one file, possibly empty. */
function chunks(rows: Row[], files: number[]): Row[][] {
  const out: Row[][] = []
  let at = 0
  for (const [i, n] of files.entries()) {
    const take = i === files.length - 1 ? rows.length - at : Math.min(n, rows.length - at)
    if (take > 0 || out.length === 0) out.push(rows.slice(at, at + take))
    at += take
  }
  return out
}

describe('predicates: dv agrees with a three-valued-logic reference', () => {
  it('selects exactly the reference rows, through checking, rendering, pruning and the sandbox', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dv-pred-prop-'))
    const db = await DuckDBInstance.create(':memory:')
    const conn = await db.connect()
    let t = Date.UTC(2026, 0, 1)
    const repo = await Repository.init(join(dir, 'lake'), { now: () => (t += 1000), author: 'property' })
    let table = 0
    let checked = 0
    let selectedSome = 0
    let selectedNotAll = 0
    try {
      await fc.assert(fc.asyncProperty(caseArb, async ({ cols, rows, files, preds }) => {
        const name = `t${table++}`
        for (const [i, chunk] of chunks(rows, files).entries()) {
          const path = join(dir, `${name}-${i}.parquet`)
          const select = (r: Row | undefined) => [`${r ? r.rid : 0}::BIGINT AS rid`, ...cols.map((c) => `${sqlValue(c.type, r ? r[c.name] : null)} AS ${c.name}`)].join(', ')
          const body = chunk.length ? chunk.map((r) => `SELECT ${select(r)}`).join(' UNION ALL ') : `SELECT ${select(undefined)} WHERE false`
          await conn.run(`COPY (${body} ORDER BY rid) TO '${path}' (FORMAT parquet)`)
          // a generated file may hold no rows: an empty table is part of the property
          await repo.write(name, path, { commit: true, message: `${name} file ${i}`, allowEmpty: true })
        }
        for (const { pred, seed } of preds) {
          const where = textOf(pred, seed)
          const expected = rows.filter((r) => evaluate(pred, r) === true).map((r) => Number(r.rid))
          const sink = new TextSink()
          await repo.cat(name, sink, { where, columns: ['rid'], format: 'csv' })
          const actual = sink.text.trim().split('\n').slice(1).map(Number).sort((a, b) => a - b)
          expect(actual, `where ${where}`).toEqual(expected)
          checked++
          if (expected.length > 0) selectedSome++
          if (expected.length < rows.length) selectedNotAll++
        }
      }), { numRuns: RUNS })
      // the property ran its predicates, and they were not trivially all-or-nothing
      expect(checked).toBeGreaterThan(RUNS)
      expect(selectedSome).toBeGreaterThan(checked / 5)
      expect(selectedNotAll).toBeGreaterThan(checked / 5)
    } finally {
      await repo.close()
      conn.closeSync()
      db.closeSync()
      await rm(dir, { recursive: true, force: true })
    }
  }, 600_000)
})
