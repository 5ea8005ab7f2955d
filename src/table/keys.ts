/**
 * A table's primary key on writes (format-spec/table-metadata.md#primary-key):
 * which columns it is, the key range of written files (for pruning and for
 * the conflict check), and the check that a write adds no key the table will
 * still hold. Candidates are pruned by min/max of the key columns before the
 * engine semi-joins the input's keys with their rows.
 */
import type { ColumnInfo, DataFile, Schema, TableMetadata } from '../format/types.js'
import type { OpenedSource, PrunablePredicate } from '../io/types.js'
import { DvError } from '../errors.js'
import { compareValues } from '../format/index.js'
import { primitiveTypeOf } from '../format/fields.js'
import type { PendingChange, RemovedFile } from './changes.js'
import type { RepoContext } from './context.js'
import { verifiedScanFiles } from './read.js'
import { checksFor, dataFileMayMatch, planScan, type PlannedFile } from './scan-plan.js'

/** The key's column names in key order; [] for a table without a key. */
export function keyColumns(table: TableMetadata | null): string[] {
  return (table?.identifierFieldIds ?? []).map((id) => table!.schema.fields.find((f) => f.id === id)!.name)
}

/** `(a, b)` or `id`, as messages show a key. */
export function describeColumns(columns: string[]): string {
  return columns.length === 1 ? columns[0]! : `(${columns.join(', ')})`
}

/** The key an upsert uses: the table's when `--key` is omitted; a `--key` other than the table's is refused. */
export function upsertKey(tableName: string, table: TableMetadata | null, given: string[] | undefined): string[] | undefined {
  const key = keyColumns(table)
  if (key.length === 0) return given
  if (given === undefined) return key
  if (given.join('\0') !== key.join('\0')) {
    throw new DvError('INVALID_ARGUMENT', `--key ${given.join(',')} is not the primary key of table '${tableName}', which is ${describeColumns(key)}`, {
      hint: `omit --key (an upsert uses the table's key), or pass --key ${key.join(',')}`,
      details: { table: tableName, key, given },
    })
  }
  return key
}

/**
 * Predicates `col >= min AND col <= max` for each key column over `files`'
 * statistics: the range of keys they hold. [] when some range is unknown
 * (then nothing can be pruned).
 */
export function keyRangePredicates(schema: Schema, key: string[], files: ReadonlyArray<{ columns: Record<string, ColumnInfo> }>): PrunablePredicate[] {
  const preds: PrunablePredicate[] = []
  for (const column of key) {
    const field = schema.fields.find((f) => f.name === column)
    if (!field || files.length === 0) return []
    const type = primitiveTypeOf(field, 'use as keys')
    let min: string | undefined
    let max: string | undefined
    for (const f of files) {
      const c = f.columns[String(field.id)]
      if (!c || c.min === undefined || c.max === undefined) return [] // unknown range: no pruning
      if (min === undefined || compareValues(type, c.min, min) < 0) min = c.min
      if (max === undefined || compareValues(type, c.max, max) > 0) max = c.max
    }
    preds.push({ column, op: '>=', values: [min!] }, { column, op: '<=', values: [max!] })
  }
  return preds
}

export interface NewKeysCheck {
  tableName: string
  /** The table as the write sees it (keyed). */
  table: TableMetadata
  key: string[]
  source: OpenedSource
  /** The files written from the input (their statistics give the key range). */
  input: ReadonlyArray<{ columns: Record<string, ColumnInfo> }>
  /** Files of the table this write removes (they will not hold their keys any more). */
  removes: RemovedFile[]
  /** Files this write adds besides its input (rows kept by a rewrite). */
  kept: DataFile[]
  /** Earlier staged changes of the same table on the branch (their files count; a staged full overwrite removes the head's). */
  staged: PendingChange[]
}

/** Refuses (INVALID_ARGUMENT, with the count and an example) an input key that the table will still hold after the write. */
export async function checkNewKeys(ctx: RepoContext, c: NewKeysCheck): Promise<void> {
  const range = keyRangePredicates(c.table.schema, c.key, c.input)
  const gone = new Map<string, number>()
  for (const r of [...c.removes, ...c.staged.flatMap((s) => s.removes)]) gone.set(r.id, (gone.get(r.id) ?? 0) + 1)
  const headReplaced = c.staged.some((s) => s.scope.kind === 'table')
  const candidates: PlannedFile[] = []
  if (!headReplaced) {
    for (const p of (await planScan(ctx, c.table, range)).files) {
      const n = gone.get(p.file.id) ?? 0
      if (n > 0) gone.set(p.file.id, n - 1)
      else candidates.push(p)
    }
  }
  const checks = checksFor(c.table, range)
  for (const f of [...c.staged.flatMap((s) => s.files), ...c.kept]) {
    if (dataFileMayMatch(f, checks)) candidates.push({ file: f, manifest: '' as never })
  }
  if (candidates.length === 0) return
  const engine = await ctx.engine()
  const found = await engine.findExistingKeys(await verifiedScanFiles(ctx, candidates), c.table.schema, c.key, c.source)
  if (found.rows === 0) return
  throw new DvError('INVALID_ARGUMENT', `${found.keys} key(s) of ${c.source.name} already exist in table '${c.tableName}' (primary key ${describeColumns(c.key)}), e.g. ${found.example}`, {
    hint: 'a keyed table holds each key once: change existing rows with --mode upsert, or drop those keys from the input',
    details: { table: c.tableName, key: c.key, keys: found.keys, rows: found.rows, example: found.example },
  })
}
