/**
 * A contract's `type: sql` rule: a query over `${object}` (the table) that
 * gives one number. It is SQL by the standard's design, so it gets the
 * checks a query needs rather than the expression allow-list: DuckDB parses
 * it (json_serialize_sql runs nothing); it must be one SELECT whose every
 * table reference is `${object}` or one of its own CTEs, with no table
 * function (read_parquet, read_csv, glob, duckdb_settings(), ...), so it
 * reads no file and no other table; it must bind to one numeric column over
 * an empty relation of the table's columns. It then runs in the sandbox
 * (external access off, configuration locked): the second defence.
 */
import { DvError } from '../errors.js'
import type { Schema } from '../format/types.js'
import type { ScanFile } from './types.js'
import { duckMessage, quoteLiteral, toDvError } from './duck.js'
import { parseExactJson, type AstNode } from './expression-parse.js'
import { emptyRelation } from './predicate.js'
import { filesRelation } from './scan.js'
import type { Sandbox } from './sandbox.js'

const OBJECT = '__dv_object'
const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))$/

function badQuery(query: string, problem: string): DvError {
  return new DvError('INVALID_ARGUMENT', `invalid sql rule '${query.length > 200 ? `${query.slice(0, 200)}…` : query}': ${problem}`, {
    hint: `write one SELECT over \${object} (the table) that returns one number, e.g. SELECT count(*) FROM \${object} WHERE amount < 0`,
    details: { query },
  })
}

/** `${object}` (and `${table}`, which some tools write) as the relation name the engine binds. */
function substituted(query: string): string {
  return query.replace(/\$\{(object|table)\}/g, OBJECT)
}

/** Every table reference of the AST, and the CTE names it defines. */
function walk(node: unknown, refs: AstNode[], ctes: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, refs, ctes)
    return
  }
  if (node === null || typeof node !== 'object') return
  const o = node as AstNode
  if (o.type === 'BASE_TABLE' || o.type === 'TABLE_FUNCTION') refs.push(o)
  for (const entry of o.cte_map?.map ?? []) if (typeof entry?.key === 'string') ctes.add(entry.key.toLowerCase())
  for (const value of Object.values(o)) walk(value, refs, ctes)
}

async function checkShape(sandbox: Sandbox, query: string): Promise<void> {
  const [row] = await sandbox.all(`SELECT json_serialize_sql(${quoteLiteral(substituted(query))}) AS ast`)
  const ast = parseExactJson(String(row!.ast))
  if (ast.error) {
    const message = String(ast.error_message ?? 'cannot parse')
    if (/Only SELECT statements can be serialized/.test(message)) throw badQuery(query, 'only a SELECT is allowed')
    throw badQuery(query, `syntax error: ${message.replace(/^syntax error /, '')}`)
  }
  if ((ast.statements as AstNode[]).length !== 1) throw badQuery(query, "';' is not allowed: write one SELECT")
  const refs: AstNode[] = []
  const ctes = new Set<string>()
  walk(ast.statements, refs, ctes)
  for (const ref of refs) {
    if (ref.type === 'TABLE_FUNCTION') {
      throw badQuery(query, `table function ${String(ref.function?.function_name ?? '')}() is not allowed: a rule reads the table as \${object}, never a file or another source`)
    }
    const name = String(ref.table_name)
    const qualified = ref.schema_name !== '' || ref.catalog_name !== ''
    if (qualified || (name.toLowerCase() !== OBJECT && !ctes.has(name.toLowerCase()))) {
      throw badQuery(query, `it reads '${qualified ? `${ref.schema_name}.` : ''}${name}': a rule may read only its own table, as \${object}`)
    }
  }
}

function wrap(query: string, relation: string): string {
  return `WITH ${OBJECT} AS (${relation}) SELECT * FROM (${substituted(query)}) AS q`
}

export async function checkContractSql(sandbox: Sandbox, query: string, schema: Schema): Promise<void> {
  await checkShape(sandbox, query)
  let rows
  try {
    rows = await sandbox.all(`DESCRIBE ${wrap(query, `SELECT * FROM ${emptyRelation(schema)} AS e`)}`)
  } catch (e) {
    throw badQuery(query, duckMessage(e))
  }
  if (rows.length !== 1) throw badQuery(query, `it returns ${rows.length} columns; a rule returns one number`)
  const type = String(rows[0]!.column_type)
  if (!NUMERIC.test(type)) throw badQuery(query, `it returns ${type}, not a number`)
}

export async function runContractSql(sandbox: Sandbox, query: string, files: ScanFile[], schema: Schema): Promise<number> {
  await checkContractSql(sandbox, query, schema)
  const relation = files.length ? filesRelation(files, schema.fields) : `SELECT * FROM ${emptyRelation(schema)} AS e`
  let rows
  try {
    rows = await sandbox.all(`${wrap(query, relation)} LIMIT 2`)
  } catch (e) {
    throw toDvError(e, `cannot run sql rule '${query}'`, { hint: 'a data file may be missing from the store; run dv fsck' })
  }
  if (rows.length !== 1) throw badQuery(query, `it returned ${rows.length === 0 ? 'no row' : 'more than one row'}; a rule returns exactly one number`)
  const value = Object.values(rows[0]!)[0]
  if (value === null || value === undefined) throw badQuery(query, 'it returned NULL, not a number')
  const n = Number(value)
  if (!Number.isFinite(n)) throw badQuery(query, `it returned ${String(value)}, not a finite number`)
  return n
}
