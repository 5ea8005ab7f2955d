/**
 * analyzePredicate: DuckDB parses and binds the user's WHERE expression
 * against an empty relation with the schema's columns; the top-level AND-ed
 * conjuncts of the shape `column op literal` are read from DuckDB's own AST
 * (json_serialize_sql) and their literals cast by DuckDB to the column type.
 */
import { DvError } from '../errors.js'
import type { Field, Schema } from '../format/types.js'
import type { PrunablePredicate } from './types.js'
import { canonicalFromDuck } from './canonical-text.js'
import { Duck, duckMessage, quoteIdent, quoteLiteral } from './duck.js'
import { toDuckType } from './duck-types.js'
import { primitiveTypeOf } from '../format/fields.js'

type Node = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const COMPARE: Record<string, PrunablePredicate['op']> = {
  COMPARE_EQUAL: '=',
  COMPARE_LESSTHAN: '<',
  COMPARE_LESSTHANOREQUALTO: '<=',
  COMPARE_GREATERTHAN: '>',
  COMPARE_GREATERTHANOREQUALTO: '>=',
}
const FLIP: Record<string, PrunablePredicate['op']> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' }

/** An empty relation with the schema's columns, for binding. */
export function emptyRelation(schema: Schema): string {
  if (!schema.fields.length) return '(SELECT 1 WHERE false)'
  return `(SELECT ${schema.fields.map((f) => `CAST(NULL AS ${toDuckType(primitiveTypeOf(f, 'filter'))}) AS ${quoteIdent(f.name)}`).join(', ')} WHERE false)`
}

/** Parses and binds `where`; INVALID_ARGUMENT naming an unknown column or the syntax error. */
export async function validatePredicate(duck: Duck, where: string, schema: Schema): Promise<Node> {
  const sql = `SELECT * FROM ${emptyRelation(schema)} AS t WHERE (${where})`
  const [row] = await duck.all(`SELECT json_serialize_sql(${quoteLiteral(sql)}) AS ast`)
  const ast = parseExactJson(String(row.ast))
  if (ast.error) throw badPredicate(where, String(ast.error_message ?? 'syntax error'), schema)
  const node = ast.statements?.length === 1 ? ast.statements[0].node : undefined
  if (!node || node.type !== 'SELECT_NODE' || !node.where_clause) throw badPredicate(where, 'not a single boolean expression', schema)
  try {
    await duck.all(sql)
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e)
    const unknown = /Referenced column "([^"]+)" not found/.exec(text)?.[1]
    if (unknown) {
      throw new DvError('INVALID_ARGUMENT', `unknown column '${unknown}' in predicate '${where}'; the table's columns are: ${schema.fields.map((f) => f.name).join(', ')}`, {
        hint: 'quote names with double quotes and string values with single quotes',
        details: { column: unknown, predicate: where },
      })
    }
    throw badPredicate(where, duckMessage(e), schema)
  }
  return node.where_clause as Node
}

function badPredicate(where: string, problem: string, schema: Schema): DvError {
  return new DvError('INVALID_ARGUMENT', `invalid predicate '${where}': ${problem}`, {
    hint: `write a SQL boolean expression over the columns ${schema.fields.map((f) => f.name).join(', ')}, e.g. "ts >= '2026-01-01' AND country = 'DE'"`,
    details: { predicate: where },
  })
}

export async function analyzePredicate(duck: Duck, where: string, schema: Schema): Promise<PrunablePredicate[]> {
  const root = await validatePredicate(duck, where, schema)
  const conjuncts = root.type === 'CONJUNCTION_AND' ? flattenAnd(root) : [root]
  const result: PrunablePredicate[] = []
  for (const c of conjuncts) {
    if (c.type === 'COMPARE_BETWEEN') result.push(...(await betweenPredicates(duck, c, schema)))
    else {
      const simple = await simplePredicate(duck, c, schema)
      if (simple) result.push(simple)
    }
  }
  return result
}

function flattenAnd(node: Node): Node[] {
  if (node.type !== 'CONJUNCTION_AND') return [node]
  return (node.children as Node[]).flatMap(flattenAnd)
}

function columnOf(node: Node | undefined, schema: Schema): Field | undefined {
  if (!node || node.class !== 'COLUMN_REF' || node.column_names?.length !== 1) return undefined
  const name = String(node.column_names[0])
  return schema.fields.find((f) => f.name === name) ?? schema.fields.find((f) => f.name.toLowerCase() === name.toLowerCase())
}

