/**
 * The allow-list: DuckDB's AST of a user expression -> dv's checked tree
 * (expression.ts). Accepted: column references the resolver knows, constants,
 * comparisons, AND/OR/NOT, IS [NOT] NULL, [NOT] IN (constants), BETWEEN,
 * [NOT] LIKE/ILIKE [ESCAPE], arithmetic and ||, CAST/TRY_CAST to dv types,
 * COLLATE, CASE and the functions of expression-functions.ts. Everything else
 * (subqueries, EXISTS, table functions, *, window and aggregate functions,
 * lambdas, parameters, any other function or operator) is an ExpressionError
 * naming the construct. Unknown node shapes are refused, never passed on.
 */
import type { AstNode } from './expression-parse.js'
import { exactInteger, exactNumber } from './expression-parse.js'
import {
  ExpressionError, isConstantExpression,
  type ArithmeticOp, type CastType, type ColumnResolver, type CompareOp, type Constant, type Expr, type LikeOp,
} from './expression.js'
import { allowedFunction, allowedFunctionNames } from './expression-functions.js'

const COMPARE: Record<string, CompareOp> = {
  COMPARE_EQUAL: '=',
  COMPARE_NOTEQUAL: '<>',
  COMPARE_LESSTHAN: '<',
  COMPARE_LESSTHANOREQUALTO: '<=',
  COMPARE_GREATERTHAN: '>',
  COMPARE_GREATERTHANOREQUALTO: '>=',
  COMPARE_DISTINCT_FROM: 'IS DISTINCT FROM',
  COMPARE_NOT_DISTINCT_FROM: 'IS NOT DISTINCT FROM',
}

