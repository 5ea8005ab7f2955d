/**
 * `dv table set-key TABLE COL[,COL]` (format-spec/table-metadata.md#primary-key):
 * checks the table's current data (no nulls in the key columns, from the
 * manifests' statistics; no repeated key, by the data engine over every data
 * file), then commits the key as a metadata-only edit: the columns become
 * required, the table gets `identifier-field-ids` (kind v3). Refusals say
 * how many nulls or repeated keys there are, and write nothing.
 */
import type { SetKeyOptions, SetKeyResult } from '../../api-types.js'
import type { Field, TableMetadata } from '../../format/types.js'
import { DvError } from '../../errors.js'
import { asTableName } from '../../ids.js'
import { commitChanges } from '../commit.js'
import { readManifest, readSnapshot, type RepoContext } from '../context.js'
import { describeColumns, keyColumns } from '../keys.js'
import { tableAt, verifiedScanFiles } from '../read.js'
import { planScan } from '../scan-plan.js'
import { branchHead, targetBranch, type ActionContext } from './context.js'

function keyFields(tableName: string, table: TableMetadata, columns: string[]): Field[] {
  if (columns.length === 0) throw new DvError('INVALID_ARGUMENT', 'a primary key needs at least one column', { hint: 'for example `dv table set-key users id`' })
  const twice = columns.find((c, i) => columns.indexOf(c) !== i)
  if (twice !== undefined) throw new DvError('INVALID_ARGUMENT', `key column '${twice}' is named twice`)
  return columns.map((c) => {
    const field = table.schema.fields.find((f) => f.name === c)
    if (!field) {
      throw new DvError('INVALID_ARGUMENT', `table '${tableName}' has no column '${c}'`, {
        hint: `columns: ${table.schema.fields.map((f) => f.name).join(', ')} (nested paths cannot be keys)`, details: { table: tableName, column: c },
      })
    }
    if (typeof field.type !== 'string') throw new DvError('INVALID_ARGUMENT', `column '${c}' has a nested type; a key column must be primitive`)
    if (field.type === 'float' || field.type === 'double') {
      throw new DvError('INVALID_ARGUMENT', `column '${c}' is ${field.type}; a key column cannot be float or double`, { hint: 'use an integer, decimal, string, date or timestamp column' })
    }
    return field
  })
}

/** Null counts of the key columns over every data file, from the manifests (a file without the column holds only nulls there). */
async function nullCounts(ctx: RepoContext, table: TableMetadata, fields: Field[]): Promise<number[]> {
  const nulls = fields.map(() => 0)
  for (const m of table.manifests) {
    for (const file of (await readManifest(ctx, m.id)).files) {
      fields.forEach((f, i) => { nulls[i]! += file.columns[String(f.id)]?.nulls ?? file.rows })
    }
  }
  return nulls
}

export async function setKey(ctx: ActionContext, table: string, columns: string[], options: SetKeyOptions = {}): Promise<SetKeyResult> {
  const name = asTableName(table)
  const branch = await targetBranch(ctx, options.branch)
  const headId = await branchHead(ctx, branch)
  const { id: baseTable, table: meta } = await tableAt(ctx, await readSnapshot(ctx, headId), headId, name)
  const fields = keyFields(name, meta, columns)
  if (keyColumns(meta).join('\0') === columns.join('\0')) return { table: name, key: columns, changed: false }
  if (ctx.workspace && (await ctx.workspace.listStaged(branch)).some((c) => c.table === name)) {
    throw new DvError('INVALID_ARGUMENT', `table '${name}' has staged changes on branch '${branch}': they were planned without this key`, {
      hint: 'commit them (`dv commit`) or unstage them (`dv restore --staged ' + name + '`) first',
    })
  }
  const nulls = await nullCounts(ctx, meta, fields)
  if (nulls.some((n) => n > 0)) {
    const counts = fields.flatMap((f, i) => (nulls[i]! > 0 ? [`'${f.name}' has ${nulls[i]} null value(s)`] : []))
    throw new DvError('INVALID_ARGUMENT', `cannot make ${describeColumns(columns)} the primary key of table '${name}': ${counts.join(', ')}`, {
      hint: 'a key column holds a value in every row: fill them in (or delete those rows) first',
      details: { table: name, columns, nulls: Object.fromEntries(fields.map((f, i) => [f.name, nulls[i]])) },
    })
  }
  const files = (await planScan(ctx, meta, [])).files
  const dups = await (await ctx.engine()).findDuplicateKeys(await verifiedScanFiles(ctx, files), meta.schema, columns)
  if (dups.keys > 0) {
    throw new DvError('INVALID_ARGUMENT', `cannot make ${describeColumns(columns)} the primary key of table '${name}': ${dups.keys} key(s) occur more than once, in ${dups.rows} rows (e.g. ${dups.example})`, {
      hint: 'a key identifies one row: remove the duplicates first (e.g. with --mode delete --where), or choose other columns',
      details: { table: name, columns, duplicateKeys: dups.keys, rows: dups.rows, example: dups.example },
    })
  }
  const ids = fields.map((f) => f.id)
  // the key columns hold no nulls (checked above), so making them required changes no file
  const next: TableMetadata = {
    ...meta,
    schema: { fields: meta.schema.fields.map((f) => (ids.includes(f.id) ? { ...f, required: true } : f)) },
    identifierFieldIds: ids,
  }
  const commit = await commitChanges(ctx, {
    branch, message: options.message ?? `set primary key of ${name} to ${describeColumns(columns)}`, author: options.author ?? ctx.author,
    changes: [], edits: [{ table: name, baseTable, baseSnapshot: headId, next, what: 'set-key' }], retry: ctx.retry,
  })
  return { table: name, key: columns, changed: true, commit }
}
