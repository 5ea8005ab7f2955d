/**
 * The reference for test/property/predicate.test.ts: random table schemas,
 * rows with nulls, and predicates generated from a small grammar as a tree;
 * `textOf` spells a tree as the user would type it (the generator's own
 * spelling, with random keyword case, quoting and literal forms), and
 * `evaluate` computes it in plain JavaScript with SQL's three-valued logic.
 * Neither uses dv's parser, checker or renderer, nor DuckDB: the reference
 * is independent of the code under test.
 *
 * Values are kept exact: numbers as integers scaled by 100 (data and
 * literals never have more than two decimals; doubles are quarters), dates
 * and timestamps as 'YYYY-MM-DD[ HH:MM:SS]' text (ordered as text), strings
 * over a small ASCII alphabet including a quote and LIKE's wildcards.
 */
import fc from 'fast-check'

export type ColType = 'int' | 'long' | 'double' | 'decimal(9,2)' | 'string' | 'date' | 'timestamp' | 'boolean'
export const COL_TYPES: ColType[] = ['int', 'long', 'double', 'decimal(9,2)', 'string', 'date', 'timestamp', 'boolean']
export interface Col { name: string; type: ColType }
export type Val = number | string | boolean | null
export type Row = Record<string, Val>
type Tri = boolean | null

export type Pred =
  | { k: 'cmp'; col: Col; op: string; lit: Val; flip: boolean }
  | { k: 'isnull'; col: Col; neg: boolean }
  | { k: 'in'; col: Col; lits: Val[]; neg: boolean }
  | { k: 'between'; col: Col; lo: Val; hi: Val; neg: boolean }
  | { k: 'like'; col: Col; pattern: string; neg: boolean; ci: boolean }
  | { k: 'bool'; col: Col }
  | { k: 'arith'; col: Col; delta: number; op: string; lit: Val }
  | { k: 'fn'; fn: 'lower' | 'length' | 'abs' | 'year' | 'month' | 'coalesce'; col: Col; op: string; lit: Val; fallback?: Val }
  | { k: 'const'; value: boolean }
  | { k: 'and' | 'or'; a: Pred; b: Pred }
  | { k: 'not'; a: Pred }

const NUMERIC = new Set<ColType>(['int', 'long', 'double', 'decimal(9,2)'])
const ALPHABET = ['a', 'b', 'A', 'B', "'", '_', '%', 'x']
const BASE_DAY = Date.UTC(2026, 0, 1)

/** A value of `type` (null 1 in 5 times when nullable). */
export function value(type: ColType, nullable = true): fc.Arbitrary<Val> {
  const v = valueOf(type)
  return nullable ? fc.oneof({ arbitrary: v, weight: 4 }, { arbitrary: fc.constant(null), weight: 1 }) : v
}

function valueOf(type: ColType): fc.Arbitrary<Val> {
  switch (type) {
    case 'int': return fc.integer({ min: -50, max: 50 }).map((n) => n * 100)
    case 'long': return fc.integer({ min: -2000, max: 2000 }).map((n) => n * 100)
    case 'double': return fc.integer({ min: -80, max: 80 }).map((n) => n * 25)
    case 'decimal(9,2)': return fc.integer({ min: -3000, max: 3000 })
    case 'string': return fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 4 }).map((a) => a.join(''))
    case 'date': return fc.integer({ min: 0, max: 60 }).map((d) => new Date(BASE_DAY + d * 86400_000).toISOString().slice(0, 10))
    case 'timestamp': return fc.integer({ min: 0, max: 200 }).map((h) => new Date(BASE_DAY + h * 3600_000).toISOString().slice(0, 19).replace('T', ' '))
    case 'boolean': return fc.boolean()
  }
}

