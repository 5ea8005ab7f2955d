/**
 * `dv revert REV` and `dv cherry-pick REV` (format-spec/merge.md): one
 * three-way apply each, with REV and its parent as base and theirs (revert)
 * or theirs and base (cherry-pick), published as an ordinary one-parent
 * commit on the branch. A merge commit needs `mainline` (-m N): the parent
 * its change is taken against.
 */
import type { CherryPickOptions, MergeStrategy, RevertOptions, RevertResult } from '../../api-types.js'
import type { SnapshotId } from '../../ids.js'
import { DvError } from '../../errors.js'
import { shortId } from '../../ids.js'
import { branchRef } from '../../refs/names.js'
import { readSnapshot } from '../context.js'
import { assertNotExpired } from '../expiry.js'
import { applyThreeWay, conflictReport, publish, retryWhileMoving } from '../merge-apply.js'
import { withScratch } from '../merge-virtual-base.js'
import { resolveReadable, targetBranch, type ActionContext } from './context.js'
import { verifyOn } from './verify-policy.js'

export function checkStrategy(strategy: MergeStrategy | undefined): void {
  if (strategy !== undefined && strategy !== 'ours' && strategy !== 'theirs') {
    throw new DvError('INVALID_ARGUMENT', `unknown strategy '${String(strategy)}'`, { hint: 'strategies: ours, theirs' })
  }
}

/** A merge, revert or cherry-pick builds on the branch head alone: staged changes must be committed or unstaged first. */
export async function refuseStaged(ctx: ActionContext, branch: string, what: string): Promise<void> {
  const staged = ctx.workspace ? await ctx.workspace.listStaged(branch) : []
  if (staged.length === 0) return
  throw new DvError('INVALID_ARGUMENT', `branch '${branch}' has ${staged.length} staged change(s) (to ${[...new Set(staged.map((c) => c.table))].join(', ')}): a ${what} would leave them behind`, {
    hint: 'commit them with `dv commit -m MSG`, or unstage them with `dv restore --staged`, then run it again',
  })
}

export function revert(ctx: ActionContext, rev: string, options: RevertOptions = {}): Promise<RevertResult> {
  return applyCommit(ctx, 'revert', rev, options)
}

export function cherryPick(ctx: ActionContext, rev: string, options: CherryPickOptions = {}): Promise<RevertResult> {
  return applyCommit(ctx, 'cherry-pick', rev, options)
}

async function applyCommit(ctx: ActionContext, kind: 'revert' | 'cherry-pick', rev: string, options: RevertOptions): Promise<RevertResult> {
  checkStrategy(options.strategy)
  options.signal?.throwIfAborted()
  const branch = await targetBranch(ctx, options.branch)
  const id = (await resolveReadable(ctx, rev)).snapshot
  const commit = await readSnapshot(ctx, id)
  const parent = parentOf(kind, rev, id, commit.parents, options.mainline)
  // the change is taken against the parent's tables: an expired parent's may be gone
  if (parent !== null) await assertNotExpired(ctx.storage, parent)
  if (!(await ctx.storage.refs.get(branchRef(branch)))) throw new DvError('NOT_FOUND', `branch '${branch}' does not exist`, { hint: 'see `dv branch --list`' })
  await refuseStaged(ctx, branch, kind)
  const verify = await verifyOn(ctx, branch, options.verify, kind)
  const parentTables = parent === null ? {} : (await readSnapshot(ctx, parent)).tables
  const [base, theirs] = kind === 'revert' ? [commit.tables, parentTables] : [parentTables, commit.tables]
  const subject = commit.message.split('\n', 1)[0]!
  const message = options.message ?? (kind === 'revert' ? `revert "${subject}"\n\nThis reverts commit ${id}.` : commit.message)
  const dryRun = options.dryRun === true
  return retryWhileMoving(ctx.retry, branch, async () => {
    const ref = (await ctx.storage.refs.get(branchRef(branch)))!
    const ours = await readSnapshot(ctx, ref.snapshot)
    // a dry run applies in an overlay, writing what the real run would (a by-key apply's data files count in its
    // summary) off the store
    const applied = await withScratch(ctx, dryRun, (scratch) =>
      applyThreeWay(scratch ?? ctx, { base, ours, theirs, strategy: options.strategy, write: true, signal: options.signal }))
    const result = (status: RevertResult['status'], snapshot: string): RevertResult =>
      ({ status, branch, rev: id, previous: ref.snapshot, snapshot, message, tables: applied.summary, conflicts: applied.conflicts, dryRun })
    if (applied.conflicts.length) {
      if (dryRun) return result('conflict', '')
      throw conflictReport(`${kind} of ${shortId(id)} onto '${branch}'`, applied.conflicts, { ours: `branch '${branch}'`, theirs: `the ${kind} of ${shortId(id)}` })
    }
    if (Object.keys(applied.summary).length === 0 && !options.allowEmpty) {
      throw new DvError('INVALID_ARGUMENT', `${kind} of ${shortId(id)} changes nothing on branch '${branch}'${kind === 'cherry-pick' ? ': its changes are already there' : ''}`, {
        hint: 'pass --allow-empty to commit anyway', details: { rev: id, branch },
      })
    }
    if (dryRun) return result('applied', '')
    const published = await publish(ctx, {
      branch, ref, parents: [ref.snapshot], parent: ours, message, author: ctx.author,
      tables: applied.tables, summary: applied.summary, reflogMessage: `${kind}: ${shortId(id)} ${subject}`, signal: options.signal,
      intent: 'commit', verify: verify.verify,
    })
    return result('applied', published.id)
  }).then((r) => ({ ...r, ...verify.report }))
}

/** The parent REV's change is taken against: its only one, or the `mainline`-th of a merge; null for a root. */
function parentOf(kind: string, rev: string, id: SnapshotId, parents: readonly SnapshotId[], mainline: number | undefined): SnapshotId | null {
  if (parents.length > 1) {
    if (mainline === undefined) {
      throw new DvError('INVALID_ARGUMENT', `${shortId(id)} ('${rev}') is a merge commit with ${parents.length} parents: ${kind} needs to know which one to take its change against`, {
        hint: `pass -m 1 for the branch it was merged into (${shortId(parents[0]!)}), or -m 2 for the merged one (${shortId(parents[1]!)})`,
      })
    }
    if (!Number.isInteger(mainline) || mainline < 1 || mainline > parents.length) {
      throw new DvError('INVALID_ARGUMENT', `-m ${mainline} is not a parent of ${shortId(id)}: it has ${parents.length}`, { hint: `pass -m 1..${parents.length}` })
    }
    return parents[mainline - 1]!
  }
  if (mainline !== undefined && mainline !== 1) {
    throw new DvError('INVALID_ARGUMENT', `${shortId(id)} ('${rev}') is not a merge commit: -m ${mainline} names no parent`, { hint: 'drop -m' })
  }
  return parents[0] ?? null
}
