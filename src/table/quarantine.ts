/**
 * Quarantine (format-spec/contracts.md#quarantine): a write with
 * `onViolation: 'quarantine'` splits its input by the row rules of the
 * table's contract. Passing rows go to TABLE through the write's mode as
 * usual; failing rows go to TABLE__quarantine, an ordinary dv table created
 * on first use, with `_dv_rule`, `_dv_reason`, `_dv_source` and `_dv_write`.
 * The two changes land in ONE commit (one snapshot, one compare-and-swap).
 */
import { randomUUID } from 'node:crypto'
import type { DataFile, Field, Schema, TableMetadata } from '../format/types.js'
import type { InputColumn, RowTest, WrittenFile } from '../io/types.js'
import type { SnapshotId } from '../ids.js'
import type { PendingChange } from './changes.js'
import type { RepoContext } from './context.js'
import { DvError, isDvError } from '../errors.js'
import { contractOf } from './contract/enforce.js'
import { describeTest } from './contract/evaluate.js'
import { evolveSchema, publishFiles, type WriteBase } from './write.js'

export const QUARANTINE_SUFFIX = '__quarantine'

/** The columns dv adds to every quarantined row, in this order after the table's own. */
export const QUARANTINE_COLUMNS: InputColumn[] = [
  { name: '_dv_rule', type: { type: 'list', elementId: 0, element: 'string', elementRequired: true }, nullable: false },
  { name: '_dv_reason', type: { type: 'list', elementId: 0, element: 'string', elementRequired: true }, nullable: false },
  { name: '_dv_source', type: 'string', nullable: false },
  { name: '_dv_write', type: 'string', nullable: false },
]

export function quarantineName(table: string): string {
  return `${table}${QUARANTINE_SUFFIX}`
}

/** What a quarantining write knows before it reads its input: the rules, the quarantine table as the write sees it, the labels. */
export interface QuarantineRequest {
  /** TABLE__quarantine. */
  name: string
  base: WriteBase
  tests: RowTest[]
  rules: string[]
  reasons: string[]
  /** `_dv_source`: the input's name. */
  source: string
  /** `_dv_write`: the write's id (its staged change id). */
  write: string
}

/** What the split produced: the passing rows' files (to TABLE) and the quarantine table's change. */
export interface QuarantineSplit {
  kept: WrittenFile[]
  /** Input rows that passed (the rows of `kept`). */
  passed: number
  rows: number
  byRule: Record<string, number>
  change: PendingChange | undefined
}

function usage(message: string, hint: string, details: Record<string, unknown> = {}): DvError {
  return new DvError('INVALID_ARGUMENT', message, { hint, details })
}

/**
 * The request of a quarantining write to `table`: its contract's row rules
 * (INVALID_ARGUMENT when it has no contract, or no row rule: quarantine
 * would be a plain write, which a pipeline asking for it did not mean).
 */
export function quarantineRequest(name: string, table: TableMetadata | null, base: WriteBase, source: string, write: string): QuarantineRequest {
  const fix = `set a contract with row rules (required, minimum/maximum, pattern, ...) with \`dv contract set ${name} FILE\`, or write with --on-violation fail`
  if (!table?.contract) throw usage(`table '${name}' has no contract: --on-violation quarantine splits rows by a contract's row rules`, fix, { table: name })
  const rows = contractOf(name, table).rules.filter((r) => r.kind === 'row')
  if (rows.length === 0) throw usage(`the contract of table '${name}' has no row rule: --on-violation quarantine has nothing to split by`, fix, { table: name })
  return {
    name: quarantineName(name), base, source, write,
    tests: rows.map((r) => r.test), rules: rows.map((r) => r.name), reasons: rows.map((r) => describeTest(r.test)),
  }
}

function isStringList(t: Field['type']): boolean {
  return typeof t === 'object' && t.type === 'list' && t.element === 'string'
}

/**
 * The quarantine table's schema after this write: its columns (or, new, the
 * table's columns then the four `_dv_*` columns), plus any column the table
 * gained. An existing TABLE__quarantine without the `_dv_*` columns, or with
 * a column whose type differs from the table's, is refused: it is not this
 * table's quarantine, and nothing is written.
 */
