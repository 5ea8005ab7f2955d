/**
 * Evaluating a compiled contract on one version of a table. Statistics decide
 * what they can (row counts, null counts, min/max of numeric and date
 * columns, the newest timestamp) with no data read; the engine reads only
 * what they cannot: the added files whose statistics do not prove a row rule,
 * the rest of the table pruned by min/max for uniqueness, and the whole table
 * for a metric with a non-zero bound or a sql rule.
 *
 * `added` is what a commit adds (files of the table after it that the table
 * before it lacks); `dv check` passes every file, so row rules then cover
 * the whole table.
 */
import type { ContractRuleResult } from '../../api-types.js'
import type { DataFile, Field, TableMetadata } from '../../format/types.js'
import type { RepeatProbe, RowTest, ScanFile } from '../../io/types.js'
import type { RepoContext } from '../context.js'
import { multisetDifference } from '../delta.js'
import { keyRangePredicates } from '../keys.js'
import { tableTotals, verifiedScanFiles } from '../read.js'
import { checksFor, dataFileMayMatch, planScan } from '../scan-plan.js'
import { at } from './parse.js'
import { accepts, describeBound, type CompiledContract, type Rule } from './rules.js'

export const SAMPLE_ROWS = 5

export interface EvaluationInput {
  table: TableMetadata
  /** The table before the commit (volume compares with it); null for a new table or a check. */
  parent: TableMetadata | null
  /** Files the commit adds; every file for a check. */
  added: DataFile[]
  /** 'added rows' for a commit, 'table' for a check: what row rules covered. */
  scope: 'added rows' | 'table'
  /** The contract file's name in messages. */
  file: string
  now: number
}

const ORDERED_NUMERIC = new Set(['int', 'long', 'float', 'double', 'date'])

function fieldOf(table: TableMetadata, column: string): Field {
  return table.schema.fields.find((f) => f.name === column)!
}

function nullsIn(files: readonly DataFile[], field: Field): number {
  return files.reduce((n, f) => n + (f.columns[String(field.id)]?.nulls ?? f.rows), 0)
}

/** Whether a file's min/max prove every row of it within [min, max] (numbers and dates only; anything unsure goes to the engine). */
function provesRange(file: DataFile, field: Field, test: Extract<RowTest, { kind: 'range' }>): boolean {
  const type = typeof field.type === 'string' ? field.type : ''
  if (!ORDERED_NUMERIC.has(type)) return false
  const c = file.columns[String(field.id)]
  if (!c) return true // only nulls: nothing to range-check
  if (c.nulls === file.rows) return true
  if (c.min === undefined || c.max === undefined) return false
  const num = (s: string) => (type === 'date' ? Date.parse(`${s}T00:00:00Z`) : Number(s))
  const lo = test.min === undefined ? undefined : num(test.min)
  const hi = test.max === undefined ? undefined : num(test.max)
  if ([lo, hi].some((v) => v !== undefined && !Number.isFinite(v))) return false
  // exact only within 2^53: beyond it, leave the decision to the engine
  const safe = (v: number) => Math.abs(v) < 2 ** 53
  if (![num(c.min), num(c.max)].every(safe)) return false
  return (lo === undefined || num(c.min) >= lo) && (hi === undefined || num(c.max) <= hi)
}

/** Bits a repeat probe may spend: 8 per added row, at least 2^23 (1 MiB), at most 2^28 (32 MiB). */
function probeBits(rows: number): bigint {
  return BigInt(Math.min(2 ** 28, Math.max(2 ** 23, 8 * rows)))
}

/**
 * The repeat probe of an integer column over `added`: the range of its
 * values from the files' min/max, when every file with a value has them and
 * the range is small enough for one bit per value; else undefined (the
 * engine's exact check decides alone).
 */
export function repeatProbe(added: readonly DataFile[], field: Field): RepeatProbe | undefined {
  if (field.type !== 'int' && field.type !== 'long') return undefined
  let lo: bigint | undefined
  let hi: bigint | undefined
  for (const f of added) {
    const c = f.columns[String(field.id)]
    if (!c || c.nulls === f.rows) continue
    if (c.min === undefined || c.max === undefined || !/^-?\d+$/.test(c.min) || !/^-?\d+$/.test(c.max)) return undefined
    const [min, max] = [BigInt(c.min), BigInt(c.max)]
    if (lo === undefined || min < lo) lo = min
    if (hi === undefined || max > hi) hi = max
  }
  if (lo === undefined || hi === undefined) return { column: field.name, min: '0', max: '0' } // only nulls: nothing can repeat
  const rows = added.reduce((n, f) => n + f.rows, 0)
  return hi - lo + 1n <= probeBits(rows) ? { column: field.name, min: String(lo), max: String(hi) } : undefined
}

