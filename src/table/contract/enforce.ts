/**
 * Enforcement (format-spec/contracts.md#enforcement): every commit that
 * changes a table's data (a write, a commit of staged writes, a merge, a
 * revert, a cherry-pick) evaluates the table's contract on the table as the
 * commit leaves it, after its metadata is computed and before its snapshot
 * is written and the ref moves. A violation is QUALITY (exit 8): nothing is
 * written, no ref moves. Because the check runs inside each commit attempt,
 * a rebase onto a concurrent commit checks again, on the new result.
 */
import type { ContractReport, ContractUnsupported } from '../../api-types.js'
import type { TableMetadata } from '../../format/types.js'
import { DvError } from '../../errors.js'
import { shortId, type ObjectId } from '../../ids.js'
import { readTableMetadata, type RepoContext } from '../context.js'
import { tableDelta } from '../delta.js'
import { compileContract } from './compile.js'
import { evaluateContract, type EvaluationInput } from './evaluate.js'
import { at, parseContract } from './parse.js'
import type { CompiledContract } from './rules.js'

export interface TableVersionPair {
  name: string
  before: TableMetadata | null
  after: TableMetadata | null
}

/**
 * The contract of `table` compiled for it (its stored text is re-read: a
 * schema change since `set` is caught here). The text validated against
 * ODCS's schema when it was set, so it is not validated again, unless
 * compiling it fails in a way no validated contract can: a text stored
 * around dv then gets the full parse's message.
 */
export function contractOf(name: string, table: TableMetadata, file = `contract of table '${name}'`): CompiledContract {
  const text = table.contract!.text
  try {
    return compileContract(parseContract(text, file, { validated: true }), name, table.schema)
  } catch (e) {
    if (e instanceof DvError) throw e
    return compileContract(parseContract(text, file), name, table.schema)
  }
}

export function skippedOf(compiled: CompiledContract, file: string): ContractUnsupported[] {
  return compiled.unsupported.map((u) => ({ what: u.what, where: at(file, u.where) }))
}

/** Evaluates one table's contract; the report (passed or not). */
export async function checkTable(ctx: RepoContext, name: string, snapshot: string, input: Omit<EvaluationInput, 'file' | 'now'>): Promise<ContractReport> {
  const file = `contract of table '${name}'`
  const compiled = contractOf(name, input.table, file)
  const rules = await evaluateContract(ctx, compiled, { ...input, file, now: ctx.now() })
  return { table: name, snapshot, object: compiled.object, passed: rules.every((r) => r.status === 'passed'), rules, skipped: skippedOf(compiled, file) }
}

/** One line per failed rule: `name (check): measured M, bound B`. */
export function failureLines(report: ContractReport): string[] {
  return report.rules.filter((r) => r.status === 'failed').map((r) => `${r.name} (${r.check}): measured ${r.measured ?? 'nothing'}, bound ${r.bound}${r.message ? ` (${r.message})` : ''}`)
}

/**
 * Checks every changed table with a contract whose data the commit changes;
 * QUALITY with `details.contract` (one ContractReport per failing table) on
 * a violation. Metadata-only changes (a contract set, a key, a rename) read
 * no data and are not checked: `dv check` runs a contract on the table as it is.
 */
export async function enforceContracts(ctx: RepoContext, parentId: string, tables: TableVersionPair[]): Promise<void> {
  const failed: ContractReport[] = []
  for (const t of tables) {
    if (!t.after?.contract) continue
    const delta = await tableDelta(ctx, t.name, t.before, t.after)
    if (delta.added.length === 0 && delta.removed.length === 0) continue
    const report = await checkTable(ctx, t.name, parentId, { table: t.after, parent: t.before, added: delta.added.map((p) => p.file), scope: 'added rows' })
    if (!report.passed) failed.push(report)
  }
  if (failed.length === 0) return
  const names = failed.flatMap((r) => r.rules.filter((x) => x.status === 'failed').map((x) => (failed.length === 1 ? x.name : `${r.table}.${x.name}`)))
  throw new DvError('QUALITY', `the contract of ${failed.length === 1 ? `table '${failed[0]!.table}'` : `tables ${failed.map((r) => `'${r.table}'`).join(', ')}`} failed on top of ${shortId(parentId)}: ${names.length} rule(s) failed: ${names.join(', ')}`, {
    hint: `nothing was applied; fix the input (failing rows are in the report), or run \`dv check ${failed[0]!.table}\` to see the whole table against its contract`,
    details: { contract: failed },
  })
}

/** enforceContracts over two table maps (a merge, revert or cherry-pick result against the branch head it lands on). */
export async function enforceOnTableMaps(ctx: RepoContext, parentId: string, before: Readonly<Record<string, ObjectId>>, after: Readonly<Record<string, ObjectId>>): Promise<void> {
  const names = Object.keys(after).filter((n) => after[n] !== before[n])
  const pairs = await Promise.all(names.map(async (name) => ({
    name,
    before: before[name] ? await readTableMetadata(ctx, before[name]) : null,
    after: await readTableMetadata(ctx, after[name]!),
  })))
  await enforceContracts(ctx, parentId, pairs)
}
