/**
 * Schema evolution by field id (format-spec/table-metadata.md#schema-evolution),
 * as pure functions from a table's schema to the next one, by Iceberg's
 * rules. Every refusal is INVALID_ARGUMENT naming the column, the types
 * involved and how to proceed. Callers write the result as new table metadata.
 */
import { DvError } from '../errors.js'
import { assignFreshIds, idCounter } from './field-ids.js'
import { allFields, findField, isPrimitive, parseFieldPath, type FieldEntry } from './fields.js'
import { decimalParams } from './primitive-type.js'
import { formatFieldPath, formatType, quoteName } from './type-text.js'
import type { Field, PartitionField, PrimitiveType, Schema, StructType, Type } from './types.js'

/** What evolution changes: the columns and the highest id ever assigned. */
export interface TableSchema {
  schema: Schema
  lastColumnId: number
}

type Path = string | readonly string[]

function refuse(message: string, hint: string, details: Record<string, unknown>): DvError {
  return new DvError('INVALID_ARGUMENT', message, { hint, details })
}

const toPath = (path: Path): readonly string[] => (typeof path === 'string' ? parseFieldPath(path) : path)

function resolve(table: TableSchema, path: Path): FieldEntry {
  const names = toPath(path)
  const field = findField(table.schema, names)
  if (!field) {
    const columns = allFields(table.schema).map((f) => formatFieldPath(f.path)).join(', ') || '(none)'
    throw refuse(`no column ${formatFieldPath(names)} in the table`, `columns: ${columns}`, { column: formatFieldPath(names) })
  }
  return field
}

/** `type` with the field of id `id` (at any depth) replaced by `replace(field)`; a struct field list may also be edited. */
function rewrite(type: Type, visit: (fields: Field[]) => Field[] | undefined, replace: (type: Type, id: number) => Type): Type {
  if (isPrimitive(type)) return type
  switch (type.type) {
    case 'struct': {
      const fields = (visit(type.fields) ?? type.fields).map((f) => ({ ...f, type: rewrite(replace(f.type, f.id), visit, replace) }))
      return { type: 'struct', fields }
    }
    case 'list':
      return { ...type, element: rewrite(replace(type.element, type.elementId), visit, replace) }
    case 'map':
      return { ...type, key: rewrite(replace(type.key, type.keyId), visit, replace), value: rewrite(replace(type.value, type.valueId), visit, replace) }
  }
}

/** Applies `edit` to the field list of the struct whose fields include `id` (the schema itself for a top-level id). */
function editSiblings(schema: Schema, id: number, edit: (fields: Field[]) => Field[]): Schema {
  const root: StructType = { type: 'struct', fields: schema.fields }
  const visit = (fields: Field[]): Field[] | undefined => (fields.some((f) => f.id === id) ? edit(fields) : undefined)
  return { fields: (rewrite(root, visit, (t) => t) as StructType).fields }
}

function replaceType(schema: Schema, id: number, type: Type): Schema {
  const root: StructType = { type: 'struct', fields: schema.fields }
  return { fields: (rewrite(root, () => undefined, (t, at) => (at === id ? type : t)) as StructType).fields }
}

function siblingsOf(schema: Schema, parent: readonly string[]): Field[] | undefined {
  if (parent.length === 0) return schema.fields
  const p = findField(schema, parent)
  return p && !isPrimitive(p.type) && p.type.type === 'struct' ? p.type.fields : undefined
}

function checkNewName(siblings: Field[], name: string, path: readonly string[], except?: number): void {
  if (name === '') throw refuse(`a column name must not be empty`, 'choose a non-empty name', { column: formatFieldPath(path) })
  const clash = siblings.find((f) => f.id !== except && f.name.toLowerCase() === name.toLowerCase())
  if (clash) {
    throw refuse(`column ${formatFieldPath([...path.slice(0, -1), name])} already exists${clash.name === name ? '' : ` as ${quoteName(clash.name)}`} (names are compared ignoring case)`,
      'choose a name that differs from every sibling column, ignoring case', { column: formatFieldPath(path), existing: clash.name })
  }
}

