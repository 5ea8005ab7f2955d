/**
 * Union of an input's schema into a table's, for appends
 * (format-spec/table-metadata.md#schema-evolution): columns are matched by
 * name at every depth, new ones are added as nullable with fresh ids, an
 * input column narrower than the table's is widened on write, and anything
 * else is refused naming the column and both types.
 */
import { DvError } from '../errors.js'
import { assignFreshIds, idCounter } from './field-ids.js'
import { isPrimitive } from './fields.js'
import { canPromote, type TableSchema } from './schema-evolution.js'
import { formatFieldPath, formatType, quoteName } from './type-text.js'
import type { Field, PrimitiveType, Schema, Type } from './types.js'

/**
 * True when input values of type `input` may be written into a table column
 * of type `table`: the same type, a promotion (canPromote), or int/long into
 * double (dv has always accepted integer-valued input for double columns,
 * rounding beyond 2^53).
 */
export function canWidenOnWrite(input: PrimitiveType, table: PrimitiveType): boolean {
  return input === table || canPromote(input, table) || ((input === 'int' || input === 'long') && table === 'double')
}

class Union {
  private readonly counter
  constructor(
    lastColumnId: number,
    private readonly source: string,
  ) {
    this.counter = idCounter(lastColumnId)
  }

  lastColumnId(): number {
    return this.counter.last()
  }

  private mismatch(path: readonly string[], table: Type, input: Type): DvError {
    const column = formatFieldPath(path)
    return new DvError('INVALID_ARGUMENT', `column ${column} is ${formatType(input)} in ${this.source} but ${formatType(table)} in the table`, {
      hint: `convert ${column} to ${formatType(table)} in the input (a narrower type such as int for long is widened on write), or write it to a new column`,
      details: { column, inputType: formatType(input), tableType: formatType(table) },
    })
  }

  fields(table: Field[], input: Field[], parent: readonly string[]): Field[] {
    const seen = new Map<string, string>()
    for (const f of input) {
      const clash = seen.get(f.name.toLowerCase())
      if (clash !== undefined) {
        throw new DvError('INVALID_ARGUMENT', `${this.source} has two columns named ${formatFieldPath([...parent, f.name])}${clash === f.name ? '' : ` and ${quoteName(clash)} (names are compared ignoring case)`}`, {
          hint: 'rename one of them in the input',
          details: { column: formatFieldPath([...parent, f.name]) },
        })
      }
      seen.set(f.name.toLowerCase(), f.name)
    }
    const out = [...table]
    const matched = new Set<number>()
    for (const f of input) {
      const i = matchIndex(table, f.name)
      if (i < 0) {
        // A new column: nullable, because rows already in the table have no value for it.
        const id = this.counter.next()
        out.push({ id, name: f.name, type: assignFreshIds(f.type, this.counter.next), required: false })
        continue
      }
      matched.add(i)
      const t = table[i]!
      out[i] = { ...t, type: this.type(t.type, f.type, [...parent, t.name]) }
    }
    const missing = table.find((f, i) => f.required && !matched.has(i))
    if (missing) {
      const column = formatFieldPath([...parent, missing.name])
      throw new DvError('INVALID_ARGUMENT', `${this.source} lacks column ${column}, which the table requires`, {
        hint: `add a ${column} column to the input`,
        details: { column },
      })
    }
    return out
  }

  type(table: Type, input: Type, path: readonly string[]): Type {
    if (isPrimitive(table) || isPrimitive(input)) {
      if (isPrimitive(table) && isPrimitive(input) && canWidenOnWrite(input, table)) return table
      throw this.mismatch(path, table, input)
    }
    if (table.type === 'struct' && input.type === 'struct') return { type: 'struct', fields: this.fields(table.fields, input.fields, path) }
    if (table.type === 'list' && input.type === 'list') return { ...table, element: this.type(table.element, input.element, [...path, 'element']) }
    if (table.type === 'map' && input.type === 'map') {
      return { ...table, key: this.type(table.key, input.key, [...path, 'key']), value: this.type(table.value, input.value, [...path, 'value']) }
    }
    throw this.mismatch(path, table, input)
  }
}

/** The table field named `name`: an exact match, else the only one equal ignoring case; -1 when none. */
function matchIndex(fields: Field[], name: string): number {
  const exact = fields.findIndex((f) => f.name === name)
  if (exact >= 0) return exact
  const loose = fields.flatMap((f, i) => (f.name.toLowerCase() === name.toLowerCase() ? [i] : []))
  return loose.length === 1 ? loose[0]! : -1
}

/**
 * The table schema after appending data of schema `input` (whose ids are
 * ignored): table columns keep their ids and types; input columns new at any
 * depth are added as nullable with fresh ids after `lastColumnId`; input
 * columns of a narrower type are accepted (canWidenOnWrite; the data plane
 * casts them). Refuses, as INVALID_ARGUMENT naming column and both types,
 * any other type difference, duplicate input names, and an input that lacks
 * a required column. New columns are those with ids above the old lastColumnId.
 */
export function unionSchema(table: TableSchema, input: Schema, source = 'the input'): TableSchema {
  const union = new Union(table.lastColumnId, source)
  const fields = union.fields(table.schema.fields, input.fields, [])
  return { schema: { fields }, lastColumnId: union.lastColumnId() }
}