function instant(text: string): number {
  return Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`)
}

class Evaluation {
  private allFiles: DataFile[] | undefined
  private readonly scans = new Map<DataFile[], Promise<ScanFile[]>>()

  constructor(private readonly ctx: RepoContext, private readonly input: EvaluationInput) {}

  private async all(): Promise<DataFile[]> {
    this.allFiles ??= (await planScan(this.ctx, this.input.table, [])).files.map((p) => p.file)
    return this.allFiles
  }

  private scan(files: DataFile[]): Promise<ScanFile[]> {
    let s = this.scans.get(files)
    if (!s) {
      s = verifiedScanFiles(this.ctx, files.map((file) => ({ file, manifest: '' as never })))
      this.scans.set(files, s)
    }
    return s
  }

  private result(rule: Rule, check: string, passed: boolean, measured: number | null, bound: string, by: 'statistics' | 'engine', extra: Partial<ContractRuleResult> = {}): ContractRuleResult {
    return {
      name: rule.name, kind: rule.kind, ...(rule.column ? { column: rule.column } : {}), check, status: passed ? 'passed' : 'failed',
      measured, bound, by, scope: rule.kind === 'row' || rule.kind === 'unique' ? this.input.scope : 'table', samples: [], where: at(this.input.file, rule.where), ...extra,
    }
  }

  /** Whether statistics alone prove `rule` holds on the added rows (null counts; min/max for ranges). */
  private provenByStatistics(rule: Extract<Rule, { kind: 'row' }>): boolean {
    const field = fieldOf(this.input.table, rule.column)
    const { test } = rule
    // a missing test with no missing values but null is notNull by another name
    if (test.kind === 'notNull' || (test.kind === 'missing' && test.values.length === 0)) return nullsIn(this.input.added, field) === 0
    if (test.kind === 'range') return this.input.added.every((f) => provesRange(f, field, test))
    return this.input.added.length === 0
  }

  /**
   * The row rules and unique rules over the added rows, all at once: row
   * rules statistics prove pass without a read; the rest are counted by the
   * engine in ONE pass over the added files (each rule's failing rows, with
   * samples for the failing ones), which also counts, for each unique rule
   * on an integer column of small range, the added rows repeating a value.
   * A unique rule whose added rows repeat nothing and whose column no other
   * file may share (min/max) passes on that count; any other goes to the
   * engine's exact check (repeated values, across files, with samples).
   */
  async addedRows(rowRules: Array<Extract<Rule, { kind: 'row' }>>, uniqueRules: Array<Extract<Rule, { kind: 'unique' }>>): Promise<Map<Rule, ContractRuleResult>> {
    const out = new Map<Rule, ContractRuleResult>()
    const needData = rowRules.filter((r) => !this.provenByStatistics(r))
    for (const r of rowRules) if (!needData.includes(r)) out.set(r, this.result(r, describeTest(r.test), true, 0, '= 0 rows', 'statistics'))
    const { table, added } = this.input
    for (const r of uniqueRules) if (added.length === 0) out.set(r, this.result(r, 'unique', true, 0, '= 0 repeated values', 'statistics'))
    const uniques = await Promise.all((added.length ? uniqueRules : []).map(async (rule) => ({ rule, candidates: await this.uniqueCandidates(rule), probe: repeatProbe(added, fieldOf(table, rule.column)) })))
    const probed = uniques.filter((u) => u.probe !== undefined)
    if (needData.length + probed.length === 0 && uniques.length === 0) return out
    const engine = await this.ctx.engine()
    const counts = needData.length + probed.length === 0
      ? { tests: [], repeatingRows: [] }
      : await engine.countRows(await this.scan(added), table.schema, needData.map((r) => r.test), probed.map((u) => u.probe!), SAMPLE_ROWS)
    needData.forEach((r, i) => out.set(r, this.result(r, describeTest(r.test), counts.tests[i]!.rows === 0, counts.tests[i]!.rows, '= 0 rows', 'engine', { samples: counts.tests[i]!.samples })))
    for (const { rule, candidates, probe } of uniques) {
      const repeating = probe ? counts.repeatingRows[probed.findIndex((u) => u.rule === rule)] : undefined
      if (repeating === 0 && candidates.length === 0) {
        out.set(rule, this.result(rule, 'unique', true, 0, '= 0 repeated values', 'engine', { filesRead: added.length }))
        continue
      }
      const found = await engine.findRepeatedValues(await this.scan(added), await this.scan(candidates), table.schema, rule.column, SAMPLE_ROWS)
      out.set(rule, this.result(rule, 'unique', found.values === 0, found.values, '= 0 repeated values', 'engine', { samples: found.samples, filesRead: added.length + candidates.length }))
    }
    return out
  }

  /** The files of the rest of the table that may hold a value of the rule's column that the added rows hold (min/max). */
  private async uniqueCandidates(rule: Extract<Rule, { kind: 'unique' }>): Promise<DataFile[]> {
    const { table, added } = this.input
    const [others] = multisetDifference(await this.all(), added, (f) => f.id)
    const checks = checksFor(table, keyRangePredicates(table.schema, [rule.column], added))
    return others.filter((f) => dataFileMayMatch(f, checks))
  }

  async metric(rule: Extract<Rule, { kind: 'metric' }>): Promise<ContractRuleResult> {
    const rows = tableTotals(this.input.table).rows
    const bound = describeBound(rule.bound, rule.percent)
    const judge = (count: number, by: 'statistics' | 'engine', samples: ContractRuleResult['samples'] = []) => {
      const measured = rule.percent ? (rows === 0 ? 0 : (count / rows) * 100) : count
      return this.result(rule, rule.metric, accepts(rule.bound, measured), measured, bound, by, { samples })
    }
    if (rule.metric === 'rowCount') return judge(rows, 'statistics')
    if (rule.metric === 'nullValues') return judge(nullsIn(await this.all(), fieldOf(this.input.table, rule.column!)), 'statistics')
    const engine = await this.ctx.engine()
    const files = await this.scan(await this.all())
    if (rule.metric === 'duplicateValues') return judge(await engine.countDuplicateValues(files, this.input.table.schema, rule.column!), 'engine')
    const [found] = await engine.countFailingRows(files, this.input.table.schema, [rule.test!], SAMPLE_ROWS)
    return judge(found!.rows, 'engine', found!.samples)
  }

  async sql(rule: Extract<Rule, { kind: 'sql' }>): Promise<ContractRuleResult> {
    const engine = await this.ctx.engine()
    const value = await engine.runContractSql(rule.query, await this.scan(await this.all()), this.input.table.schema)
    return this.result(rule, `sql: ${rule.query}`, accepts(rule.bound, value), value, describeBound(rule.bound), 'engine')
  }

  async freshness(rule: Extract<Rule, { kind: 'freshness' }>): Promise<ContractRuleResult> {
    const field = fieldOf(this.input.table, rule.column)
    let newest: number | undefined
    for (const f of await this.all()) {
      const max = f.columns[String(field.id)]?.max
      if (max !== undefined && (newest === undefined || instant(max) > newest)) newest = instant(max)
    }
    const bound = `<= ${rule.maxAge}`
    if (newest === undefined) return this.result(rule, `freshness of ${rule.column}`, false, null, bound, 'statistics', { message: `column '${rule.column}' holds no timestamp` })
    const ageSeconds = Math.max(0, (this.input.now - newest) / 1000)
    return this.result(rule, `age of newest ${rule.column} (seconds)`, ageSeconds * 1000 <= rule.maxAgeMs, Math.round(ageSeconds), bound, 'statistics')
  }

  volume(rule: Extract<Rule, { kind: 'volume' }>): ContractRuleResult {
    const next = tableTotals(this.input.table).rows
    const before = this.input.parent ? tableTotals(this.input.parent).rows : 0
    const bound = `<= ${rule.maxChangePercent}%`
    // a new or empty table has nothing to compare with: its first load passes
    if (before === 0) return this.result(rule, 'row count change (%)', true, 0, bound, 'statistics')
    const change = (Math.abs(next - before) / before) * 100
    return this.result(rule, 'row count change (%)', change <= rule.maxChangePercent, change, bound, 'statistics')
  }
}

export function describeTest(test: RowTest): string {
  switch (test.kind) {
    case 'notNull': return 'required'
    case 'range': return `range ${test.min ?? '-inf'}..${test.max ?? '+inf'}`
    case 'length': return `length ${test.min ?? 0}..${test.max ?? 'any'}`
    case 'pattern': return `pattern ${test.regex}`
    case 'in': return `valid values ${test.values.join(', ')}`
    case 'missing': return `not missing (null${test.values.length ? `, ${test.values.map((v) => JSON.stringify(v)).join(', ')}` : ''})`
  }
}

/** Every rule of `contract` on the table, in contract order. */
export async function evaluateContract(ctx: RepoContext, contract: CompiledContract, input: EvaluationInput): Promise<ContractRuleResult[]> {
  const e = new Evaluation(ctx, input)
  const rows = await e.addedRows(
    contract.rules.filter((r): r is Extract<Rule, { kind: 'row' }> => r.kind === 'row'),
    contract.rules.filter((r): r is Extract<Rule, { kind: 'unique' }> => r.kind === 'unique'),
  )
  const results: ContractRuleResult[] = []
  for (const rule of contract.rules) {
    if (rule.kind === 'row' || rule.kind === 'unique') results.push(rows.get(rule)!)
    else if (rule.kind === 'metric') results.push(await e.metric(rule))
    else if (rule.kind === 'sql') results.push(await e.sql(rule))
    else if (rule.kind === 'freshness') results.push(await e.freshness(rule))
    else results.push(e.volume(rule))
  }
  return results
}