export interface AddColumnOptions {
  /** A required column can only be added to a table without rows (existing rows would have no value). */
  required?: boolean
  /** True when the table has no rows, so a required column may be added. */
  tableIsEmpty?: boolean
}

/**
 * Adds a column at `path` (`a`, or `payload.user.email` inside structs,
 * `items.element.sku` inside a list of structs). The column and every field
 * inside `type` get fresh ids after `lastColumnId`, in Iceberg's order; ids
 * already in `type` are ignored. Required columns only go into empty tables.
 */
export function addColumn(table: TableSchema, path: Path, type: Type, options: AddColumnOptions = {}): TableSchema {
  const names = toPath(path)
  const name = names.at(-1)!
  const parent = names.slice(0, -1)
  const siblings = siblingsOf(table.schema, parent)
  if (!siblings) {
    const p = findField(table.schema, parent)
    const problem = p ? `${formatFieldPath(parent)} is ${formatType(p.type)}, not a struct` : `there is no struct ${formatFieldPath(parent)}`
    throw refuse(`cannot add column ${formatFieldPath(names)}: ${problem}`, 'add nested columns inside an existing struct (a list of structs is reached through .element)', { column: formatFieldPath(names) })
  }
  checkNewName(siblings, name, names)
  if (options.required && !options.tableIsEmpty) {
    throw refuse(`cannot add required column ${formatFieldPath(names)} ${formatType(type)} to a table that has rows`,
      'add it as a nullable column (existing rows have no value for it), or add it before the first write', { column: formatFieldPath(names), type: formatType(type) })
  }
  const counter = idCounter(table.lastColumnId)
  const field: Field = { id: counter.next(), name, type, required: options.required ?? false }
  field.type = assignFreshIds(type, counter.next)
  const schema = parent.length === 0
    ? { fields: [...table.schema.fields, field] }
    : editSiblings(table.schema, siblings[0]!.id, (fields) => [...fields, field])
  return { schema, lastColumnId: counter.last() }
}

/** Renames the column at `path`, keeping its id (no data is rewritten). List elements and map keys and values have no names of their own. */
export function renameColumn(table: TableSchema, path: Path, newName: string): TableSchema {
  const field = resolve(table, path)
  if (field.role !== 'field') throw refuse(`cannot rename ${formatFieldPath(field.path)}: a list element or map ${field.role} has no name of its own`, 'rename the list or map column instead', { column: formatFieldPath(field.path) })
  checkNewName(siblingsOf(table.schema, field.path.slice(0, -1))!, newName, field.path, field.id)
  const schema = editSiblings(table.schema, field.id, (fields) => fields.map((f) => (f.id === field.id ? { ...f, name: newName } : f)))
  return { schema, lastColumnId: table.lastColumnId }
}

/**
 * Drops the column at `path` and every field inside it; their ids stay
 * retired. Refuses a partition source (or a struct holding one) and the
 * only field of a struct (drop the struct instead).
 */
export function dropColumn(table: TableSchema, path: Path, partitionSpec: readonly PartitionField[]): TableSchema {
  const field = resolve(table, path)
  const column = formatFieldPath(field.path)
  if (field.role !== 'field') throw refuse(`cannot drop ${column}: a list element or map ${field.role} cannot be dropped on its own`, 'drop the list or map column instead', { column })
  const inside = allFields(table.schema).filter((f) => f.path.length >= field.path.length && field.path.every((n, i) => f.path[i] === n))
  const source = partitionSpec.find((p) => inside.some((f) => f.id === p.sourceId))
  if (source) {
    throw refuse(`cannot drop ${column}: partition field ${source.name} is computed from it`, 'partitioning cannot change in this format version; keep the column', { column, partitionField: source.name })
  }
  const siblings = siblingsOf(table.schema, field.path.slice(0, -1))!
  if (field.path.length > 1 && siblings.length === 1) {
    throw refuse(`cannot drop ${column}: it is the only field of struct ${formatFieldPath(field.path.slice(0, -1))}`, 'drop the struct itself instead', { column })
  }
  const schema = editSiblings(table.schema, field.id, (fields) => fields.filter((f) => f.id !== field.id))
  return { schema, lastColumnId: table.lastColumnId }
}