function isLiteral(node: Node | undefined): boolean {
  if (!node) return false
  if (node.class === 'CONSTANT') return !node.value?.is_null
  return node.class === 'CAST' && isLiteral(node.child)
}

async function simplePredicate(duck: Duck, node: Node, schema: Schema): Promise<PrunablePredicate | undefined> {
  if (node.type === 'OPERATOR_IS_NULL' || node.type === 'OPERATOR_IS_NOT_NULL') {
    const field = columnOf(node.children?.[0], schema)
    return field ? { column: field.name, op: node.type === 'OPERATOR_IS_NULL' ? 'is null' : 'is not null', values: [] } : undefined
  }
  if (COMPARE[node.type]) {
    let op = COMPARE[node.type]
    let field = columnOf(node.left, schema)
    let literal = node.right
    if (!field) {
      field = columnOf(node.right, schema)
      literal = node.left
      op = FLIP[op]
    }
    if (!field || !isLiteral(literal)) return undefined
    const values = await literalValues(duck, field, [literal])
    return values ? { column: field.name, op, values } : undefined
  }
  if (node.type === 'COMPARE_IN') {
    const [first, ...rest] = node.children as Node[]
    const field = columnOf(first, schema)
    if (!field || !rest.length || !rest.every(isLiteral)) return undefined
    const values = await literalValues(duck, field, rest)
    return values ? { column: field.name, op: 'in', values } : undefined
  }
  return undefined
}

/** `column BETWEEN lo AND hi` is `column >= lo AND column <= hi`. */
async function betweenPredicates(duck: Duck, node: Node, schema: Schema): Promise<PrunablePredicate[]> {
  const field = columnOf(node.input, schema)
  if (!field || !isLiteral(node.lower) || !isLiteral(node.upper)) return []
  const values = await literalValues(duck, field, [node.lower, node.upper])
  if (!values) return []
  return [
    { column: field.name, op: '>=', values: [values[0]] },
    { column: field.name, op: '<=', values: [values[1]] },
  ]
}

/**
 * Each literal cast to the column type in DuckDB, in canonical text; undefined
 * when a cast is lossy (the predicate compares differently than the value).
 */
async function literalValues(duck: Duck, field: Field, literals: Node[]): Promise<string[] | undefined> {
  const type = toDuckType(primitiveTypeOf(field, 'filter'))
  const exprs: string[] = []
  for (const l of literals) exprs.push(await literalSql(duck, l))
  const select = exprs.map((e, i) => {
    const cast = `TRY_CAST((${e}) AS ${type})`
    return `CAST(${cast} AS VARCHAR) AS v${i}, (${cast} = (${e})) AS ok${i}`
  })
  let row
  try {
    ;[row] = await duck.all(`SELECT ${select.join(', ')}`)
  } catch {
    return undefined
  }
  const values: string[] = []
  for (let i = 0; i < exprs.length; i++) {
    if (row[`v${i}`] === null || row[`ok${i}`] !== true) return undefined
    const canonical = canonicalFromDuck(primitiveTypeOf(field, 'filter'), String(row[`v${i}`]))
    if (canonical === undefined) return undefined
    values.push(canonical)
  }
  return values
}

/** The SQL text of a literal node, rebuilt by DuckDB from its AST. */
async function literalSql(duck: Duck, node: Node): Promise<string> {
  const [row] = await duck.all(`SELECT json_serialize_sql('SELECT 1') AS ast`)
  const ast = parseExactJson(String(row.ast))
  ast.statements[0].node.select_list = [node]
  const [back] = await duck.all(`SELECT json_deserialize_sql(${quoteLiteral(stringifyExactJson(ast))}::JSON) AS sql`)
  return String(back.sql).replace(/^SELECT\s+/i, '')
}

/**
 * DuckDB's AST holds 64-bit integers (literal values, "no location" markers)
 * that JSON.parse would round: long integer tokens become tagged strings and
 * turn back into bare numbers when stringified.
 */
function parseExactJson(text: string): Node {
  const tagged = text.replace(/"(?:[^"\\]|\\.)*"|(?<![.\d])-?\d{16,}(?![.eE\d])/g, (tok) => (tok.startsWith('"') ? tok : `"\\u0000dvbig:${tok}"`))
  return JSON.parse(tagged) as Node
}

function stringifyExactJson(value: Node): string {
  return JSON.stringify(value).replace(/"\\u0000dvbig:(-?\d+)"/g, '$1')
}
