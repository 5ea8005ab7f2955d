/**
 * Which dv commits become Iceberg snapshots: the commits of `start`'s
 * first-parent chain that changed the table (its metadata id differs from the
 * first parent's), newest first, back to the table's creation (or its
 * re-creation under the same name: a different table-id ends the history).
 */
import type { ObjectId, SnapshotId } from '../../ids.js'
import type { Snapshot, TableMetadata } from '../../format/types.js'
import { readSnapshot, readTableMetadata, type RepoContext } from '../context.js'

export interface TableCommit {
  id: SnapshotId
  snapshot: Snapshot
  metadataId: ObjectId
  table: TableMetadata
}

/** Iceberg's snapshot id of a dv commit: its first 13 hex digits (52 bits, exact in JSON and JavaScript), never 0. */
export function icebergSnapshotId(id: string): number {
  return Number.parseInt(id.slice(0, 13), 16) || 1
}

export async function tableHistory(ctx: RepoContext, start: SnapshotId, name: string, limit: number): Promise<TableCommit[]> {
  const out: TableCommit[] = []
  let id: SnapshotId | undefined = start
  let snapshot = await readSnapshot(ctx, start)
  let tableId: string | undefined
  while (id !== undefined && out.length < limit) {
    const metadataId = snapshot.tables[name]
    if (metadataId === undefined) break
    const table = await readTableMetadata(ctx, metadataId)
    if (tableId !== undefined && table.tableId !== tableId) break
    tableId = table.tableId
    const parentId: SnapshotId | undefined = snapshot.parents[0]
    const parent = parentId === undefined ? undefined : await readSnapshot(ctx, parentId)
    if (parent?.tables[name] !== metadataId) out.push({ id, snapshot, metadataId, table })
    id = parentId
    if (parent) snapshot = parent
  }
  return out
}
