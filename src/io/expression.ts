/**
 * A checked user expression: dv's own tree, built from DuckDB's parse of the
 * user's text by expression-check.ts, holding only allow-listed constructs.
 * `renderExpression` turns it into the SQL that runs: every node is rendered
 * by dv, fully parenthesised, with columns as quoted identifiers the resolver
 * chose and constants as literals dv spells. Nothing of the user's text
 * reaches DuckDB except values inside quoted string literals.
 */
import type { PrimitiveType, Schema, Type } from '../format/types.js'
import { findField, isPrimitive } from '../format/fields.js'
import { formatFieldPath, formatType } from '../format/type-text.js'
import { DvError } from '../errors.js'
import { quoteIdent, quoteLiteral } from './duck.js'

/** A column an expression may read, as the resolver found it. */
export interface ResolvedColumn {
  /** The name to show in messages (e.g. `id`; later `payload.user.id`). */
  name: string
  /** The SQL that reads it (a quoted identifier, later a struct path). */
  sql: string
  type: PrimitiveType
}

/**
 * Resolves a column reference as written (`a` is ['a'], `t.a` is ['t', 'a'])
 * to a column of the relation the expression runs over, or undefined when
 * there is none. Nested paths (`payload.user.id`) need only a new resolver.
 */
export type ColumnResolver = (path: readonly string[]) => ResolvedColumn | undefined

/**
 * The resolver of a table's columns: a top-level column (exact name first,
 * then the one case-insensitive match, as SQL resolves names), or a field
 * inside structs by its path (`payload.user.id`). A struct, list or map, or a
 * field inside a list or map, has no single comparable value: INVALID_ARGUMENT.
 */
export function schemaResolver(schema: Schema): ColumnResolver {
  return (path) => {
    if (path.length === 1) {
      const [name] = path
      const field = schema.fields.find((f) => f.name === name) ?? uniqueCaseInsensitive(schema, name)
      return field ? { name: field.name, sql: quoteIdent(field.name), type: comparable(field.name, field.type, false) } : undefined
    }
    const field = findField(schema, path)
    if (!field || field.role !== 'field') return undefined
    const name = formatFieldPath(field.path)
    return { name, sql: structPathSql(field.path), type: comparable(name, field.type, field.repeated) }
  }
}

/** SQL reading a field inside structs: struct_extract down the path from the top-level column. */
export function structPathSql(path: readonly string[]): string {
  return path.slice(1).reduce((sql, name) => `struct_extract(${sql}, ${quoteLiteral(name)})`, quoteIdent(path[0]!))
}

function comparable(name: string, type: Type, repeated: boolean): PrimitiveType {
  if (isPrimitive(type) && !repeated) return type
  const what = repeated ? 'is inside a list or map' : `is a ${formatType(type)}`
  throw new DvError('INVALID_ARGUMENT', `column ${name} ${what}; a predicate can only use columns with one value per row`, {
    hint: isPrimitive(type) ? 'filter on a column outside lists and maps' : 'compare a field inside it instead, e.g. payload.user.id',
    details: { column: name, type: formatType(type) },
  })
}

function uniqueCaseInsensitive(schema: Schema, name: string) {
  const matches = schema.fields.filter((f) => f.name.toLowerCase() === name.toLowerCase())
  return matches.length === 1 ? matches[0] : undefined
}

export type Constant =
  | { type: 'null' }
  | { type: 'boolean'; value: boolean }
  | { type: 'integer'; value: bigint }
  | { type: 'decimal'; unscaled: bigint; scale: number }
  | { type: 'double'; value: number }
  | { type: 'string'; value: string }

export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=' | 'IS DISTINCT FROM' | 'IS NOT DISTINCT FROM'
export type ArithmeticOp = '+' | '-' | '*' | '/' | '//' | '%' | '||'
export type LikeOp = 'LIKE' | 'NOT LIKE' | 'ILIKE' | 'NOT ILIKE'
/** DuckDB type names a CAST may target: the dv column types, plus INTERVAL for date arithmetic. */
export type CastType =
  | 'BOOLEAN' | 'INTEGER' | 'BIGINT' | 'FLOAT' | 'DOUBLE' | 'VARCHAR' | 'BLOB' | 'DATE' | 'TIMESTAMP'
  | 'TIMESTAMP WITH TIME ZONE' | 'INTERVAL' | { decimal: { width: number; scale: number } }

export type Expr =
  | { kind: 'column'; column: ResolvedColumn }
  | { kind: 'constant'; value: Constant }
  | { kind: 'compare'; op: CompareOp; left: Expr; right: Expr }
  | { kind: 'and' | 'or'; args: Expr[] }
  | { kind: 'not'; arg: Expr }
  | { kind: 'is null' | 'is not null'; arg: Expr }
  | { kind: 'in' | 'not in'; arg: Expr; list: Expr[] }
  | { kind: 'between'; arg: Expr; low: Expr; high: Expr }
  | { kind: 'like'; op: LikeOp; arg: Expr; pattern: Expr; escape?: Expr }
  | { kind: 'negate' | 'plus'; arg: Expr }
  | { kind: 'arithmetic'; op: ArithmeticOp; left: Expr; right: Expr }
  | { kind: 'cast'; tryCast: boolean; arg: Expr; type: CastType }
  | { kind: 'collate'; arg: Expr; collation: string }
  | { kind: 'case'; branches: Array<{ when: Expr; then: Expr }>; otherwise: Expr }
  | { kind: 'call'; name: string; args: Expr[] }

