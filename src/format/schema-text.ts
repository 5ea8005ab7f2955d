/**
 * The schema text form (format-spec/table-metadata.md#schema-text), used by
 * `--schema` and printed by `dv table schema`:
 *
 *   id long not null, tags list<string>, payload struct<user: struct<id: long>>
 *
 * A small recursive-descent parser: the grammar is a dozen productions, and
 * hand-written code gives exact column positions in every error. Field ids
 * are assigned afterwards by field-ids.ts (Iceberg's order); the JSON form of
 * a schema is accepted as well.
 */
import { DvError } from '../errors.js'
import { assignFreshIds, assignSchemaIds, idCounter } from './field-ids.js'
import { isPrimitive } from './fields.js'
import { FieldProblem, isJsonObject } from './json-fields.js'
import { decimalParams, fixedLength, isPrimitiveType, PLANNED_TYPES, PRIMITIVE_TYPE_NAMES } from './primitive-type.js'
import { decodeSchema } from './schema.js'
import { quoteName } from './type-text.js'
import type { Field, PrimitiveType, Schema, Type } from './types.js'

export { formatType, printSchema, quoteName } from './type-text.js'

const HINT = 'write columns as "name type [not null]", e.g. "id long not null, tags list<string>, payload struct<a: int, b: string>"'
const MAX_DEPTH = 32
const PUNCTUATION = new Set(['<', '>', '(', ')', ',', ':'])

interface Token {
  kind: 'word' | 'quoted' | 'number' | 'punct' | 'end'
  text: string
  /** 1-based column of the token's first character. */
  column: number
}

function syntaxError(text: string, column: number, problem: string): DvError {
  return new DvError('INVALID_ARGUMENT', `invalid schema at column ${column}: ${problem}`, { hint: HINT, details: { schema: text, column } })
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    const column = i + 1
    if (/\s/.test(c)) i++
    else if (PUNCTUATION.has(c)) tokens.push({ kind: 'punct', text: text[i++]!, column })
    else if (c === '`' || c === '"') {
      let name = ''
      for (i++; ; i++) {
        if (i >= text.length) throw syntaxError(text, column, `unterminated quoted name (expected closing ${c})`)
        if (text[i] === c) {
          if (text[i + 1] !== c) break
          i++
        }
        name += text[i]
      }
      i++
      if (name === '') throw syntaxError(text, column, 'a name must not be empty')
      tokens.push({ kind: 'quoted', text: name, column })
    } else {
      const m = /^(?:[0-9]+|[A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i))
      if (!m) throw syntaxError(text, column, `unexpected character ${JSON.stringify(c)}; quote names with other characters in backticks`)
      tokens.push({ kind: /^[0-9]/.test(m[0]) ? 'number' : 'word', text: m[0], column })
      i += m[0].length
    }
  }
  tokens.push({ kind: 'end', text: '', column: text.length + 1 })
  return tokens
}

const describeToken = (t: Token): string => (t.kind === 'end' ? 'the end' : t.kind === 'quoted' ? quoteName(t.text) : `'${t.text}'`)

class Parser {
  private at = 0
  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  private peek(): Token {
    return this.tokens[this.at]!
  }

  private error(problem: string, token = this.peek()): DvError {
    return syntaxError(this.text, token.column, problem)
  }

  private expect(punct: string): void {
    const t = this.peek()
    if (t.kind !== 'punct' || t.text !== punct) throw this.error(`expected '${punct}', found ${describeToken(t)}`)
    this.at++
  }

  private accept(punct: string): boolean {
    const t = this.peek()
    if (t.kind === 'punct' && t.text === punct) this.at++
    return t.kind === 'punct' && t.text === punct
  }

  private isWord(word: string): boolean {
    const t = this.peek()
    return t.kind === 'word' && t.text.toLowerCase() === word
  }

  /** `not null`, if present. */
  private notNull(): boolean {
    if (!this.isWord('not')) return false
    this.at++
    if (!this.isWord('null')) throw this.error(`expected 'null' after 'not', found ${describeToken(this.peek())}`)
    this.at++
    return true
  }

  private number(what: string): number {
    const t = this.peek()
    if (t.kind !== 'number') throw this.error(`expected ${what}, found ${describeToken(t)}`)
    this.at++
    return Number(t.text)
  }

  schema(): Field[] {
    const fields = this.fields(0, (t) => t.kind === 'end')
    if (this.peek().kind !== 'end') throw this.error(`expected ',' or the end, found ${describeToken(this.peek())}`)
    return fields
  }

  singleType(): Type {
    const type = this.type(0, 'type')
    if (this.peek().kind !== 'end') throw this.error(`expected the end of the type, found ${describeToken(this.peek())}`)
    return type
  }

  /** One or more comma-separated fields; names unique among siblings, ignoring case. */
  private fields(depth: number, atEnd: (t: Token) => boolean): Field[] {
    const fields: Field[] = []
    const seen = new Map<string, string>()
    do {
      const nameToken = this.peek()
      if (nameToken.kind !== 'word' && nameToken.kind !== 'quoted') {
        throw this.error(`expected a column name, found ${describeToken(nameToken)}`)
      }
      this.at++
      const name = nameToken.text
      const clash = seen.get(name.toLowerCase())
      if (clash !== undefined) {
        throw this.error(`duplicate name ${quoteName(name)}${clash === name ? '' : ` (same as ${quoteName(clash)} but for case)`}`, nameToken)
      }
      seen.set(name.toLowerCase(), name)
      this.accept(':')
      const type = this.type(depth, name)
      fields.push({ id: 0, name, type, required: this.notNull() })
    } while (!atEnd(this.peek()) && this.accept(','))
    return fields
  }

