/**
 * Preparing a write: read the input's columns, evolve the table schema
 * (field ids assigned by the table), write Parquet data files, publish them
 * as objects, and describe the result as a PendingChange. Nothing here
 * touches refs: the change lands only when a commit applies it.
 */
import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import type { ObjectId } from '../ids.js'
import type { DataFile, Field, PartitionField, PrimitiveType, Schema, TableMetadata } from '../format/types.js'
import type { InputColumn, WrittenFile } from '../io/types.js'
import { assignFreshIds, canWidenOnWrite, formatFieldPath, idCounter, isPrimitive, parsePartitionBy, unionSchema } from '../format/index.js'
import { fieldById } from '../format/fields.js'
import { DvError } from '../errors.js'
import type { RepoContext } from './context.js'
import { mapLimit } from '../store/map-limit.js'

export interface WriteBase {
  /** The table's metadata id at the branch head (null: absent there). */
  headTableId: ObjectId | null
  /** The table as the write sees it: head plus earlier staged changes (null: absent). */
  table: TableMetadata | null
}

/**
 * True when input values of type `input` are written into a column of type
 * `table`, widened exactly (Iceberg's promotions: int -> long, float ->
 * double, decimal precision up, date -> timestamp; see canWidenOnWrite).
 */
export function canWrite(input: PrimitiveType, table: PrimitiveType): boolean {
  return canWidenOnWrite(input, table)
}

/** The table schema after writing `columns`: existing fields keep their ids; new columns get new ids. */
export function evolveSchema(
  tableName: string, sourceName: string, table: Pick<TableMetadata, 'schema' | 'lastColumnId'> | null, columns: InputColumn[],
): { schema: Schema; lastColumnId: number; added: Field[] } {
  const seen = new Set<string>()
  for (const c of columns) {
    if (seen.has(c.name)) throw new DvError('INVALID_ARGUMENT', `${sourceName} has two columns named '${c.name}'`)
    seen.add(c.name)
  }
  const fields = table ? [...table.schema.fields] : []
  const ids = idCounter(table ? table.lastColumnId : 0)
  const added: Field[] = []
  // by name, and by name ignoring case (the first field of each): a wide input is linear, not quadratic
  const byName = new Map<string, number>()
  const byFolded = new Map<string, Field>()
  const indexField = (f: Field, i: number): void => {
    byName.set(f.name, i)
    const key = f.name.toLowerCase()
    if (!byFolded.has(key)) byFolded.set(key, f)
  }
  fields.forEach(indexField)
  for (const c of columns) {
    const index = byName.get(c.name) ?? -1
    const existing = fields[index]
    const folded = existing ? undefined : byFolded.get(c.name.toLowerCase())
    if (folded) {
      throw new DvError('INVALID_ARGUMENT', `column '${c.name}' of ${sourceName} differs only in case from column '${folded.name}' of table '${tableName}'`, {
        hint: `dv compares column names ignoring case: name it '${folded.name}' in the input, or give it another name`,
        details: { column: c.name, tableColumn: folded.name },
      })
    }
    if (existing && isPrimitive(existing.type) && isPrimitive(c.type)) {
      if (!canWrite(c.type, existing.type)) {
        throw new DvError('INVALID_ARGUMENT',
          `column '${c.name}' is ${c.type} in ${sourceName} but ${existing.type} in table '${tableName}'`, {
            hint: `convert the column to ${existing.type} in the input, or write it to a new column or table`,
            details: { column: c.name, inputType: c.type, tableType: existing.type },
          })
      }
      continue
    }
    if (existing) {
      // A nested column: matched by name at every depth, new struct fields added with fresh ids (format-spec schema evolution).
      const input: Field = { id: 0, name: c.name, type: c.type, required: false }
      const union = unionSchema({ schema: { fields: [existing] }, lastColumnId: ids.last() }, { fields: [input] }, sourceName)
      while (ids.last() < union.lastColumnId) ids.next()
      fields[index] = union.schema.fields[0]!
      continue
    }
    const field: Field = { id: ids.next(), name: c.name, type: assignFreshIds(c.type, ids.next), required: false }
    fields.push(field)
    indexField(field, fields.length - 1)
    added.push(field)
  }
  const lastColumnId = ids.last()
  if (table) {
    const missingRequired = table.schema.fields.filter((f) => f.required && !seen.has(f.name))
    if (missingRequired.length) {
      throw new DvError('INVALID_ARGUMENT', `${sourceName} lacks required column(s) ${missingRequired.map((f) => `'${f.name}'`).join(', ')} of table '${tableName}'`)
    }
  }
  return { schema: { fields }, lastColumnId, added: table ? added : [] }
}

