/**
 * Plain text for merge, revert and cherry-pick results, and the conflict
 * report (format-spec/merge.md#the-conflict-report): per table the rule,
 * the partitions, the fields, and up to 10 keys with both sides' rows.
 */
import type { MergeConflict, MergeResult, RevertResult, TableChange } from '../src/index.js'
import { formatChanges, short } from './text.js'

function tableLines(tables: Record<string, TableChange>): string[] {
  return formatChanges(tables)
}

function row(r: Record<string, unknown> | null): string {
  return r === null ? '(no row)' : JSON.stringify(r)
}

export function formatConflicts(conflicts: MergeConflict[]): string[] {
  const lines: string[] = []
  for (const c of conflicts) {
    lines.push(`CONFLICT (${c.rule}) in table ${c.table}: ${c.message}`)
    for (const p of c.partitions ?? []) lines.push(`  partition ${Object.entries(p).map(([k, v]) => `${k}=${v ?? 'null'}`).join(', ') || '(the whole table)'}`)
    for (const f of c.fields ?? []) lines.push(`  field ${f.id}: base ${f.base ?? '(absent)'}, ours ${f.ours ?? '(absent)'}, theirs ${f.theirs ?? '(absent)'}`)
    for (const k of c.keys ?? []) {
      lines.push(`  key ${JSON.stringify(k.key)}`, `    base:   ${row(k.base)}`, `    ours:   ${row(k.ours)}`, `    theirs: ${row(k.theirs)}`)
    }
    if (c.keyCount !== undefined && c.keys && c.keyCount > c.keys.length) lines.push(`  ... and ${c.keyCount - c.keys.length} more keys`)
  }
  return lines
}

export function formatMerge(r: MergeResult): string[] {
  const would = r.dryRun ? 'would be ' : ''
  switch (r.status) {
    case 'up-to-date':
      return [`already up to date: ${r.branch} contains ${r.source} (${short(r.sourceSnapshot)})`]
    case 'fast-forward':
      return [`fast-forward: ${r.branch} ${would || 'is '}now at ${short(r.sourceSnapshot)} (was ${short(r.previous)})`, ...tableLines(r.tables)]
    case 'conflict':
      return [`merge of ${r.source} into ${r.branch} conflicts (nothing was changed):`, ...formatConflicts(r.conflicts)]
    case 'merged': {
      if (r.idempotentReplay) return [`already merged: ${r.source} landed in ${r.branch} as ${short(r.snapshot)} (same idempotency key): nothing new was written`, ...tableLines(r.tables)]
      // several bases (criss-cross): the merge was against their virtual merge
      const base = r.bases.length > 1 ? `virtual base of ${r.bases.map(short).join(' + ')}` : `base ${short(r.base)}`
      return [r.dryRun ? `merge of ${r.source} into ${r.branch} would succeed (${base}):` : `[${r.branch} ${short(r.snapshot)}] merge ${r.source} (${base})`, ...tableLines(r.tables)]
    }
  }
}

export function formatRevert(kind: 'revert' | 'cherry-pick'): (r: RevertResult) => string[] {
  return (r) => {
    if (r.status === 'conflict') return [`${kind} of ${short(r.rev)} onto ${r.branch} conflicts (nothing was changed):`, ...formatConflicts(r.conflicts)]
    const subject = r.message.split('\n', 1)[0]
    return [r.dryRun ? `${kind} of ${short(r.rev)} onto ${r.branch} would succeed: ${subject}` : `[${r.branch} ${short(r.snapshot)}] ${subject}`, ...tableLines(r.tables)]
  }
}
