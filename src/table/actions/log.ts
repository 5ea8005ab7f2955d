/** The history actions: `dv log` (commits from REV, newest first) and `dv show` (one commit, or a table at it). */
import type { LogEntry, LogOptions, ShowResult } from '../../api-types.js'
import { DvError } from '../../errors.js'
import { asTableName } from '../../ids.js'
import { refNamesBySnapshot } from '../../refs/manage.js'
import { readSnapshot } from '../context.js'
import { expiredMark, expiryOf, readExpiry } from '../expiry.js'
import { walkHistory } from '../history.js'
import { logEntryOf, tableAt, tableInfo, tableTotals } from '../read.js'
import { resolveAt, type ActionContext } from './context.js'

export async function log(ctx: ActionContext, options: LogOptions): Promise<LogEntry[]> {
  const start = await resolveAt(ctx, options.rev, { history: true })
  if (options.table) asTableName(options.table)
  const input = options.input?.toLowerCase()
  if (input !== undefined && !/^[0-9a-f]{7,64}$/.test(input)) {
    throw new DvError('INVALID_ARGUMENT', `--input '${options.input}' is not a SHA-256: expected 64 hex digits (or a prefix of 7 or more)`, {
      hint: 'take it from `sha256sum FILE`, or from the Input lines of `dv log`',
    })
  }
  const refs = await refNamesBySnapshot(ctx.storage.refs)
  const expired = (await readExpiry(ctx.storage)).record?.expired ?? {}
  const out: LogEntry[] = []
  // --table names a table of this history: one that never existed on it is NOT_FOUND, not an empty log
  let tableSeen = false
  for await (const { id, snapshot } of walkHistory(ctx, start)) {
    if (options.limit !== undefined && out.length >= options.limit) break
    if (options.table) {
      if (options.table in snapshot.tables) tableSeen = true
      if (!(options.table in snapshot.summary)) continue
      tableSeen = true
    }
    if (options.idempotencyKey !== undefined && snapshot.idempotencyKey !== options.idempotencyKey) continue
    if (input !== undefined && !snapshot.lineage?.inputs?.some((i) => i.sha256.startsWith(input))) continue
    const entry = logEntryOf(id, snapshot, refs.get(id) ?? [])
    // a commit a ref names is readable whatever the record says (format-spec/retention.md#reading)
    const e = Object.hasOwn(expired, id) && !refs.has(id) ? expired[id] : undefined
    out.push(e === undefined ? entry : { ...entry, expired: expiredMark(e) })
  }
  if (options.table && !tableSeen && !(options.limit === 0)) {
    throw new DvError('NOT_FOUND', `table '${options.table}' never existed in the history of ${options.rev ?? 'HEAD'}`, {
      hint: 'see the tables of a snapshot with `dv show REV`',
      details: { table: options.table },
    })
  }
  return out
}

/**
 * `dv show REV [TABLE]`. A commit retention expired still shows, marked, as
 * in `dv log`, without its tables (their data may be gone); naming a table
 * of it is refused as reading it (format-spec/retention.md#reading).
 */
export async function show(ctx: ActionContext, rev: string, table?: string): Promise<ShowResult> {
  const id = await resolveAt(ctx, rev, { history: table === undefined })
  const snapshot = await readSnapshot(ctx, id)
  const refs = await refNamesBySnapshot(ctx.storage.refs)
  if (table === undefined) {
    const e = await expiryOf(ctx.storage, id)
    if (e !== undefined) return { commit: { ...logEntryOf(id, snapshot, refs.get(id) ?? []), expired: expiredMark(e) }, tables: {} }
  }
  const tables: ShowResult['tables'] = {}
  for (const name of Object.keys(snapshot.tables).sort()) tables[name] = tableTotals((await tableAt(ctx, snapshot, id, name)).table)
  const result: ShowResult = { commit: logEntryOf(id, snapshot, refs.get(id) ?? []), tables }
  if (table !== undefined) {
    const { table: meta } = await tableAt(ctx, snapshot, id, asTableName(table))
    result.table = await tableInfo(ctx, table, id, meta)
  }
  return result
}
