/**
 * `dv query "SQL"` (Repository.query): one SELECT over the tables of a
 * snapshot (HEAD, or `at`), each a view named by the table; `"TABLE@REV"`
 * names a table at another revision, so one query can compare versions. The
 * engine checks the SQL and names the tables it reads (io/query.ts); each is
 * resolved here to its files, verified against their ids as `dv cat` does,
 * and read by field id in its own schema.
 */
import type { Writable } from 'node:stream'
import type { DataEngine, OutputFormat, QueryView } from '../../io/types.js'
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
  /**
   * Aborting stops the query and rejects with the signal's reason; the
   * repository stays usable for the next query (the `dv query` shell's
   * Ctrl-C). It interrupts the repository's engine until the query has
   * stopped, so a statement another call runs on it meanwhile fails too.
   */
  signal?: AbortSignal
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
  const signal = options.signal
  signal?.throwIfAborted()
  const engine = await ctx.engine()
  // An interrupt reaches only the statement the engine runs at that moment
  // (one between statements is lost): repeated until the query settles.
  let repeat: ReturnType<typeof setInterval> | undefined
  const interrupt = () => {
    engine.interrupt()
    repeat = setInterval(() => engine.interrupt(), 50)
  }
  signal?.addEventListener('abort', interrupt, { once: true })
  try {
    return await runQuery(ctx, engine, sql, out, options)
  } catch (e) {
    // an interrupted statement fails with the engine's own error: the caller asked for the abort
    throw signal?.aborted ? signal.reason : e
  } finally {
    signal?.removeEventListener('abort', interrupt)
    clearInterval(repeat)
  }
}

async function runQuery(ctx: ActionContext, engine: DataEngine, sql: string, out: Writable, options: QueryOptions): Promise<QueryResult> {
  const names = await engine.queryTables(sql)
  const base = await resolveAt(ctx, options.at)
  const views: QueryView[] = []
  const verified: Array<Promise<unknown>> = []
  const tables: QueryResult['tables'] = []
  for (const name of names) {
    options.signal?.throwIfAborted()
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
  options.signal?.throwIfAborted()
  const rows = await engine.queryTo({ sql, views, tmpDir: ctx.tmpDir, verified: Promise.all(verified) }, options.format ?? 'csv', out)
  return { snapshot: base, rows, tables }
}
