/**
 * `dv query "SQL"` (Repository.query): one SELECT over the tables of a
 * snapshot (HEAD, or `at`), each a view named by the table; `"TABLE@REV"`
 * names a table at another revision, so one query can compare versions. The
 * engine checks the SQL and names the tables it reads (io/query.ts); each is
 * resolved here to its files, verified against their ids as `dv cat` does,
 * and read by field id in its own schema.
 */
import type { Writable } from 'node:stream'
import type { OutputFormat, QueryView } from '../../io/types.js'
import type { SnapshotId } from '../../ids.js'
import { DvError } from '../../errors.js'
import { asTableName, shortId } from '../../ids.js'
import { readSnapshot } from '../context.js'
import { scanFiles, tableAt } from '../read.js'
import { planScan } from '../scan-plan.js'
import { resolveAt, type ActionContext } from './context.js'

export interface QueryOptions {
  /** The snapshot unqualified table names read (default HEAD): a REV or an ISO-8601 time. */
  at?: string
  format?: OutputFormat
}

export interface QueryResult {
  snapshot: string
  rows: number
  /** Each table the query read, with the snapshot it was read at. */
  tables: Array<{ name: string; table: string; snapshot: string }>
}

/** `events@v1` -> table `events` at `v1`; a table name never holds '@', a REV may (`main@{1}`). */
function splitName(name: string): { table: string; rev?: string } {
  const at = name.indexOf('@')
  return at < 0 ? { table: name } : { table: name.slice(0, at), rev: name.slice(at + 1) }
}

export async function query(ctx: ActionContext, sql: string, out: Writable, options: QueryOptions = {}): Promise<QueryResult> {
  const engine = await ctx.engine()
  const names = await engine.queryTables(sql)
  const base = await resolveAt(ctx, options.at)
  const views: QueryView[] = []
  const verified: Array<Promise<unknown>> = []
  const tables: QueryResult['tables'] = []
  for (const name of names) {
    const { table, rev } = splitName(name)
    if (table === '' || rev === '') {
      throw new DvError('INVALID_ARGUMENT', `'${name}' is not a table name: write TABLE or "TABLE@REV"`, { details: { table: name } })
    }
    let tableName: string
    try {
      tableName = asTableName(table)
    } catch {
      throw new DvError('NOT_FOUND', `the query reads '${name}', which is not a table of snapshot ${shortId(base)}`, {
        hint: 'name tables of the snapshot (`dv show HEAD` lists them), or another version as "TABLE@REV" in double quotes',
        details: { table: name },
      })
    }
    const id: SnapshotId = rev === undefined ? base : await resolveAt(ctx, rev)
    const { table: meta } = await tableAt(ctx, await readSnapshot(ctx, id), id, tableName)
    const planned = await planScan(ctx, meta, [])
    const scanned = await scanFiles(ctx, planned.files)
    if (scanned.verified) {
      // a later table may fail before the query runs: this one's verification must not reject unobserved
      scanned.verified.catch(() => undefined)
      verified.push(scanned.verified)
    }
    views.push({ name, files: scanned.files, schema: meta.schema })
    tables.push({ name, table: tableName, snapshot: id })
  }
  const rows = await engine.queryTo({ sql, views, tmpDir: ctx.tmpDir, verified: Promise.all(verified) }, options.format ?? 'csv', out)
  return { snapshot: base, rows, tables }
}
