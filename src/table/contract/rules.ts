/**
 * The rules dv enforces, compiled from an ODCS contract (compile.ts), and
 * the standard's comparison operators. A rule is one of:
 * - `row`: every row must pass a RowTest (required, logicalTypeOptions, and a
 *   library metric whose bound allows only 0); checked on the rows a commit
 *   adds, by statistics where they decide, else by the engine; quarantinable;
 * - `unique`: no value of the column twice in the table (pruned by min/max,
 *   then a semi-join of the added rows with the rest);
 * - `metric`: a library metric over the whole table compared with its bound
 *   (rowCount and nullValues from statistics, the others by the engine);
 * - `sql`: a query over `${object}` giving one number, compared with its bound;
 * - `freshness` / `volume`: dv's rules (`type: custom`, `engine: dv`).
 */
import type { RowTest } from '../../io/types.js'
import type { Location } from './parse.js'

export const OPERATORS = [
  'mustBe', 'mustNotBe', 'mustBeGreaterThan', 'mustBeGreaterOrEqualTo', 'mustBeLessThan', 'mustBeLessOrEqualTo', 'mustBeBetween', 'mustNotBeBetween',
] as const
export type Operator = (typeof OPERATORS)[number]

export interface Bound {
  op: Operator
  value: number | [number, number]
}

export type Metric = 'nullValues' | 'missingValues' | 'invalidValues' | 'duplicateValues' | 'rowCount'

interface RuleBase {
  /** The rule's `name`, or one made from its column and check (`email.pattern`). */
  name: string
  /** Where the rule is in the contract file. */
  where: Location
  column?: string
}

export type Rule =
  | (RuleBase & { kind: 'row'; column: string; test: RowTest; check: string })
  | (RuleBase & { kind: 'unique'; column: string })
  | (RuleBase & { kind: 'metric'; metric: Metric; test?: RowTest; bound: Bound; percent: boolean })
  | (RuleBase & { kind: 'sql'; query: string; bound: Bound })
  | (RuleBase & { kind: 'freshness'; column: string; maxAgeMs: number; maxAge: string })
  | (RuleBase & { kind: 'volume'; maxChangePercent: number })

/** A part of the contract dv does not enforce: listed at `set`, accepted only with --allow-unsupported. */
export interface Unsupported {
  what: string
  where: Location
}

export interface CompiledContract {
  /** The schema object the contract has for this table (by name or physicalName). */
  object: string
  rules: Rule[]
  unsupported: Unsupported[]
}

export function accepts(bound: Bound, v: number): boolean {
  const b = bound.value
  switch (bound.op) {
    case 'mustBe': return v === b
    case 'mustNotBe': return v !== b
    case 'mustBeGreaterThan': return v > (b as number)
    case 'mustBeGreaterOrEqualTo': return v >= (b as number)
    case 'mustBeLessThan': return v < (b as number)
    case 'mustBeLessOrEqualTo': return v <= (b as number)
    case 'mustBeBetween': return v >= (b as [number, number])[0] && v <= (b as [number, number])[1]
    case 'mustNotBeBetween': return v < (b as [number, number])[0] || v > (b as [number, number])[1]
  }
}

/** `= 0`, `< 5`, `between 1 and 10`: the bound as reports print it. */
export function describeBound(bound: Bound, percent = false): string {
  const unit = percent ? '%' : ''
  const b = bound.value
  const pair = (p: [number, number]) => `${p[0]}${unit} and ${p[1]}${unit}`
  switch (bound.op) {
    case 'mustBe': return `= ${b}${unit}`
    case 'mustNotBe': return `!= ${b}${unit}`
    case 'mustBeGreaterThan': return `> ${b}${unit}`
    case 'mustBeGreaterOrEqualTo': return `>= ${b}${unit}`
    case 'mustBeLessThan': return `< ${b}${unit}`
    case 'mustBeLessOrEqualTo': return `<= ${b}${unit}`
    case 'mustBeBetween': return `between ${pair(b as [number, number])}`
    case 'mustNotBeBetween': return `not between ${pair(b as [number, number])}`
  }
}

/** True when a count metric with this bound tolerates no failing row at all (so it is a row rule, checkable on added rows). */
export function onlyZero(bound: Bound): boolean {
  return ['mustBe', 'mustBeLessThan', 'mustBeLessOrEqualTo', 'mustBeBetween'].includes(bound.op) && accepts(bound, 0) && !accepts(bound, 1)
}
