/**
 * The read actions: `Repository.scan` (Arrow record batches) and `dv cat`
 * (a table at a snapshot, written out as CSV, NDJSON, Parquet or Arrow).
 * Both plan the scan here (scan-plan.ts) and leave the reading to the engine.
 */
import type { Writable } from 'node:stream'
import type { RecordBatch } from 'apache-arrow'
import type { CatOptions, CatResult, ReadOptions } from '../../api-types.js'
import type { SnapshotId } from '../../ids.js'
import type { TableMetadata } from '../../format/types.js'
import { asTableName } from '../../ids.js'
import { readSnapshot } from '../context.js'
import { prepareScan, tableAt } from '../read.js'
import { resolveAt, type ActionContext } from './context.js'

async function tableAtRev(ctx: ActionContext, table: string, at: string | undefined): Promise<{ id: SnapshotId; meta: TableMetadata }> {
  const id = await resolveAt(ctx, at)
  const snapshot = await readSnapshot(ctx, id)
  const { table: meta } = await tableAt(ctx, snapshot, id, asTableName(table))
  return { id, meta }
}

export async function* scan(ctx: ActionContext, table: string, options: ReadOptions): AsyncIterable<RecordBatch> {
  const { meta } = await tableAtRev(ctx, table, options.at)
  const { request } = await prepareScan(ctx, meta, options)
  yield* (await ctx.engine()).scanBatches(request)
}

export async function cat(ctx: ActionContext, table: string, out: Writable, options: CatOptions): Promise<CatResult> {
  const { id, meta } = await tableAtRev(ctx, table, options.at)
  const { request, plan } = await prepareScan(ctx, meta, options)
  const rows = await (await ctx.engine()).scanTo(request, options.format ?? 'csv', out)
  return { table, snapshot: id, rows, filesScanned: plan.files.length, filesPruned: plan.filesPruned }
}