/** The SQL of a checked expression. */
export function renderExpression(e: Expr): string {
  switch (e.kind) {
    case 'column': return e.column.sql
    case 'constant': return renderConstant(e.value)
    case 'compare': return `(${renderExpression(e.left)} ${e.op} ${renderExpression(e.right)})`
    case 'and': return `(${e.args.map(renderExpression).join(' AND ')})`
    case 'or': return `(${e.args.map(renderExpression).join(' OR ')})`
    case 'not': return `(NOT ${renderExpression(e.arg)})`
    case 'is null': return `(${renderExpression(e.arg)} IS NULL)`
    case 'is not null': return `(${renderExpression(e.arg)} IS NOT NULL)`
    case 'in': return `(${renderExpression(e.arg)} IN (${e.list.map(renderExpression).join(', ')}))`
    case 'not in': return `(${renderExpression(e.arg)} NOT IN (${e.list.map(renderExpression).join(', ')}))`
    case 'between': return `(${renderExpression(e.arg)} BETWEEN ${renderExpression(e.low)} AND ${renderExpression(e.high)})`
    case 'like': {
      const escape = e.escape ? ` ESCAPE ${renderExpression(e.escape)}` : ''
      return `(${renderExpression(e.arg)} ${e.op} ${renderExpression(e.pattern)}${escape})`
    }
    case 'negate': return `(- ${renderExpression(e.arg)})`
    case 'plus': return `(+ ${renderExpression(e.arg)})`
    case 'arithmetic': return `(${renderExpression(e.left)} ${e.op} ${renderExpression(e.right)})`
    case 'cast': return `${e.tryCast ? 'TRY_CAST' : 'CAST'}(${renderExpression(e.arg)} AS ${renderCastType(e.type)})`
    case 'collate': return `(${renderExpression(e.arg)} COLLATE ${e.collation})`
    case 'case': {
      const branches = e.branches.map((b) => `WHEN ${renderExpression(b.when)} THEN ${renderExpression(b.then)}`).join(' ')
      return `(CASE ${branches} ELSE ${renderExpression(e.otherwise)} END)`
    }
    case 'call': return `${e.name}(${e.args.map(renderExpression).join(', ')})`
  }
}

export function renderCastType(type: CastType): string {
  return typeof type === 'string' ? type : `DECIMAL(${type.decimal.width},${type.decimal.scale})`
}

/**
 * Constants are spelled so that DuckDB parses them back to the same type and
 * value: integers as digits, decimals with their scale, doubles always with an
 * exponent (`1.5e+0` is a DOUBLE where `1.5` would be a DECIMAL). Negative
 * numbers are parenthesised so no `--` can ever form.
 */
export function renderConstant(c: Constant): string {
  switch (c.type) {
    case 'null': return 'NULL'
    case 'boolean': return c.value ? 'TRUE' : 'FALSE'
    case 'integer': return signed(c.value < 0n, c.value.toString())
    case 'decimal': return signed(c.unscaled < 0n, decimalText(c.unscaled, c.scale))
    case 'double': {
      if (!Number.isFinite(c.value)) throw new Error(`a double constant must be finite, got ${c.value}`)
      const negative = c.value < 0 || Object.is(c.value, -0)
      return signed(negative, `${negative ? '-' : ''}${Math.abs(c.value).toExponential()}`)
    }
    case 'string': return quoteLiteral(c.value)
  }
}

function signed(negative: boolean, text: string): string {
  return negative ? `(${text})` : text
}

export function decimalText(unscaled: bigint, scale: number): string {
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0')
  const sign = unscaled < 0n ? '-' : ''
  return scale === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`
}

/** True when the expression reads no column (a constant expression). */
export function isConstantExpression(e: Expr): boolean {
  return !someNode(e, (n) => n.kind === 'column')
}

function someNode(e: Expr, test: (n: Expr) => boolean): boolean {
  if (test(e)) return true
  return childrenOf(e).some((c) => someNode(c, test))
}

export function childrenOf(e: Expr): Expr[] {
  switch (e.kind) {
    case 'column':
    case 'constant': return []
    case 'compare':
    case 'arithmetic': return [e.left, e.right]
    case 'and':
    case 'or':
    case 'call': return e.args
    case 'in':
    case 'not in': return [e.arg, ...e.list]
    case 'between': return [e.arg, e.low, e.high]
    case 'like': return e.escape ? [e.arg, e.pattern, e.escape] : [e.arg, e.pattern]
    case 'case': return [...e.branches.flatMap((b) => [b.when, b.then]), e.otherwise]
    default: return [e.arg]
  }
}

/**
 * Why a user expression was refused: `problem` names the construct ("subqueries
 * are not allowed"); the caller adds which expression and where it came from.
 */
export class ExpressionError extends Error {
  constructor(
    readonly problem: string,
    readonly details: { construct?: string; function?: string; column?: string } = {},
  ) {
    super(problem)
    this.name = 'ExpressionError'
  }
}
