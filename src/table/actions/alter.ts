/**
 * Schema changes (`dv table alter`, Repository.alterTable) and the schema
 * text of a table (`dv table schema`, Repository.tableSchema). Each alter is
 * a commit of its own on the branch (like a write with `--commit`), never
 * staged: a schema change must not interleave with staged writes that were
 * planned against the old schema, so it is refused while the table has
 * staged changes. Nothing is rewritten: field ids keep old files readable
 * (format-spec/table-metadata.md#schema-evolution). Time travel sees every
 * snapshot with the schema it had.
 */
import { randomUUID } from 'node:crypto'
import type { AlterTableChange, AlterTableOptions, AlterTableResult, TableSchemaResult } from '../../api-types.js'
import type { PrimitiveType } from '../../format/types.js'
import { addColumn, dropColumn, findField, formatFieldPath, formatType, isPrimitive, parseType, printSchema, promoteColumn, renameColumn, type TableSchema } from '../../format/index.js'
import { DvError } from '../../errors.js'
import { asTableName } from '../../ids.js'
import type { PendingChange } from '../changes.js'
import { commitChanges } from '../commit.js'
import { readSnapshot } from '../context.js'
import { tableAt, tableTotals } from '../read.js'
import { checkCommitMessage } from './commit.js'
import { branchHead, resolveAt, targetBranch, type ActionContext } from './context.js'

const ACTIONS = ['add-column', 'rename-column', 'drop-column', 'widen'] as const

/** One schema change, described as the CLI spells it (the commit message's default). */
function describe(change: AlterTableChange): string {
  switch (change.action) {
    case 'add-column': return `add-column ${change.path} ${typeof change.type === 'string' ? change.type : formatType(change.type)}`
    case 'rename-column': return `rename-column ${change.path} ${change.name}`
    case 'drop-column': return `drop-column ${change.path}`
    case 'widen': return `widen ${change.path} ${change.type}`
  }
}

export async function alterTable(ctx: ActionContext, table: string, change: AlterTableChange, options: AlterTableOptions = {}): Promise<AlterTableResult> {
  const name = asTableName(table)
  if (!(ACTIONS as readonly string[]).includes(change.action)) {
    throw new DvError('INVALID_ARGUMENT', `unknown alter action '${(change as { action: string }).action}'`, { hint: `actions: ${ACTIONS.join(', ')}` })
  }
  if (options.message !== undefined) checkCommitMessage(options.message)
  const branch = await targetBranch(ctx, options.branch)
  const staged = ctx.workspace ? await ctx.workspace.listStaged(branch) : []
  if (staged.some((c) => c.table === name)) {
    throw new DvError('INVALID_ARGUMENT', `table '${name}' has staged changes on branch '${branch}'; a schema change is a commit of its own`, {
      hint: 'commit the staged changes with `dv commit -m ...` (or discard them) first, then alter the table',
      details: { table: name, branch },
    })
  }
  const headId = await branchHead(ctx, branch)
  const head = await readSnapshot(ctx, headId)
  const { id: tableId, table: meta } = await tableAt(ctx, head, headId, name)
  const current: TableSchema = { schema: meta.schema, lastColumnId: meta.lastColumnId }
  const after = evolve(current, change, meta.partitionSpec, tableTotals(meta).rows === 0)
  const description = describe(change)
  const pending: PendingChange = {
    id: randomUUID(), table: name, mode: 'append', createdMs: ctx.now(), creates: false, tableId: meta.tableId,
    baseSnapshot: headId, baseTable: tableId, baseLastColumnId: meta.lastColumnId,
    schema: after.schema, lastColumnId: after.lastColumnId, partitionSpec: meta.partitionSpec,
    files: [], removes: [], scope: { kind: 'table' }, alter: description,
  }
  const commit = await commitChanges(ctx, {
    branch, message: options.message ?? `alter ${name}: ${description}`, author: options.author ?? ctx.author, changes: [pending], retry: ctx.retry,
  })
  return { table: name, branch, change: description, schema: printSchema(after.schema), commit }
}

function evolve(table: TableSchema, change: AlterTableChange, spec: Parameters<typeof dropColumn>[2], empty: boolean): TableSchema {
  switch (change.action) {
    case 'add-column':
      return addColumn(table, change.path, typeof change.type === 'string' ? parseType(change.type) : change.type, { required: change.required, tableIsEmpty: empty })
    case 'rename-column':
      return renameColumn(table, change.path, change.name)
    case 'drop-column':
      return dropColumn(table, change.path, spec)
    case 'widen': {
      const type = parseType(change.type)
      if (!isPrimitive(type)) {
        throw new DvError('INVALID_ARGUMENT', `cannot widen ${change.path} to ${change.type}: only primitive types are widened`, {
          hint: 'widen a field inside the nested column, e.g. payload.user.id long',
        })
      }
      const field = findField(table.schema, change.path)
      if (field && field.type === type) {
        throw new DvError('INVALID_ARGUMENT', `${formatFieldPath(field.path)} already is ${type}: nothing to widen`, {
          hint: 'name a wider type: int -> long, float -> double, decimal(P,S) -> decimal(P2,S) with P2 > P, date -> timestamp',
          details: { column: formatFieldPath(field.path), type },
        })
      }
      return promoteColumn(table, change.path, type as PrimitiveType, spec)
    }
  }
}

/** The schema of `table` at `rev` (default HEAD) in the `--schema` text form. */
export async function tableSchema(ctx: ActionContext, table: string, options: { at?: string } = {}): Promise<TableSchemaResult> {
  const name = asTableName(table)
  const id = await resolveAt(ctx, options.at ?? 'HEAD')
  const snapshot = await readSnapshot(ctx, id)
  const { table: meta } = await tableAt(ctx, snapshot, id, name)
  return { table: name, snapshot: id, text: printSchema(meta.schema), schema: meta.schema, lastColumnId: meta.lastColumnId }
}