const ARITHMETIC = new Set<string>(['+', '-', '*', '/', '//', '%', '||'])
const LIKE: Record<string, LikeOp> = { '~~': 'LIKE', '!~~': 'NOT LIKE', '~~*': 'ILIKE', '!~~*': 'NOT ILIKE' }
const LIKE_ESCAPE: Record<string, LikeOp> = { like_escape: 'LIKE', not_like_escape: 'NOT LIKE', ilike_escape: 'ILIKE', not_ilike_escape: 'NOT ILIKE' }
const CAST_TYPES = new Set(['BOOLEAN', 'INTEGER', 'BIGINT', 'FLOAT', 'DOUBLE', 'VARCHAR', 'BLOB', 'DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'INTERVAL'])
const COLLATIONS = new Set(['nocase', 'noaccent', 'nfc', 'binary'])

/** Checks DuckDB's AST of one expression against the allow-list; returns dv's tree. */
export function checkExpression(node: AstNode, resolve: ColumnResolver): Expr {
  if (node === null || typeof node !== 'object') throw refuse('an empty expression')
  if (node.alias) throw new ExpressionError(`'${node.alias}' reads as an alias (AS ${node.alias}) or a named argument (:=), which is not allowed: write one expression`, { construct: 'alias' })
  switch (node.class) {
    case 'COLUMN_REF': return column(node, resolve)
    case 'CONSTANT': return { kind: 'constant', value: constant(node.value) }
    case 'COMPARISON': {
      const op = COMPARE[node.type]
      if (!op) throw refuse(`the comparison ${node.type}`)
      return { kind: 'compare', op, left: checkExpression(node.left, resolve), right: checkExpression(node.right, resolve) }
    }
    case 'CONJUNCTION': {
      if (node.type !== 'CONJUNCTION_AND' && node.type !== 'CONJUNCTION_OR') throw refuse(`the conjunction ${node.type}`)
      return { kind: node.type === 'CONJUNCTION_AND' ? 'and' : 'or', args: children(node, resolve) }
    }
    case 'OPERATOR': return operator(node, resolve)
    case 'BETWEEN':
      return { kind: 'between', arg: checkExpression(node.input, resolve), low: checkExpression(node.lower, resolve), high: checkExpression(node.upper, resolve) }
    case 'CAST': {
      const type = castType(node.cast_type)
      const arg = checkExpression(node.child, resolve)
      // DuckDB's parser spells TRUE and FALSE as CAST('t' / 'f' AS BOOLEAN)
      if (type === 'BOOLEAN' && !node.try_cast && arg.kind === 'constant' && arg.value.type === 'string' && (arg.value.value === 't' || arg.value.value === 'f')) {
        return { kind: 'constant', value: { type: 'boolean', value: arg.value.value === 't' } }
      }
      return { kind: 'cast', tryCast: node.try_cast === true, arg, type }
    }
    case 'COLLATE': {
      const collation = String(node.collation)
      if (!collation.split('.').every((part) => COLLATIONS.has(part))) {
        throw new ExpressionError(`collation '${collation}' is not allowed; allowed: ${[...COLLATIONS].join(', ')} (combined with '.')`, { construct: 'collate' })
      }
      return { kind: 'collate', arg: checkExpression(node.child, resolve), collation }
    }
    case 'CASE': {
      const checks = node.case_checks as AstNode[]
      if (!checks?.length) throw refuse('an empty CASE')
      return {
        kind: 'case',
        branches: checks.map((c) => ({ when: checkExpression(c.when_expr, resolve), then: checkExpression(c.then_expr, resolve) })),
        otherwise: checkExpression(node.else_expr, resolve),
      }
    }
    case 'FUNCTION': return call(node, resolve)
    case 'SUBQUERY':
      if (node.subquery_type === 'EXISTS' || node.subquery_type === 'NOT_EXISTS') throw new ExpressionError('EXISTS is not allowed: subqueries are not allowed in a predicate', { construct: 'exists' })
      throw new ExpressionError('subqueries are not allowed in a predicate', { construct: 'subquery' })
    case 'STAR': throw new ExpressionError('* and COLUMNS(...) are not allowed: name the columns', { construct: 'star' })
    case 'WINDOW': throw new ExpressionError(`window functions (${node.function_name} OVER ...) are not allowed`, { construct: 'window', function: String(node.function_name) })
    case 'LAMBDA': throw new ExpressionError('lambdas (x -> ...) are not allowed', { construct: 'lambda' })
    case 'PARAMETER': throw new ExpressionError('parameters ($1, ?, $name) are not allowed: write the value itself', { construct: 'parameter' })
    case 'POSITIONAL_REFERENCE': throw new ExpressionError(`positional references (#${node.index}) are not allowed: name the column`, { construct: 'positional reference' })
    default: throw refuse(`${String(node.class).toLowerCase()} expressions`)
  }
}

function refuse(what: string): ExpressionError {
  return new ExpressionError(`${what} ${what.endsWith('s') ? 'are' : 'is'} not allowed in a predicate`, { construct: what })
}

function children(node: AstNode, resolve: ColumnResolver): Expr[] {
  return (node.children as AstNode[]).map((c) => checkExpression(c, resolve))
}

function column(node: AstNode, resolve: ColumnResolver): Expr {
  const path = (node.column_names as unknown[]).map(String)
  const found = resolve(path)
  if (!found) throw new ExpressionError(`unknown column '${path.join('.')}'`, { column: path.join('.') })
  return { kind: 'column', column: found }
}

function constant(value: AstNode): Constant {
  if (value.is_null) return { type: 'null' }
  const id = String(value.type?.id)
  switch (id) {
    case 'BOOLEAN': return { type: 'boolean', value: value.value === true }
    case 'INTEGER':
    case 'BIGINT':
    case 'HUGEINT': return { type: 'integer', value: integerValue(value.value) }
    case 'DECIMAL': {
      const scale = Number(value.type.type_info?.scale)
      if (!Number.isInteger(scale) || scale < 0 || scale > 38) throw refuse(`a decimal constant of scale ${scale}`)
      return { type: 'decimal', unscaled: integerValue(value.value), scale }
    }
    case 'DOUBLE':
    case 'FLOAT': {
      const n = exactNumber(value.value)
      if (n === undefined || !Number.isFinite(n)) throw new ExpressionError('numeric constant out of range', { construct: 'constant' })
      return { type: 'double', value: n }
    }
    case 'VARCHAR':
      if (typeof value.value !== 'string') throw refuse('a malformed string constant')
      return { type: 'string', value: value.value }
    default: throw refuse(`constants of type ${id}`)
  }
}

/** An integer constant, also as DuckDB's 128-bit {upper, lower} form. */
function integerValue(v: unknown): bigint {
  const simple = exactInteger(v)
  if (simple !== undefined) return simple
  const upper = exactInteger((v as AstNode)?.upper)
  const lower = exactInteger((v as AstNode)?.lower)
  if (upper === undefined || lower === undefined) throw refuse('a malformed numeric constant')
  return (upper << 64n) + BigInt.asUintN(64, lower)
}

function castType(type: AstNode): CastType {
  const id = String(type?.id)
  const info = type?.type_info
  if (id === 'DECIMAL' && info?.type === 'DECIMAL_TYPE_INFO' && !info.extension_info) {
    const width = Number(info.width)
    const scale = Number(info.scale)
    if (Number.isInteger(width) && Number.isInteger(scale) && width >= 1 && width <= 38 && scale >= 0 && scale <= width) return { decimal: { width, scale } }
  }
  if (CAST_TYPES.has(id) && !info) return id as CastType
  const name = id === 'UNBOUND' && typeof info?.name === 'string' ? info.name : id
  throw new ExpressionError(`cast to ${name} is not allowed; cast to BOOLEAN, INTEGER, BIGINT, FLOAT, DOUBLE, DECIMAL(p,s), VARCHAR, BLOB, DATE, TIMESTAMP, TIMESTAMPTZ or INTERVAL`, { construct: 'cast' })
}

function operator(node: AstNode, resolve: ColumnResolver): Expr {
  const args = () => children(node, resolve)
  switch (node.type) {
    case 'OPERATOR_NOT': return { kind: 'not', arg: single(args()) }
    case 'OPERATOR_IS_NULL': return { kind: 'is null', arg: single(args()) }
    case 'OPERATOR_IS_NOT_NULL': return { kind: 'is not null', arg: single(args()) }
    case 'OPERATOR_COALESCE': return { kind: 'call', name: 'coalesce', args: args() }
    case 'COMPARE_IN':
    case 'COMPARE_NOT_IN': {
      const [arg, ...list] = args()
      if (!list.length || !list.every(isConstantExpression)) {
        throw new ExpressionError('IN takes a list of constants, e.g. country IN (\'DE\', \'FR\')', { construct: 'in' })
      }
      return { kind: node.type === 'COMPARE_IN' ? 'in' : 'not in', arg, list }
    }
    default: throw refuse(`the operator ${String(node.type).toLowerCase().replace(/^operator_/, '')}`)
  }
}

function single(args: Expr[]): Expr {
  if (args.length !== 1) throw refuse('an operator with several operands')
  return args[0]
}

function call(node: AstNode, resolve: ColumnResolver): Expr {
  const name = String(node.function_name).toLowerCase()
  if (node.catalog || (node.schema && node.schema !== 'main')) {
    throw new ExpressionError(`function ${[node.catalog, node.schema, name].filter(Boolean).join('.')} is not allowed: call functions by their plain name`, { construct: 'function', function: name })
  }
  if (node.filter) throw refuse('FILTER (WHERE ...)')
  if (node.distinct) throw refuse('DISTINCT inside a function call')
  if (node.export_state) throw refuse('EXPORT_STATE')
  if (node.order_bys?.orders?.length) throw refuse('ORDER BY inside a function call')
  // the function itself first: a refused function is named even when its arguments are refused too
  const arity = (node.children as unknown[]).length
  const operator = LIKE[name] ?? LIKE_ESCAPE[name] ?? (ARITHMETIC.has(name) && node.is_operator && (arity === 2 || (arity === 1 && (name === '-' || name === '+'))) ? name : undefined)
  const allowed = operator ?? (node.is_operator ? undefined : allowedFunction(name))
  if (!allowed) {
    const what = node.is_operator ? `operator ${name}` : `function ${name}`
    throw new ExpressionError(`${what} is not allowed; allowed functions: ${allowedFunctionNames().join(', ')}`, { construct: 'function', function: name })
  }
  const args = children(node, resolve)
  if (LIKE[name]) return like(LIKE[name], args)
  if (LIKE_ESCAPE[name]) return like(LIKE_ESCAPE[name], args)
  if (operator !== undefined) {
    if (args.length === 2) return { kind: 'arithmetic', op: name as ArithmeticOp, left: args[0], right: args[1] }
    return { kind: name === '-' ? 'negate' : 'plus', arg: args[0] }
  }
  return { kind: 'call', name: allowed, args }
}

function like(op: LikeOp, args: Expr[]): Expr {
  if (args.length !== 2 && args.length !== 3) throw refuse(`${op} with ${args.length} operands`)
  return { kind: 'like', op, arg: args[0], pattern: args[1], ...(args[2] ? { escape: args[2] } : {}) }
}
