/**
 * `--branch-refs`: dv branches and tags as Iceberg refs. A ref points at the
 * exported snapshot holding the same table state (the same table metadata
 * object) as the dv ref's head; a ref whose state is not among the exported
 * snapshots (a branch that diverged, or older than the history exported)
 * is skipped and reported. Iceberg's `main` is always the exported snapshot.
 */
import type { SnapshotId } from '../../ids.js'
import { readSnapshot, type RepoContext } from '../context.js'
import type { TableCommit } from './history.js'
import type { ExportedSnapshot } from './table-metadata.js'

export interface ExportedRefs {
  refs: Record<string, { 'snapshot-id': number; type: 'branch' | 'tag' }>
  skipped: string[]
}

export async function exportRefs(ctx: RepoContext, table: string, commits: TableCommit[], exported: ExportedSnapshot[]): Promise<ExportedRefs> {
  const byState = new Map<string, number>()
  commits.forEach((c, i) => byState.set(c.metadataId, exported[i].snapshotId)) // newest wins
  const out: ExportedRefs = { refs: {}, skipped: [] }
  for (const [prefix, type] of [['branches/', 'branch'], ['tags/', 'tag']] as const) {
    for (const { name, value } of await ctx.storage.refs.list(prefix)) {
      const short = name.slice(prefix.length)
      const snapshot = await readSnapshot(ctx, value.snapshot as SnapshotId)
      const id = byState.get(snapshot.tables[table] ?? '')
      if (type === 'branch' && short === 'main' && id === exported.at(-1)?.snapshotId) continue
      if (id === undefined || (type === 'branch' && short === 'main') || short in out.refs) {
        out.skipped.push(`${type} ${short}`)
        continue
      }
      out.refs[short] = { 'snapshot-id': id, type }
    }
  }
  return out
}