export function predicate(cols: Col[], depth: number): fc.Arbitrary<Pred> {
  const col = fc.constantFrom(...cols)
  const cmpOp = fc.constantFrom('=', '<>', '!=', '<', '<=', '>', '>=')
  const leaf: fc.Arbitrary<Pred> = fc.oneof(
    col.chain((c) => fc.record({ op: cmpOp, lit: value(c.type, false), flip: fc.boolean() }).map((r): Pred => ({ k: 'cmp', col: c, ...r }))),
    col.chain((c) => fc.boolean().map((neg): Pred => ({ k: 'isnull', col: c, neg }))),
    col.chain((c) => fc.record({ lits: fc.array(value(c.type), { minLength: 1, maxLength: 4 }), neg: fc.boolean() }).map((r): Pred => ({ k: 'in', col: c, ...r }))),
    col.chain((c) => fc.record({ lo: value(c.type, false), hi: value(c.type, false), neg: fc.boolean() }).map((r): Pred => ({ k: 'between', col: c, ...r }))),
    fc.boolean().map((value): Pred => ({ k: 'const', value })),
    ...byType(cols, 'string', (c) => fc.record({ pattern: fc.array(fc.constantFrom(...ALPHABET), { minLength: 0, maxLength: 4 }).map((a) => a.join('')), neg: fc.boolean(), ci: fc.boolean() }).map((r): Pred => ({ k: 'like', col: c, ...r }))),
    ...byType(cols, 'string', (c) => fc.oneof(
      fc.record({ op: cmpOp, lit: value('string', false) }).map((r): Pred => ({ k: 'fn', fn: 'lower', col: c, ...r })),
      fc.record({ op: cmpOp, lit: fc.integer({ min: 0, max: 5 }).map((n) => n * 100) }).map((r): Pred => ({ k: 'fn', fn: 'length', col: c, ...r })),
    )),
    ...byType(cols, 'boolean', (c) => fc.constant<Pred>({ k: 'bool', col: c })),
    ...cols.filter((c) => NUMERIC.has(c.type)).map((c) => fc.oneof(
      fc.record({ delta: fc.integer({ min: -5, max: 5 }).map((n) => n * 100), op: cmpOp, lit: value(c.type, false) }).map((r): Pred => ({ k: 'arith', col: c, ...r })),
      fc.record({ op: cmpOp, lit: value(c.type, false) }).map((r): Pred => ({ k: 'fn', fn: 'abs', col: c, ...r })),
    )),
    ...cols.filter((c) => c.type === 'date' || c.type === 'timestamp').map((c) => fc.record({ fn: fc.constantFrom<'year' | 'month'>('year', 'month'), op: cmpOp, lit: fc.integer({ min: 1, max: 3 }).map((n) => n * 100) }).map((r): Pred => ({ k: 'fn', col: c, ...r, lit: r.fn === 'year' ? 2026 * 100 : r.lit }))),
    col.chain((c) => fc.record({ op: cmpOp, lit: value(c.type, false), fallback: value(c.type, false) }).map((r): Pred => ({ k: 'fn', fn: 'coalesce', col: c, ...r }))),
  )
  if (depth <= 0) return leaf
  const sub = predicate(cols, depth - 1)
  return fc.oneof(
    { arbitrary: leaf, weight: 3 },
    { arbitrary: fc.record({ k: fc.constantFrom<'and' | 'or'>('and', 'or'), a: sub, b: sub }).map((r): Pred => r), weight: 2 },
    { arbitrary: sub.map((a): Pred => ({ k: 'not', a })), weight: 1 },
  )
}

function byType(cols: Col[], type: ColType, make: (c: Col) => fc.Arbitrary<Pred>): Array<fc.Arbitrary<Pred>> {
  return cols.filter((c) => c.type === type).map(make)
}

// ---- the user's text ----

/** Keyword spelling and quoting chosen by a seed, so one tree has several spellings. */
export function textOf(p: Pred, seed: number): string {
  const kw = (w: string) => (seed % 3 === 0 ? w.toLowerCase() : w)
  const name = (c: Col) => (seed % 2 === 0 ? `"${c.name}"` : c.name)
  const lit = (c: Col, v: Val) => literal(c.type, v, seed)
  switch (p.k) {
    case 'cmp': return p.flip ? `${lit(p.col, p.lit)} ${flipOp(p.op)} ${name(p.col)}` : `${name(p.col)} ${p.op} ${lit(p.col, p.lit)}`
    case 'isnull': return `${name(p.col)} ${kw(p.neg ? 'IS NOT NULL' : 'IS NULL')}`
    case 'in': return `${name(p.col)} ${kw(p.neg ? 'NOT IN' : 'IN')} (${p.lits.map((v) => lit(p.col, v)).join(', ')})`
    case 'between': return `${name(p.col)} ${kw(p.neg ? 'NOT BETWEEN' : 'BETWEEN')} ${lit(p.col, p.lo)} ${kw('AND')} ${lit(p.col, p.hi)}`
    case 'like': return `${name(p.col)} ${kw(`${p.neg ? 'NOT ' : ''}${p.ci ? 'ILIKE' : 'LIKE'}`)} ${quote(p.pattern)}`
    case 'bool': return name(p.col)
    case 'arith': return `${name(p.col)} ${p.delta < 0 ? '-' : '+'} ${Math.abs(p.delta) / 100} ${p.op} ${lit(p.col, p.lit)}`
    case 'fn':
      if (p.fn === 'coalesce') return `coalesce(${name(p.col)}, ${lit(p.col, p.fallback!)}) ${p.op} ${lit(p.col, p.lit)}`
      return `${seed % 3 === 1 ? p.fn.toUpperCase() : p.fn}(${name(p.col)}) ${p.op} ${p.fn === 'lower' ? quote(String(p.lit)) : p.fn === 'abs' ? lit(p.col, p.lit) : String(Number(p.lit) / 100)}`
    case 'const': return kw(p.value ? 'TRUE' : 'FALSE')
    case 'and':
    case 'or': return `(${textOf(p.a, seed + 1)}) ${kw(p.k.toUpperCase())} (${textOf(p.b, seed + 2)})`
    case 'not': return `${kw('NOT')} (${textOf(p.a, seed + 1)})`
  }
}

