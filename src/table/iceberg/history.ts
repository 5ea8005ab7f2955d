/**
 * Which dv commits become Iceberg snapshots: the commits of `start`'s
 * first-parent chain that changed the table (its metadata id differs from the
 * first parent's), newest first, back to the table's creation (or its
 * re-creation under the same name: a different table-id ends the history),
 * or to a snapshot retention expired (`expired`), whose table objects may be
 * gone: it and everything before it are left out (format-spec/iceberg-export.md).
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

export async function tableHistory(ctx: RepoContext, start: SnapshotId, name: string, limit: number, expired: (id: SnapshotId) => boolean = () => false): Promise<{ commits: TableCommit[]; expiredAt?: SnapshotId }> {
  const out: TableCommit[] = []
  let id: SnapshotId | undefined = start
  let snapshot = await readSnapshot(ctx, start)
  let tableId: string | undefined
  while (id !== undefined && out.length < limit) {
    const metadataId = snapshot.tables[name]
    if (metadataId === undefined) break
    // (the snapshot object of an expired commit stays: whether it held the table is known without its objects)
    if (expired(id)) return { commits: out, expiredAt: id }
    const table = await readTableMetadata(ctx, metadataId)
    if (tableId !== undefined && table.tableId !== tableId) break
    tableId = table.tableId
    const parentId: SnapshotId | undefined = snapshot.parents[0]
    const parent = parentId === undefined ? undefined : await readSnapshot(ctx, parentId)
    // a commit that kept its parent's table is exported when that parent is not: it is the oldest state kept
    if (parent?.tables[name] !== metadataId || (parentId !== undefined && expired(parentId))) out.push({ id, snapshot, metadataId, table })
    id = parentId
    if (parent) snapshot = parent
  }
  return { commits: out }
}