export function partitionSpecFor(tableName: string, table: TableMetadata | null, partitionBy: string | undefined, schema: Schema): PartitionField[] {
  if (!table) return partitionBy ? refuseNestedSources(parsePartitionBy(partitionBy, schema), partitionBy, schema) : []
  if (partitionBy !== undefined) {
    const wanted = parsePartitionBy(partitionBy, schema)
    const same = wanted.length === table.partitionSpec.length &&
      wanted.every((p, i) => p.sourceId === table.partitionSpec[i].sourceId && p.transform === table.partitionSpec[i].transform)
    if (!same) {
      const now = table.partitionSpec.length === 0 ? 'is not partitioned' : `is already partitioned by ${describeSpec(table)}`
      throw new DvError('INVALID_ARGUMENT', `table '${tableName}' ${now}; --partition-by '${partitionBy}' differs`, {
        hint: 'omit --partition-by for an existing table (changing the partitioning is not supported yet)',
      })
    }
  }
  return table.partitionSpec
}

/**
 * The spec, unless a source is a field inside a struct: the format allows it
 * (format-spec/table-metadata.md), but dv's writer partitions by top-level
 * columns only, so --partition-by is refused (exit 2) before anything is written.
 */
function refuseNestedSources(spec: PartitionField[], partitionBy: string, schema: Schema): PartitionField[] {
  for (const p of spec) {
    if (schema.fields.some((f) => f.id === p.sourceId)) continue
    const path = formatFieldPath(fieldById(schema, p.sourceId)!.path)
    throw new DvError('INVALID_ARGUMENT', `invalid partition spec ${JSON.stringify(partitionBy)}: '${path}' is a field inside a struct, and dv partitions by top-level columns only`, {
      hint: `write the field as a column of its own (e.g. '${path.replace(/\./g, '_')}') and partition by that`,
      details: { column: path },
    })
  }
  return spec
}

/** A partitioned table's spec as --partition-by spells it: `day(ts),country`. */
function describeSpec(table: TableMetadata): string {
  const name = (id: number) => table.schema.fields.find((f) => f.id === id)?.name ?? `#${id}`
  return table.partitionSpec.map((p) => (p.transform === 'identity' ? name(p.sourceId) : `${p.transform}(${name(p.sourceId)})`)).join(',')
}

export function requestFingerprint(parts: Record<string, string | undefined>): string {
  const h = createHash('sha256')
  for (const key of Object.keys(parts).sort()) h.update(`${key}=${parts[key] ?? ''}\n`)
  return h.digest('hex')
}

/** Files published at once: fsync latency, not bandwidth, bounds publishing many small files. */
const PUBLISH_CONCURRENCY = 8

/**
 * Publishes written Parquet files as objects and describes them as
 * DataFiles, in input order. Every write path (ingest, as-is, copy-on-write
 * rewrites) passes here, so this is where each file is first read back by
 * the scan reader: a file dv could not read back is never stored. Temporary
 * files are taken over by the store (linked, not copied) where it can; the
 * user's own files are copied.
 */
export async function publishFiles(ctx: RepoContext, written: WrittenFile[]): Promise<DataFile[]> {
  if (written.length === 0) return []
  const readBack = (await ctx.engine()).readBack(written)
  readBack.catch(() => undefined) // each file's publish observes it
  const objects = ctx.storage.objects
  const published = await mapLimit(written, PUBLISH_CONCURRENCY, async (w): Promise<DataFile> => {
    let stored: { id: ObjectId; bytes: number }
    if (w.temporary && objects.adoptFile) {
      // hashed and synced while the engine reads it back; linked into the store only once every file read back
      stored = await objects.adoptFile(w.path, { ready: readBack })
    } else {
      await readBack
      stored = await objects.putFile(w.path)
      if (w.temporary) await rm(w.path, { force: true })
    }
    // stored, not yet committed: the action's writer lease names it if the action runs long (writer-lease.ts)
    ctx.held?.add([stored.id])
    return { id: stored.id, format: 'parquet', rows: w.rows, bytes: stored.bytes, partition: w.partition, columns: w.columns }
  })
  // a store that ignores `ready` would have linked early: the files are still never used unread
  await readBack
  return published
}
