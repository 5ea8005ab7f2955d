/**
 * A `--where` predicate, from the user's text to the SQL that runs:
 * DuckDB parses `SELECT <text>` (expression-parse.ts), dv checks the AST
 * against its allow-list (expression-check.ts) and renders the SQL from the
 * checked tree (expression.ts); DuckDB then binds that SQL over an empty
 * relation of the table's columns, which must give a BOOLEAN. Everything runs
 * in the sandbox (sandbox.ts). analyzePredicate reads the top-level AND-ed
 * conjuncts of the shape `column op constant` from the checked tree for
 * pruning, their constants cast by DuckDB to the column's type.
 */
import { DvError } from '../errors.js'
import type { Schema } from '../format/types.js'
import type { PrunablePredicate } from './types.js'
import { canonicalFromDuck } from './canonical-text.js'
import { duckMessage, quoteIdent, quoteLiteral } from './duck.js'
import { toDuckType } from './duck-types.js'
import { ExpressionError, renderExpression, schemaResolver, type ColumnResolver, type Expr, type ResolvedColumn } from './expression.js'
import { checkExpression } from './expression-check.js'
import { parseExpression } from './expression-parse.js'
import type { Sandbox } from './sandbox.js'

/** A predicate that passed every check: its checked tree and the SQL dv rendered from it. */
export interface CheckedPredicate {
  text: string
  expr: Expr
  /** A boolean SQL expression over the table's columns (quoted names). */
  sql: string
}

/** An empty relation with the schema's columns, for binding. */
export function emptyRelation(schema: Schema): string {
  if (!schema.fields.length) return '(SELECT 1 WHERE false)'
  return `(SELECT ${schema.fields.map((f) => `CAST(NULL AS ${toDuckType(f.type)}) AS ${quoteIdent(f.name)}`).join(', ')} WHERE false)`
}

/**
 * Parses, checks and binds `text` as a predicate over `schema`'s columns.
 * INVALID_ARGUMENT names what is wrong: a syntax error, a construct outside
 * the allow-list, an unknown column, a type error, or a result that is not
 * boolean.
 */
export async function checkPredicate(sandbox: Sandbox, text: string, schema: Schema): Promise<CheckedPredicate> {
  return checkPredicateWith(sandbox, text, schema, schemaResolver(schema))
}

export async function checkPredicateWith(sandbox: Sandbox, text: string, schema: Schema, resolve: ColumnResolver): Promise<CheckedPredicate> {
  let expr: Expr
  try {
    expr = checkExpression(await parseExpression(sandbox, text), resolve)
  } catch (e) {
    if (e instanceof ExpressionError) throw await predicateError(sandbox, text, schema, e)
    throw e
  }
  const sql = renderExpression(expr)
  let type: string
  try {
    const rows = await sandbox.all(`DESCRIBE SELECT ${sql} AS p FROM ${emptyRelation(schema)} AS t`)
    type = String(rows[0]?.column_type)
  } catch (e) {
    throw badPredicate(text, duckMessage(e), schema)
  }
  if (type !== 'BOOLEAN') throw badPredicate(text, `it gives ${type === '"NULL"' ? 'NULL' : type}, not a boolean (true/false)`, schema, { construct: 'not boolean' })
  return { text, expr, sql }
}

async function predicateError(sandbox: Sandbox, text: string, schema: Schema, e: ExpressionError): Promise<DvError> {
  if (e.details.column !== undefined) {
    return new DvError('INVALID_ARGUMENT', `unknown column '${e.details.column}' in predicate '${clip(text)}'; the table's columns are: ${columnList(schema)}`, {
      hint: 'quote names with double quotes and string values with single quotes',
      details: { column: e.details.column, predicate: text },
    })
  }
  let problem = e.problem
  if (e.details.construct === 'function' && e.details.function !== undefined) {
    const kind = await functionKind(sandbox, e.details.function)
    if (kind === 'aggregate') problem = `${e.details.function} is an aggregate function; aggregate functions are not allowed in a predicate (it is evaluated row by row)`
    else if (kind === 'table' || kind === 'table_macro') problem = `${e.details.function} is a table function; table functions are not allowed in a predicate`
    else if (kind === 'pragma') problem = `${e.details.function} is a pragma; pragmas are not allowed in a predicate`
  }
  return badPredicate(text, problem, schema, e.details)
}

