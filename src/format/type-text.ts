/**
 * The text form of types and names (format-spec/table-metadata.md#schema-text):
 * `struct<user: struct<id: long not null>>`, `list<string>`, `map<string,
 * double>`, names quoted with backticks when they are not plain identifiers.
 * Printing only; parsing is in schema-text.ts.
 */
import type { Field, Schema, Type } from './types.js'

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** A name as written in schema text and field paths: bare when plain, else in backticks (a backtick doubled). */
export function quoteName(name: string): string {
  return PLAIN_NAME.test(name) ? name : `\`${name.replaceAll('`', '``')}\``
}

/** A field path as people write it: `payload.user.id`, with odd names quoted (`` `a.b`.c ``). */
export function formatFieldPath(path: readonly string[]): string {
  return path.map(quoteName).join('.')
}

const notNull = (required: boolean): string => (required ? ' not null' : '')

function structField(f: Field): string {
  return `${quoteName(f.name)}: ${formatType(f.type)}${notNull(f.required)}`
}

/** The canonical text of a type, e.g. `list<string not null>`; primitives are their own names. */
export function formatType(type: Type): string {
  if (typeof type === 'string') return type
  switch (type.type) {
    case 'struct':
      return `struct<${type.fields.map(structField).join(', ')}>`
    case 'list':
      return `list<${formatType(type.element)}${notNull(type.elementRequired)}>`
    case 'map':
      return `map<${formatType(type.key)}, ${formatType(type.value)}${notNull(type.valueRequired)}>`
  }
}

/**
 * The canonical schema text: `id long not null, tags list<string>`. Ids are
 * not part of the text (they are assigned when it is parsed). An empty schema
 * prints as the empty string.
 */
export function printSchema(schema: Schema): string {
  return schema.fields.map((f) => `${quoteName(f.name)} ${formatType(f.type)}${notNull(f.required)}`).join(', ')
}
