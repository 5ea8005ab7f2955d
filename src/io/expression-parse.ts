/**
 * Parsing a user expression with DuckDB's own parser, and nothing more: the
 * text is parsed as `SELECT <text>` by json_serialize_sql (which parses and
 * serializes; it runs nothing), and must be exactly one statement selecting
 * exactly one item, with no FROM, WHERE, GROUP BY, HAVING, QUALIFY, ORDER BY,
 * LIMIT, DISTINCT, CTE or set operation. The select item's AST is returned for
 * expression-check.ts; the text itself is never run.
 */
import { quoteLiteral, type Duck } from './duck.js'
import { ExpressionError } from './expression.js'

/** A node of DuckDB's serialized AST. */
export type AstNode = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

/** The one expression of `SELECT <text>`, as DuckDB parsed it. */
export async function parseExpression(duck: Duck, text: string): Promise<AstNode> {
  if (text.trim() === '') throw new ExpressionError('the expression is empty')
  const [row] = await duck.all(`SELECT json_serialize_sql(${quoteLiteral(`SELECT ${text}`)}) AS ast`)
  const ast = parseExactJson(String(row.ast))
  if (ast.error) {
    const message = String(ast.error_message ?? 'cannot parse')
    // `SELECT <text>` is a SELECT: another kind of statement can only follow a ';'
    if (/Only SELECT statements can be serialized/.test(message)) throw new ExpressionError("';' is not allowed: write one expression, not statements", { construct: 'statement' })
    throw new ExpressionError(`syntax error: ${message.replace(/^syntax error /, '')}`)
  }
  const statements = ast.statements as AstNode[]
  if (statements.length !== 1) throw new ExpressionError("';' is not allowed: write one expression, not statements", { construct: 'statement' })
  const node = statements[0].node as AstNode
  if (Array.isArray(statements[0].named_param_map) && statements[0].named_param_map.length) {
    throw new ExpressionError('parameters ($1, ?, $name) are not allowed: write the value itself', { construct: 'parameter' })
  }
  if (node.type !== 'SELECT_NODE') throw new ExpressionError(`${clauseName(node.type)} is not allowed: write one expression`, { construct: String(node.type) })
  const extra = extraClause(node)
  if (extra) throw new ExpressionError(`${extra} is not allowed: write one expression`, { construct: extra })
  if (node.select_list.length !== 1) throw new ExpressionError('a list of expressions is not allowed: write one expression (combine conditions with AND / OR)', { construct: 'list' })
  return node.select_list[0] as AstNode
}

function clauseName(type: unknown): string {
  if (type === 'SET_OPERATION_NODE') return 'UNION / EXCEPT / INTERSECT'
  return String(type).toLowerCase().replace(/_node$/, '').replace(/_/g, ' ')
}

/** The first clause of the SELECT other than its one select item, if any. */
function extraClause(node: AstNode): string | undefined {
  if (node.from_table?.type !== 'EMPTY') return 'FROM'
  if (node.where_clause) return 'WHERE'
  if (node.group_expressions?.length || node.group_sets?.length) return 'GROUP BY'
  if (node.aggregate_handling !== 'STANDARD_HANDLING') return 'GROUP BY ALL'
  if (node.having) return 'HAVING'
  if (node.qualify) return 'QUALIFY'
  if (node.sample || node.from_table?.sample) return 'USING SAMPLE'
  if (node.cte_map?.map?.length) return 'WITH'
  for (const m of node.modifiers ?? []) {
    if (m.type === 'ORDER_MODIFIER') return 'ORDER BY'
    if (m.type === 'LIMIT_MODIFIER' || m.type === 'LIMIT_PERCENT_MODIFIER') return 'LIMIT'
    if (m.type === 'DISTINCT_MODIFIER') return 'DISTINCT'
    return String(m.type).toLowerCase()
  }
  return undefined
}

const BIG = '\u0000dvexact:'

/**
 * DuckDB's AST holds 64-bit integers (literal values, "no location" markers)
 * that JSON.parse would round, and prints infinite doubles as bare Infinity:
 * long integer tokens and Infinity/NaN become tagged strings, read back
 * exactly by `exactInteger` / `exactNumber`.
 */
export function parseExactJson(text: string): AstNode {
  const tagged = text.replace(/"(?:[^"\\]|\\.)*"|(?<![.\d\w])-?\d{16,}(?![.eE\d])|-?Infinity|NaN/g, (tok) => (tok.startsWith('"') ? tok : JSON.stringify(BIG + tok)))
  return JSON.parse(tagged) as AstNode
}

/** A JSON integer of the AST, exactly; undefined when it is not an integer. */
export function exactInteger(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined
  if (typeof value === 'string' && value.startsWith(BIG) && /^-?\d+$/.test(value.slice(BIG.length))) return BigInt(value.slice(BIG.length))
  return undefined
}

/** A JSON number of the AST (Infinity and NaN included). */
export function exactNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value
  if (typeof value === 'string' && value.startsWith(BIG)) return Number(value.slice(BIG.length))
  return undefined
}
