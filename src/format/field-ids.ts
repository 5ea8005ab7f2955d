/**
 * Assigning field ids (format-spec/table-metadata.md#field-ids): a pure
 * function of the type and a counter, in Iceberg's order (AssignFreshIds):
 * a struct numbers its own fields first, then the inside of each field in
 * order; a list numbers its element, a map its key then its value, before
 * their insides.
 */
import { isPrimitive } from './fields.js'
import type { Schema, Type } from './types.js'

/** A counter handing out ids after `last`: next() is last + 1, then last + 2, ... */
export function idCounter(last: number): { next: () => number; last: () => number } {
  let current = last
  return { next: () => ++current, last: () => current }
}

/** `type` with every nested id replaced by fresh ones from `next`, in Iceberg's order. */
export function assignFreshIds<T extends Type>(type: T, next: () => number): T
export function assignFreshIds(type: Type, next: () => number): Type {
  if (isPrimitive(type)) return type
  switch (type.type) {
    case 'struct': {
      const ids = type.fields.map(() => next())
      return { type: 'struct', fields: type.fields.map((f, i) => ({ ...f, id: ids[i]!, type: assignFreshIds(f.type, next) })) }
    }
    case 'list': {
      const elementId = next()
      return { ...type, elementId, element: assignFreshIds(type.element, next) }
    }
    case 'map': {
      const keyId = next()
      const valueId = next()
      const key = assignFreshIds(type.key, next)
      return { ...type, keyId, key, valueId, value: assignFreshIds(type.value, next) }
    }
  }
}

/**
 * The schema with fresh ids counting up from `lastColumnId + 1` (1 for a new
 * table), and the new last column id. Whatever ids `schema` had are ignored.
 */
export function assignSchemaIds(schema: Schema, lastColumnId = 0): { schema: Schema; lastColumnId: number } {
  const counter = idCounter(lastColumnId)
  const struct = assignFreshIds({ type: 'struct', fields: schema.fields }, counter.next)
  return { schema: { fields: struct.fields }, lastColumnId: counter.last() }
}