function flipOp(op: string): string {
  return ({ '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as Record<string, string>)[op] ?? op
}

export function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`
}

/** A literal as typed: typed literal or plain string for dates, decimals with or without the point. */
export function literal(type: ColType, v: Val, seed = 0): string {
  if (v === null) return 'NULL'
  if (typeof v === 'boolean') return seed % 2 ? String(v) : String(v).toUpperCase()
  if (typeof v === 'number') return v % 100 === 0 && seed % 2 ? String(v / 100) : (v / 100).toFixed(2)
  if (type === 'date') return seed % 2 ? `DATE ${quote(v)}` : quote(v)
  if (type === 'timestamp') return seed % 2 ? `TIMESTAMP ${quote(v)}` : quote(v)
  return quote(v)
}

// ---- the reference evaluation ----

function compare(a: Val, b: Val): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b)
  const x = String(a)
  const y = String(b)
  return x < y ? -1 : x > y ? 1 : 0
}

function cmp(a: Val, op: string, b: Val): Tri {
  if (a === null || b === null) return null
  const c = compare(a, b)
  switch (op) {
    case '=': return c === 0
    case '<>':
    case '!=': return c !== 0
    case '<': return c < 0
    case '<=': return c <= 0
    case '>': return c > 0
    default: return c >= 0
  }
}

const and = (a: Tri, b: Tri): Tri => (a === false || b === false ? false : a === null || b === null ? null : true)
const or = (a: Tri, b: Tri): Tri => (a === true || b === true ? true : a === null || b === null ? null : false)
const not = (a: Tri): Tri => (a === null ? null : !a)

function like(s: string, pattern: string, ci: boolean): boolean {
  const re = pattern.split('').map((ch) => (ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')
  return new RegExp(`^${re}$`, ci ? 'si' : 's').test(s)
}

export function evaluate(p: Pred, row: Row): Tri {
  switch (p.k) {
    case 'cmp': return cmp(row[p.col.name], p.op, p.lit)
    case 'isnull': return (row[p.col.name] === null) !== p.neg
    case 'in': {
      const v = row[p.col.name]
      let r: Tri = false
      for (const l of p.lits) r = or(r, cmp(v, '=', l))
      return p.neg ? not(r) : r
    }
    case 'between': {
      const v = row[p.col.name]
      const r = and(cmp(v, '>=', p.lo), cmp(v, '<=', p.hi))
      return p.neg ? not(r) : r
    }
    case 'like': {
      const v = row[p.col.name]
      return v === null ? null : like(String(v), p.pattern, p.ci) !== p.neg
    }
    case 'bool': return row[p.col.name] as Tri
    case 'arith': {
      const v = row[p.col.name]
      return cmp(v === null ? null : (v as number) + p.delta, p.op, p.lit)
    }
    case 'fn': {
      const v = row[p.col.name]
      if (p.fn === 'coalesce') return cmp(v ?? p.fallback!, p.op, p.lit)
      if (v === null) return null
      const s = String(v)
      const f = p.fn === 'lower' ? s.toLowerCase()
        : p.fn === 'length' ? s.length * 100
          : p.fn === 'abs' ? Math.abs(v as number)
            : p.fn === 'year' ? Number(s.slice(0, 4)) * 100 : Number(s.slice(5, 7)) * 100
      return cmp(f, p.op, p.lit)
    }
    case 'const': return p.value
    case 'and': return and(evaluate(p.a, row), evaluate(p.b, row))
    case 'or': return or(evaluate(p.a, row), evaluate(p.b, row))
    case 'not': return not(evaluate(p.a, row))
  }
}
