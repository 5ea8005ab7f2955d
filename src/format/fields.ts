/**
 * Walking schemas with nested types: every field at every depth with its
 * path and id, lookups by id and by dotted path, and the narrowing helpers
 * that let code written for primitive columns refuse nested ones cleanly.
 */
import { isDeepStrictEqual } from 'node:util'
import { DvError } from '../errors.js'
import { isV1PrimitiveType } from './primitive-type.js'
import { formatFieldPath, formatType } from './type-text.js'
import type { Field, NestedType, PrimitiveType, Schema, Type } from './types.js'

/** How a field hangs off its parent: a named struct field (or top-level column), a list element, a map key or value. */
export type FieldRole = 'field' | 'element' | 'key' | 'value'

/** One field of a schema at any depth, as leafFields/allFields/fieldById/findField return it. */
export interface FieldEntry {
  id: number
  /** Names from the top-level column down; list elements, map keys and values are named element, key, value. */
  path: readonly string[]
  type: Type
  required: boolean
  role: FieldRole
  /** True inside a list or map: the field has no single value per row (not a partition source). */
  repeated: boolean
}

export function isPrimitive(type: Type): type is PrimitiveType {
  return typeof type === 'string'
}

export function isNested(type: Type): type is NestedType {
  return typeof type !== 'string'
}

/** The direct children of a type, as [name, id, type, required, role]; none for a primitive. */
export function childFields(type: Type): Array<{ name: string; id: number; type: Type; required: boolean; role: FieldRole }> {
  if (isPrimitive(type)) return []
  switch (type.type) {
    case 'struct':
      return type.fields.map((f) => ({ name: f.name, id: f.id, type: f.type, required: f.required, role: 'field' }))
    case 'list':
      return [{ name: 'element', id: type.elementId, type: type.element, required: type.elementRequired, role: 'element' }]
    case 'map':
      return [
        { name: 'key', id: type.keyId, type: type.key, required: true, role: 'key' },
        { name: 'value', id: type.valueId, type: type.value, required: type.valueRequired, role: 'value' },
      ]
  }
}

/** Every field of `schema` at every depth, depth first: each field comes right before its descendants. */
export function allFields(schema: Schema): FieldEntry[] {
  const out: FieldEntry[] = []
  const visit = (parent: readonly string[], type: Type, repeated: boolean): void => {
    for (const c of childFields(type)) {
      const entry: FieldEntry = { id: c.id, path: [...parent, c.name], type: c.type, required: c.required, role: c.role, repeated }
      out.push(entry)
      visit(entry.path, c.type, repeated || (isNested(c.type) && c.type.type !== 'struct'))
    }
  }
  visit([], { type: 'struct', fields: schema.fields }, false)
  return out
}

/** The fields of primitive type at every depth (the Parquet leaf columns), depth first, with dotted paths and ids. */
export function leafFields(schema: Schema): FieldEntry[] {
  return allFields(schema).filter((f) => isPrimitive(f.type))
}

/** The field with id `id` at any depth, or undefined. */
export function fieldById(schema: Schema, id: number): FieldEntry | undefined {
  return allFields(schema).find((f) => f.id === id)
}

/** The highest field id at any depth (0 for no fields). */
export function maxFieldId(schema: Schema): number {
  return allFields(schema).reduce((max, f) => Math.max(max, f.id), 0)
}

const QUOTES = new Set(['`', '"'])

/**
 * Splits a field path as people write it: `payload.user.id`, with names that
 * contain dots or other odd characters quoted in backticks or double quotes
 * (the quote character doubled inside): `` `a.b`.c ``, `"my col".x`.
 * Throws INVALID_ARGUMENT naming the position.
 */
export function parseFieldPath(text: string): string[] {
  const parts: string[] = []
  const bad = (at: number, problem: string): DvError =>
    new DvError('INVALID_ARGUMENT', `invalid column path ${JSON.stringify(text)} at column ${at + 1}: ${problem}`, {
      hint: 'write nested columns as parent.child; quote names that contain dots in backticks, e.g. `a.b`.c',
    })
  let i = 0
  for (;;) {
    const quote = text[i]
    let name = ''
    if (quote !== undefined && QUOTES.has(quote)) {
      for (i++; ; i++) {
        if (i >= text.length) throw bad(i, `expected closing ${quote}`)
        if (text[i] === quote) {
          if (text[i + 1] !== quote) break
          i++
        }
        name += text[i]
      }
      i++
    } else {
      while (i < text.length && text[i] !== '.') name += text[i++]
    }
    if (name === '') throw bad(i, 'expected a name')
    parts.push(name)
    if (i === text.length) return parts
    if (text[i] !== '.') throw bad(i, "expected '.' after a quoted name")
    i++
  }
}

/**
 * The field at `path` (a dotted text or the list of names), at any depth:
 * `payload.user.id`, `tags.element`, `attrs.value`. An exact match wins;
 * otherwise a case-insensitive match is used when it is the only one
 * (dv refuses sibling names that differ only in case; see schema-evolution).
 */
export function findField(schema: Schema, path: string | readonly string[]): FieldEntry | undefined {
  const names = typeof path === 'string' ? parseFieldPath(path) : path
  const fields = allFields(schema).filter((f) => f.path.length === names.length)
  const exact = fields.find((f) => f.path.every((n, i) => n === names[i]))
  if (exact) return exact
  const lower = names.map((n) => n.toLowerCase())
  const loose = fields.filter((f) => f.path.every((n, i) => n.toLowerCase() === lower[i]))
  return loose.length === 1 ? loose[0] : undefined
}

/**
 * The primitive type of a column, or UNSUPPORTED naming the column and its
 * type when it is nested. For code of the data plane that handles only
 * primitive columns so far; `doing` says what could not be done.
 */
export function primitiveTypeOf(field: Pick<Field, 'name' | 'type'> | FieldEntry, doing = 'read or write'): PrimitiveType {
  if (isPrimitive(field.type)) return field.type
  const name = 'path' in field ? formatFieldPath(field.path) : field.name
  throw new DvError('UNSUPPORTED', `column '${name}' has type ${formatType(field.type)}; this version of dv cannot ${doing} nested columns yet`, {
    hint: 'read or write this table with a dv that supports nested types, or drop the column',
    details: { column: name, type: formatType(field.type) },
  })
}

/** True when two types are the same, nested field names, ids and required flags included (types are objects: === is not enough). */
export function sameType(a: Type, b: Type): boolean {
  return isDeepStrictEqual(a, b)
}

/** True when the type is or contains a type outside table kind v1 (nested, time, nanosecond timestamps, uuid, fixed). */
export function isV2Type(type: Type): boolean {
  return isNested(type) || !isV1PrimitiveType(type)
}
