/**
 * `dv contract set|show|rm TABLE` and `dv check TABLE`
 * (format-spec/contracts.md). `set` parses and validates the ODCS file
 * (file, line and column on every problem), compiles it against the table's
 * schema, checks its patterns and sql rules in the engine without running
 * them on data, refuses unsupported rules unless allowed, and commits the
 * contract into the table's metadata as a metadata-only edit (so it time
 * travels, and a concurrent change of the table is a conflict). `check`
 * evaluates it on a whole table at any revision.
 */
import type {
  CheckOptions, ContractRemoveOptions, ContractRemoveResult, ContractReport, ContractSetOptions, ContractSetResult, ContractShowResult,
} from '../../api-types.js'
import type { TableMetadata } from '../../format/types.js'
import { CONTRACT_FORMAT } from '../../format/types.js'
import { DvError, isDvError } from '../../errors.js'
import { asTableName } from '../../ids.js'
import { commitChanges } from '../commit.js'
import { readSnapshot, type RepoContext } from '../context.js'
import { tableAt } from '../read.js'
import { planScan } from '../scan-plan.js'
import { compileContract } from '../contract/compile.js'
import { checkTable, skippedOf } from '../contract/enforce.js'
import { at, parseContract } from '../contract/parse.js'
import type { CompiledContract, Rule } from '../contract/rules.js'
import { branchHead, resolveAt, targetBranch, type ActionContext } from './context.js'

/** Patterns and sql rules are checked by the engine that will run them (RE2, DuckDB's binder); errors get the rule's location. */
async function checkInEngine(ctx: RepoContext, compiled: CompiledContract, file: string, table: TableMetadata): Promise<void> {
  const engine = await ctx.engine()
  const located = async (rule: Rule, run: () => Promise<void>) => {
    try {
      await run()
    } catch (e) {
      if (!isDvError(e, 'INVALID_ARGUMENT')) throw e
      throw new DvError('INVALID_ARGUMENT', `${at(file, rule.where)}: ${e.message}`, { ...(e.hint ? { hint: e.hint } : {}), details: { ...e.details, file, line: rule.where.line, column: rule.where.column } })
    }
  }
  for (const rule of compiled.rules) {
    if ((rule.kind === 'row' || rule.kind === 'metric') && rule.test?.kind === 'pattern') await located(rule, () => engine.checkPattern((rule.test as { regex: string }).regex))
    if (rule.kind === 'sql') await located(rule, () => engine.checkContractSql(rule.query, table.schema))
  }
}

export async function setContract(ctx: ActionContext, table: string, text: string, options: ContractSetOptions = {}): Promise<ContractSetResult> {
  const name = asTableName(table)
  const file = options.file ?? 'contract'
  const branch = await targetBranch(ctx, options.branch)
  const headId = await branchHead(ctx, branch)
  const { id: baseTable, table: meta } = await tableAt(ctx, await readSnapshot(ctx, headId), headId, name)
  const compiled = compileContract(parseContract(text, file), name, meta.schema)
  const unsupported = skippedOf(compiled, file)
  if (unsupported.length && !options.allowUnsupported) {
    throw new DvError('INVALID_ARGUMENT', `the contract has ${unsupported.length} rule(s) dv does not enforce: ${unsupported.map((u) => `${u.where}: ${u.what}`).join('; ')}`, {
      hint: 'remove them, or pass --allow-unsupported to set the contract anyway (they are listed in every check report, never enforced)',
      details: { file, unsupported },
    })
  }
  await checkInEngine(ctx, compiled, file, meta)
  const rules = compiled.rules.map((r) => r.name)
  if (meta.contract?.text === text) return { table: name, changed: false, rules, unsupported }
  const next: TableMetadata = { ...meta, contract: { format: CONTRACT_FORMAT, text } }
  const commit = await commitChanges(ctx, {
    branch, message: options.message ?? `set contract of ${name}`, author: options.author ?? ctx.author,
    changes: [], edits: [{ table: name, baseTable, baseSnapshot: headId, next, what: 'contract-set' }], retry: ctx.retry,
  })
  return { table: name, changed: true, rules, unsupported, commit }
}

export async function removeContract(ctx: ActionContext, table: string, options: ContractRemoveOptions = {}): Promise<ContractRemoveResult> {
  const name = asTableName(table)
  const branch = await targetBranch(ctx, options.branch)
  const headId = await branchHead(ctx, branch)
  const { id: baseTable, table: meta } = await tableAt(ctx, await readSnapshot(ctx, headId), headId, name)
  if (!meta.contract) return { table: name, changed: false }
  const { contract: _removed, ...next } = meta
  const commit = await commitChanges(ctx, {
    branch, message: options.message ?? `remove contract of ${name}`, author: options.author ?? ctx.author,
    changes: [], edits: [{ table: name, baseTable, baseSnapshot: headId, next, what: 'contract-rm' }], retry: ctx.retry,
  })
  return { table: name, changed: true, commit }
}

async function tableAtRev(ctx: ActionContext, table: string, rev: string | undefined) {
  const name = asTableName(table)
  const id = await resolveAt(ctx, rev ?? 'HEAD')
  const snapshot = await readSnapshot(ctx, id)
  return { name, id, snapshot, table: (await tableAt(ctx, snapshot, id, name)).table }
}

export async function showContract(ctx: ActionContext, table: string, options: CheckOptions = {}): Promise<ContractShowResult> {
  const { name, id, table: meta } = await tableAtRev(ctx, table, options.at)
  return { table: name, snapshot: id, text: meta.contract?.text ?? null, format: meta.contract?.format ?? null }
}

/** The contract over the whole table at `at` (row rules cover every row); volume compares with the snapshot's first parent. */
export async function checkContract(ctx: ActionContext, table: string, options: CheckOptions = {}): Promise<ContractReport> {
  const { name, id, snapshot, table: meta } = await tableAtRev(ctx, table, options.at)
  if (!meta.contract) {
    throw new DvError('NOT_FOUND', `table '${name}' has no contract at ${id.slice(0, 12)}`, { hint: `set one with \`dv contract set ${name} FILE\``, details: { table: name } })
  }
  const parentId = snapshot.parents[0]
  let parent: TableMetadata | null = null
  if (parentId) {
    const before = await readSnapshot(ctx, parentId)
    if (before.tables[name]) parent = (await tableAt(ctx, before, parentId, name)).table
  }
  const files = (await planScan(ctx, meta, [])).files.map((p) => p.file)
  return checkTable(ctx, name, id, { table: meta, parent, added: files, scope: 'table' })
}