  private type(depth: number, column: string): Type {
    if (depth > MAX_DEPTH) throw this.error(`types nested deeper than ${MAX_DEPTH} levels`)
    const t = this.peek()
    if (t.kind !== 'word') throw this.error(`expected a type for ${quoteName(column)}, found ${describeToken(t)}`)
    this.at++
    const word = t.text.toLowerCase()
    switch (word) {
      case 'struct': {
        this.expect('<')
        if (this.accept('>')) throw this.error('a struct needs at least one field', t)
        const fields = this.fields(depth + 1, (next) => next.kind === 'punct' && next.text === '>')
        this.expect('>')
        return { type: 'struct', fields }
      }
      case 'list': {
        this.expect('<')
        const element = this.type(depth + 1, `${column}.element`)
        const elementRequired = this.notNull()
        this.expect('>')
        return { type: 'list', elementId: 0, element, elementRequired }
      }
      case 'map': {
        this.expect('<')
        const key = this.type(depth + 1, `${column}.key`)
        this.notNull() // keys are always required; saying so is allowed
        this.expect(',')
        const value = this.type(depth + 1, `${column}.value`)
        const valueRequired = this.notNull()
        this.expect('>')
        return { type: 'map', keyId: 0, key, valueId: 0, value, valueRequired }
      }
      case 'decimal': {
        this.expect('(')
        const precision = this.number('a precision')
        this.expect(',')
        const scale = this.number('a scale')
        this.expect(')')
        const type = `decimal(${precision},${scale})`
        if (!decimalParams(type)) throw this.error(`invalid ${type}: precision must be 1 to 38 and scale 0 to the precision`, t)
        return type as PrimitiveType
      }
      case 'fixed': {
        this.expect('(')
        const length = this.number('a length in bytes')
        this.expect(')')
        const type = `fixed(${length})`
        if (fixedLength(type) === undefined) throw this.error(`invalid ${type}: the length must be 1 to 2147483647 bytes`, t)
        return type as PrimitiveType
      }
      default:
        if (isPrimitiveType(word)) return word
        if (PLANNED_TYPES.includes(word)) {
          throw new DvError('UNSUPPORTED', `column ${quoteName(column)} has type ${word}, which dv does not support yet (planned)`, {
            hint: 'store the values as string or binary for now',
            details: { column, type: word },
          })
        }
        throw this.error(`unknown type '${t.text}' for ${quoteName(column)} (expected one of ${PRIMITIVE_TYPE_NAMES}, struct<...>, list<...>, map<...>)`, t)
    }
  }
}

/** Sibling names that differ only in case are refused for new schemas (DuckDB and most engines fold case). */
function checkCaseClashes(fields: Field[], path: string): void {
  const seen = new Map<string, string>()
  fields.forEach((f, i) => {
    const clash = seen.get(f.name.toLowerCase())
    if (clash !== undefined) {
      throw new DvError('INVALID_ARGUMENT', `invalid schema JSON at ${path}[${i}].name: ${quoteName(f.name)} and ${quoteName(clash)} differ only in case`, { hint: HINT })
    }
    seen.set(f.name.toLowerCase(), f.name)
    checkTypeCaseClashes(f.type, `${path}[${i}].type`)
  })
}

function checkTypeCaseClashes(type: Type, path: string): void {
  if (isPrimitive(type)) return
  if (type.type === 'struct') checkCaseClashes(type.fields, `${path}.fields`)
  if (type.type === 'list') checkTypeCaseClashes(type.element, `${path}.element`)
  if (type.type === 'map') {
    checkTypeCaseClashes(type.key, `${path}.key`)
    checkTypeCaseClashes(type.value, `${path}.value`)
  }
}

/** Decodes the JSON form of a schema (as in table metadata, or Iceberg's `{"type":"struct",...}`); INVALID_ARGUMENT on a problem. */
function parseSchemaJson(text: string): Schema {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new DvError('INVALID_ARGUMENT', `invalid schema JSON: ${(e as Error).message}`, { hint: HINT })
  }
  if (isJsonObject(json) && json.type === 'struct') json = { fields: json.fields }
  let schema: Schema
  try {
    schema = decodeSchema(json, '$')
  } catch (e) {
    if (!(e instanceof FieldProblem)) throw e
    throw new DvError('INVALID_ARGUMENT', `invalid schema JSON at ${e.path}: ${e.problem}`, { hint: HINT, details: { path: e.path } })
  }
  checkCaseClashes(schema.fields, '$.fields')
  return schema
}

/**
 * Parses a schema written as text (or as JSON, when it starts with '{') and
 * assigns fresh field ids from 1 in Iceberg's order; ids in JSON input are
 * checked, then replaced. Sibling names must differ even ignoring case.
 * Throws INVALID_ARGUMENT naming the column (position) of the problem, or
 * UNSUPPORTED for a planned type (geometry, geography, variant).
 */
export function parseSchema(text: string): Schema {
  const fields = text.trimStart().startsWith('{') ? parseSchemaJson(text).fields : new Parser(text, tokenize(text)).schema()
  return assignSchemaIds({ fields }).schema
}

/** Parses one type in the text form (`list<string not null>`); nested ids are fresh from 1. */
export function parseType(text: string): Type {
  return assignFreshIds(new Parser(text, tokenize(text)).singleType(), idCounter(0).next)
}
