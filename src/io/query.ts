/**
 * `dv query`: one SELECT over tables of a snapshot, in the sandbox. The text
 * is parsed by DuckDB's own parser (json_serialize_sql, which runs nothing)
 * and must be exactly one SELECT statement (WITH, joins, subqueries,
 * aggregates, window functions, set operations all allowed). Its AST is
 * walked before anything runs: every table it reads must be an unqualified
 * name (a table of the snapshot, `TABLE@REV`, or one of its own CTEs);
 * table functions (read_csv, read_text, query, glob, ...), qualified names
 * (system catalogs, attached databases), DuckDB's AT (...) clause and a
 * deny-list of host-revealing scalar functions are refused with exit 2,
 * naming the construct. The SQL that runs is DuckDB's rendering of the
 * checked AST (json_deserialize_sql), never the user's text, over temporary
 * views that read each table's files by field id as scans do. The sandbox's
 * locked configuration (no file outside the store and scratch, no network,
 * no extensions, no SET) is the second defence.
 */
import type { Writable } from 'node:stream'
import { DvError } from '../errors.js'
import type { OutputFormat, QueryRequest } from './types.js'
import { quoteIdent, quoteLiteral } from './duck.js'
import { parseExactJson, type AstNode } from './expression-parse.js'
import type { Sandbox } from './sandbox.js'
import { filesRelation, queryTo } from './scan.js'
import { emptyRelation } from './predicate.js'

/** Scalar functions that reveal the host or the engine's settings rather than compute on values. */
const DENIED_FUNCTIONS = /^(current_setting|getenv|getvariable|setvariable|set_variable|which_secret|duckdb_.*|pragma_.*|sql_auto_complete|query|query_table|read_.*|glob|nextval|currval|setseed)$/i

function refuse(message: string, construct: string, hint?: string): DvError {
  return new DvError('INVALID_ARGUMENT', `query not allowed: ${message}`, {
    hint: hint ?? 'write one SELECT over the tables of the snapshot (or "TABLE@REV"); functions that read files or settings are not available',
    details: { construct },
  })
}

interface CheckedQuery {
  json: string
  tables: string[]
}

/**
 * The last query each sandbox checked: the table layer checks a query to learn
 * which tables to resolve, then runQuery checks it again before it runs; the
 * same text on the same engine parses the same, so the second check reuses the
 * first (two parses cost 5-15 ms of a 400 ms `dv query`).
 */
const lastChecked = new WeakMap<Sandbox, { sql: string; checked: CheckedQuery }>()

/** Parses `sql` as one SELECT and checks it (see above); returns the AST's JSON and the tables it reads, in first-use order. */
export async function checkQuery(sandbox: Sandbox, sql: string): Promise<CheckedQuery> {
  const last = lastChecked.get(sandbox)
  if (last?.sql === sql) return { json: last.checked.json, tables: [...last.checked.tables] }
  const checked = await parseAndCheck(sandbox, sql)
  lastChecked.set(sandbox, { sql, checked: { json: checked.json, tables: [...checked.tables] } })
  return checked
}

async function parseAndCheck(sandbox: Sandbox, sql: string): Promise<CheckedQuery> {
  if (sql.trim() === '') throw new DvError('INVALID_ARGUMENT', 'the query is empty', { hint: 'e.g. dv query "SELECT count(*) FROM events"' })
  const [row] = await sandbox.all(`SELECT json_serialize_sql(${quoteLiteral(sql)}) AS ast`)
  const json = String(row.ast)
  const ast = parseExactJson(json)
  if (ast.error) {
    const message = String(ast.error_message ?? 'cannot parse')
    if (/Only SELECT statements/.test(message)) throw refuse('only SELECT queries run (no COPY, ATTACH, INSTALL, SET, CREATE, INSERT, ...)', 'statement')
    throw new DvError('INVALID_ARGUMENT', `invalid query: ${message}`, { hint: 'write one SELECT statement', details: { construct: 'syntax' } })
  }
  const statements = ast.statements as AstNode[]
  if (statements.length !== 1) throw refuse('write exactly one SELECT statement (no ;-separated statements)', 'statements')
  if (Array.isArray(statements[0].named_param_map) && statements[0].named_param_map.length) throw refuse('parameters ($1, ?, $name) are not allowed: write the value itself', 'parameter')
  const ctes = new Set<string>()
  collectCtes(statements[0].node, ctes)
  const tables: string[] = []
  walk(statements[0].node, (node) => {
    switch (node.type) {
      case 'TABLE_FUNCTION': {
        const name = String(node.function?.function_name ?? 'a table function')
        throw refuse(`the table function ${name}(...) is not allowed: a query reads tables of the snapshot only`, 'table function')
      }
      case 'BASE_TABLE': {
        const name = String(node.table_name)
        if (node.catalog_name || node.schema_name) throw refuse(`the qualified name ${[node.catalog_name, node.schema_name, name].filter(Boolean).join('.')} is not allowed: name tables of the snapshot alone`, 'qualified name')
        if (node.at_clause) throw refuse(`AT (...) is not allowed on ${name}: name another version as "${name}@REV"`, 'at clause')
        if (!ctes.has(name) && !tables.includes(name)) tables.push(name)
        return
      }
    }
    if (node.class === 'FUNCTION' && DENIED_FUNCTIONS.test(String(node.function_name))) {
      throw refuse(`the function ${String(node.function_name)}() is not allowed in a query`, 'function')
    }
    if (node.class === 'PARAMETER') throw refuse('parameters ($1, ?, $name) are not allowed: write the value itself', 'parameter')
  })
  return { json, tables }
}

function collectCtes(node: unknown, into: Set<string>): void {
  walk(node, (n) => {
    for (const entry of (n.cte_map?.map ?? []) as AstNode[]) into.add(String(entry.key))
  })
}

/** Calls `visit` on every object of the AST, depth first. */
function walk(node: unknown, visit: (n: AstNode) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit)
    return
  }
  if (node === null || typeof node !== 'object') return
  visit(node as AstNode)
  for (const value of Object.values(node)) walk(value, visit)
}

/**
 * Runs the checked query over `request.views` (one temporary view per table
 * it reads, dropped after) and streams the result to `out` in `format`.
 */
export async function runQuery(sandbox: Sandbox, request: QueryRequest, format: OutputFormat, out: Writable): Promise<number> {
  const { json, tables } = await checkQuery(sandbox, request.sql)
  const missing = tables.filter((t) => !request.views.some((v) => v.name === t))
  if (missing.length) throw new DvError('INTERNAL', `query views missing for ${missing.join(', ')}`)
  const [row] = await sandbox.all(`SELECT json_deserialize_sql(${quoteLiteral(json)}) AS sql`)
  const sql = String(row.sql)
  const created: string[] = []
  try {
    for (const view of request.views) {
      const from = view.files.length ? filesRelation(view.files, view.schema.fields) : `SELECT * FROM ${emptyRelation(view.schema)}`
      await sandbox.run(`CREATE OR REPLACE TEMP VIEW ${quoteIdent(view.name)} AS ${from}`)
      created.push(view.name)
    }
    return await queryTo(sandbox, sql, { tmpDir: request.tmpDir, verified: request.verified, doing: 'run the query' }, format, out)
  } finally {
    for (const name of created) await sandbox.run(`DROP VIEW IF EXISTS temp.main.${quoteIdent(name)}`).catch(() => undefined)
  }
}