/**
 * True when a column of type `from` may become `to` without rewriting data
 * (Iceberg's promotions): int -> long, float -> double, decimal(P,S) ->
 * decimal(P',S) with P' > P, date -> timestamp or timestamp_ns (Iceberg v3).
 */
export function canPromote(from: PrimitiveType, to: PrimitiveType): boolean {
  if (from === 'int') return to === 'long'
  if (from === 'float') return to === 'double'
  if (from === 'date') return to === 'timestamp' || to === 'timestamp_ns'
  const a = decimalParams(from)
  const b = decimalParams(to)
  return !!a && !!b && a.scale === b.scale && b.precision > a.precision
}

const PROMOTIONS_HINT = 'allowed: int -> long, float -> double, decimal(P,S) -> decimal(P2,S) with P2 > P, date -> timestamp or timestamp_ns; otherwise add a new column and copy the values'

/**
 * Changes the type of the column at `path` to a wider one (see canPromote),
 * keeping its id. Refuses nested columns, map keys, and an identity partition
 * source of type date (its partition values are dates).
 */
export function promoteColumn(table: TableSchema, path: Path, to: PrimitiveType, partitionSpec: readonly PartitionField[] = []): TableSchema {
  const field = resolve(table, path)
  const column = formatFieldPath(field.path)
  const from = field.type
  const details = { column, tableType: formatType(from), newType: to }
  if (!isPrimitive(from)) throw refuse(`cannot change ${column} from ${formatType(from)} to ${to}: only primitive columns can be promoted`, PROMOTIONS_HINT, details)
  if (from === to) return table
  if (!canPromote(from, to)) throw refuse(`cannot change ${column} from ${from} to ${to}`, PROMOTIONS_HINT, details)
  if (field.role === 'key') throw refuse(`cannot change ${column} from ${from} to ${to}: map keys cannot change type`, 'add a new map column instead', details)
  const identity = partitionSpec.find((p) => p.sourceId === field.id && p.transform === 'identity')
  if (from === 'date' && identity) {
    throw refuse(`cannot change ${column} from date to ${to}: partition field ${identity.name} holds its dates`, 'keep the column a date, or partition by day/month/year instead', details)
  }
  return { schema: replaceType(table.schema, field.id, to), lastColumnId: table.lastColumnId }
}

/** Makes the column at `path` nullable (always allowed: existing values stay valid). */
export function makeOptional(table: TableSchema, path: Path): TableSchema {
  const field = resolve(table, path)
  if (!field.required) return table
  if (field.role === 'key') throw refuse(`cannot make ${formatFieldPath(field.path)} nullable: map keys are always required`, 'map keys never hold nulls', { column: formatFieldPath(field.path) })
  const root: StructType = { type: 'struct', fields: table.schema.fields }
  const optional = (t: Type): Type => {
    if (isPrimitive(t)) return t
    if (t.type === 'struct') return { type: 'struct', fields: t.fields.map((f) => ({ ...(f.id === field.id ? { ...f, required: false } : f), type: optional(f.type) })) }
    if (t.type === 'list') return { ...t, elementRequired: t.elementId === field.id ? false : t.elementRequired, element: optional(t.element) }
    return { ...t, valueRequired: t.valueId === field.id ? false : t.valueRequired, key: optional(t.key), value: optional(t.value) }
  }
  return { schema: { fields: (optional(root) as StructType).fields }, lastColumnId: table.lastColumnId }
}