/** DuckDB's kind of function `name` (scalar, aggregate, table, ...), for messages only. */
async function functionKind(sandbox: Sandbox, name: string): Promise<string | undefined> {
  try {
    const rows = await sandbox.all(`SELECT DISTINCT function_type FROM duckdb_functions() WHERE function_name = ${quoteLiteral(name)}`)
    const kinds = rows.map((r) => String(r.function_type))
    return ['aggregate', 'table', 'table_macro', 'pragma'].find((k) => kinds.includes(k)) ?? kinds[0]
  } catch {
    return undefined
  }
}

function badPredicate(text: string, problem: string, schema: Schema, details: Record<string, unknown> = {}): DvError {
  return new DvError('INVALID_ARGUMENT', `invalid predicate '${clip(text)}': ${problem}`, {
    hint: `write one boolean expression over the columns ${columnList(schema)} with comparisons, AND/OR/NOT, IN, BETWEEN, LIKE, IS NULL and pure functions, e.g. "ts >= '2026-01-01' AND country = 'DE'"`,
    details: { ...details, predicate: text },
  })
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

function columnList(schema: Schema): string {
  return schema.fields.map((f) => f.name).join(', ')
}

const FLIP: Record<string, PrunablePredicate['op']> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' }
const PRUNABLE: Record<string, PrunablePredicate['op']> = { '=': '=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' }

export async function analyzePredicate(sandbox: Sandbox, text: string, schema: Schema): Promise<PrunablePredicate[]> {
  const { expr } = await checkPredicate(sandbox, text, schema)
  const result: PrunablePredicate[] = []
  for (const c of flattenAnd(expr)) result.push(...(await prunable(sandbox, c)))
  return result
}

function flattenAnd(e: Expr): Expr[] {
  return e.kind === 'and' ? e.args.flatMap(flattenAnd) : [e]
}

function columnOf(e: Expr): ResolvedColumn | undefined {
  return e.kind === 'column' ? e.column : undefined
}

/** A non-null constant, possibly cast (`DATE '2026-01-01'`, `'5'::BIGINT`). */
function isLiteral(e: Expr): boolean {
  if (e.kind === 'constant') return e.value.type !== 'null'
  return e.kind === 'cast' && isLiteral(e.arg)
}

async function prunable(sandbox: Sandbox, e: Expr): Promise<PrunablePredicate[]> {
  if (e.kind === 'is null' || e.kind === 'is not null') {
    const col = columnOf(e.arg)
    return col ? [{ column: col.name, op: e.kind, values: [] }] : []
  }
  if (e.kind === 'compare' && PRUNABLE[e.op]) {
    let op = PRUNABLE[e.op]
    let col = columnOf(e.left)
    let literal = e.right
    if (!col) {
      col = columnOf(e.right)
      literal = e.left
      op = FLIP[op]
    }
    if (!col || !isLiteral(literal)) return []
    const values = await literalValues(sandbox, col, [literal])
    return values ? [{ column: col.name, op, values }] : []
  }
  if (e.kind === 'in') {
    const col = columnOf(e.arg)
    if (!col || !e.list.every(isLiteral)) return []
    const values = await literalValues(sandbox, col, e.list)
    return values ? [{ column: col.name, op: 'in', values }] : []
  }
  if (e.kind === 'between') {
    // `column BETWEEN lo AND hi` is `column >= lo AND column <= hi`
    const col = columnOf(e.arg)
    if (!col || !isLiteral(e.low) || !isLiteral(e.high)) return []
    const values = await literalValues(sandbox, col, [e.low, e.high])
    return values ? [{ column: col.name, op: '>=', values: [values[0]] }, { column: col.name, op: '<=', values: [values[1]] }] : []
  }
  return []
}

/**
 * Each literal cast to the column type in DuckDB, in canonical text; undefined
 * when a cast is lossy (the predicate compares differently than the value).
 */
async function literalValues(sandbox: Sandbox, col: ResolvedColumn, literals: Expr[]): Promise<string[] | undefined> {
  const type = toDuckType(col.type)
  const select = literals.map((l, i) => {
    const e = renderExpression(l)
    const cast = `TRY_CAST(${e} AS ${type})`
    return `CAST(${cast} AS VARCHAR) AS v${i}, (${cast} = ${e}) AS ok${i}`
  })
  let row
  try {
    ;[row] = await sandbox.all(`SELECT ${select.join(', ')}`)
  } catch {
    return undefined
  }
  const values: string[] = []
  for (let i = 0; i < literals.length; i++) {
    if (row[`v${i}`] === null || row[`ok${i}`] !== true) return undefined
    const canonical = canonicalFromDuck(col.type, String(row[`v${i}`]))
    if (canonical === undefined) return undefined
    values.push(canonical)
  }
  return values
}