export function quarantineSchema(q: QuarantineRequest, tableName: string, schema: Schema): { schema: Schema; lastColumnId: number } {
  const own = schema.fields.find((f) => f.name.startsWith('_dv_'))
  if (own) throw usage(`table '${tableName}' has a column '${own.name}': names starting with _dv_ are the quarantine table's own`, `rename the column (\`dv table alter ${tableName} rename-column ${own.name} NEW\`) to quarantine its rows`)
  const existing = q.base.table
  const shape = `the quarantine table '${q.name}' must have the columns of '${tableName}' and _dv_rule list<string>, _dv_reason list<string>, _dv_source string, _dv_write string`
  const fix = `rename or drop table '${q.name}' (it is not ${tableName}'s quarantine), or write with --on-violation fail`
  if (existing) {
    const bad = QUARANTINE_COLUMNS.find((c) => {
      const f = existing.schema.fields.find((x) => x.name === c.name)
      return !f || (c.type === 'string' ? f.type !== 'string' : !isStringList(f.type))
    })
    if (existing.partitionSpec.length) throw usage(`table '${q.name}' exists with another shape: it is partitioned, and quarantined rows are written unpartitioned`, fix, { table: q.name, expected: shape })
    if (bad) throw usage(`table '${q.name}' exists with another shape: it lacks column ${bad.name} (or has another type there)`, fix, { table: q.name, column: bad.name, expected: shape })
  }
  const columns: InputColumn[] = [...schema.fields.map((f) => ({ name: f.name, type: f.type, nullable: true })), ...QUARANTINE_COLUMNS]
  try {
    const evolved = evolveSchema(q.name, `the quarantined rows of table '${tableName}'`, existing, columns)
    return { schema: evolved.schema, lastColumnId: evolved.lastColumnId }
  } catch (e) {
    if (!isDvError(e, 'INVALID_ARGUMENT')) throw e
    throw new DvError('INVALID_ARGUMENT', `table '${q.name}' exists with another shape: ${e.message}`, { cause: e, hint: fix, details: { ...e.details, table: q.name, expected: shape } })
  }
}

/**
 * Splits the written input: the passing rows' files (kept as they are when
 * no row of a file failed) and the quarantine table's change, its files
 * published. No failing row: no quarantine change (the table is not created).
 */
export async function splitInput(
  ctx: RepoContext, q: QuarantineRequest,
  input: { tableName: string; schema: Schema; partitionSpec: TableMetadata['partitionSpec']; written: WrittenFile[]; outDir: string; baseSnapshot: SnapshotId },
): Promise<QuarantineSplit> {
  const target = quarantineSchema(q, input.tableName, input.schema)
  const engine = await ctx.engine()
  const result = await engine.quarantineRows({
    files: input.written, schema: input.schema, partitionSpec: input.partitionSpec, tests: q.tests, rules: q.rules, reasons: q.reasons,
    quarantine: { schema: target.schema, source: q.source, write: q.write }, outDir: input.outDir, tmpDir: ctx.tmpDir,
  })
  const kept = input.written.flatMap((w, i) => (result.files[i]!.matched === 0 ? [w] : result.files[i]!.kept))
  const rows = result.quarantined.reduce((n, f) => n + f.rows, 0)
  const passed = kept.reduce((n, f) => n + f.rows, 0)
  // in contract order, as the contract lists the rules
  const byRule = Object.fromEntries(q.rules.filter((r) => result.byRule[r] !== undefined).map((r) => [r, result.byRule[r]!]))
  if (rows === 0) return { kept, passed, rows, byRule: {}, change: undefined }
  const files: DataFile[] = await publishFiles(ctx, result.quarantined)
  const existing = q.base.table
  const change: PendingChange = {
    id: randomUUID(), table: q.name, mode: 'append', createdMs: ctx.now(), creates: existing === null,
    tableId: existing ? existing.tableId : randomUUID(), baseSnapshot: input.baseSnapshot, baseTable: q.base.headTableId,
    baseLastColumnId: existing ? existing.lastColumnId : 0, schema: target.schema, lastColumnId: target.lastColumnId,
    partitionSpec: [], files, removes: [], scope: { kind: 'none' },
  }
  return { kept, passed, rows, byRule, change }
}

/** `N rows committed to T, M quarantined to T__quarantine (rule: count, ...)`: the write's one-line account (N: input rows that passed). */
export function quarantineSummary(table: string, q: { table: string; passed: number; rows: number; byRule: Record<string, number> }, committed: boolean): string {
  const n = (k: number) => `${k} row${k === 1 ? '' : 's'}`
  const rules = Object.entries(q.byRule).map(([rule, k]) => `${rule}: ${k}`).join(', ')
  return `${n(q.passed)} ${committed ? 'committed to' : 'staged for'} ${table}, ${q.rows} quarantined to ${q.table}${rules ? ` (${rules})` : ''}`
}
