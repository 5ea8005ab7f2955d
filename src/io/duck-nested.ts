/**
 * Nested types between dv and DuckDB: the DuckDB type of a struct, list or
 * map column (STRUCT(...), T[], MAP(K, V)), the dv type of a nested input
 * column as DuckDB reads it, and which nested conversions a write may apply
 * on its own. Primitive cases are delegated to duck-types.ts by callback, so
 * the two modules do not import each other.
 */
import type { DuckDBType } from '@duckdb/node-api'
import type { NestedType, PrimitiveType, Type } from '../format/types.js'
import { quoteIdent } from './duck.js'

/** The DuckDB type of a nested dv type, with `primitive` for the leaves. */
export function nestedDuckType(type: NestedType, primitive: (t: PrimitiveType) => string): string {
  const of = (t: Type): string => (typeof t === 'string' ? primitive(t) : nestedDuckType(t, primitive))
  switch (type.type) {
    case 'struct': return `STRUCT(${type.fields.map((f) => `${quoteIdent(f.name)} ${of(f.type)}`).join(', ')})`
    case 'list': return `${of(type.element)}[]`
    case 'map': return `MAP(${of(type.key)}, ${of(type.value)})`
  }
}

/** True when a DuckDB type string names a nested type (the structured type is then needed to map it). */
export function isNestedDuckType(duckType: string): boolean {
  return /^(STRUCT|MAP|UNION)\(/.test(duckType) || /\]$/.test(duckType)
}

/**
 * The dv type of a column DuckDB reads as `type`. Nested ids are 0: the table
 * assigns ids when the column joins its schema (unionSchema ignores input ids).
 * Fixed-size arrays read as lists; everything else is mapped by `primitive`
 * (which throws UNSUPPORTED naming the column for a type dv cannot store).
 */
export function typeFromDuck(type: DuckDBType, primitive: (duckType: string) => PrimitiveType): Type {
  const t = type as unknown as { entryNames?: readonly string[]; entryTypes?: readonly DuckDBType[]; keyType?: DuckDBType; valueType?: DuckDBType }
  const text = type.toString()
  if (t.entryNames && t.entryTypes && text.startsWith('STRUCT')) {
    const types = t.entryTypes
    return { type: 'struct', fields: t.entryNames.map((name, i) => ({ id: 0, name, type: typeFromDuck(types[i]!, primitive), required: false })) }
  }
  if (t.keyType && t.valueType) {
    return { type: 'map', keyId: 0, key: typeFromDuck(t.keyType, primitive), valueId: 0, value: typeFromDuck(t.valueType, primitive), valueRequired: false }
  }
  if (t.valueType) return { type: 'list', elementId: 0, element: typeFromDuck(t.valueType, primitive), elementRequired: false }
  return primitive(text)
}

/**
 * True when every value of nested type `from` converts to `to` without loss,
 * by DuckDB's CAST (structs match fields by name; a field the input lacks
 * becomes NULL): the same kind, fields matched by name (case-insensitively,
 * as DuckDB does), each child convertible by `primitive`, and no input field
 * the table lacks (the schema union adds those first).
 */
export function isLosslessNested(from: Type, to: Type, primitive: (a: PrimitiveType, b: PrimitiveType) => boolean): boolean {
  if (typeof from === 'string' || typeof to === 'string') {
    return typeof from === 'string' && typeof to === 'string' && primitive(from, to)
  }
  if (from.type === 'struct' && to.type === 'struct') {
    return from.fields.every((f) => {
      const target = to.fields.find((g) => g.name.toLowerCase() === f.name.toLowerCase())
      return target !== undefined && isLosslessNested(f.type, target.type, primitive)
    })
  }
  if (from.type === 'list' && to.type === 'list') return isLosslessNested(from.element, to.element, primitive)
  if (from.type === 'map' && to.type === 'map') {
    return isLosslessNested(from.key, to.key, (a, b) => a === b) && isLosslessNested(from.value, to.value, primitive)
  }
  return false
}
