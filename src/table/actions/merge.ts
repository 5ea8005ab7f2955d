/**
 * `dv merge SOURCE [--into BRANCH]` (format-spec/merge.md): up to date,
 * fast-forward, or a three-way merge against the merge base published as a
 * two-parent commit with one logged compare-and-swap. Every attempt reads
 * the target anew, so a target that moved is merged again from its new head.
 */
import type { MergeOptions, MergeResult } from '../../api-types.js'
import type { SnapshotId } from '../../ids.js'
import type { Snapshot } from '../../format/types.js'
import { DvError } from '../../errors.js'
import { shortId } from '../../ids.js'
import { branchRef } from '../../refs/names.js'
import { resolveRev } from '../../refs/resolve.js'
import { readSnapshot } from '../context.js'
import { applyThreeWay, conflictReport, moveBranch, publish, retryWhileMoving, verifyContracts } from '../merge-apply.js'
import { mergeBase } from '../merge-base.js'
import { branchHead, revContext, targetBranch, type ActionContext } from './context.js'
import { refuseStaged, checkStrategy } from './revert.js'
import { verifyOn } from './verify-policy.js'

export async function merge(ctx: ActionContext, source: string, options: MergeOptions = {}): Promise<MergeResult> {
  checkStrategy(options.strategy)
  options.signal?.throwIfAborted()
  const branch = await targetBranch(ctx, options.into)
  if (source === branch || source === branchRef(branch)) {
    throw new DvError('INVALID_ARGUMENT', `cannot merge branch '${branch}' into itself`, {
      hint: `name another branch or commit to merge, or pick the target with --into BRANCH`,
    })
  }
  await branchHead(ctx, branch)
  const theirs = (await resolveRev(revContext(ctx), source)).snapshot
  await refuseStaged(ctx, branch, 'merge')
  const verify = await verifyOn(ctx, branch, options.verify)
  const theirsSnapshot = await readSnapshot(ctx, theirs)
  const merged = await retryWhileMoving(ctx.retry, branch, () => attempt(ctx, { branch, source, theirs, theirsSnapshot, options, verify: verify.verify }))
  return { ...merged, ...verify.report }
}

interface Attempt {
  branch: string
  source: string
  theirs: SnapshotId
  theirsSnapshot: Snapshot
  options: MergeOptions
  /** Whether the contracts run (false: --no-verify on a branch that allows it). */
  verify: boolean
}

async function attempt(ctx: ActionContext, a: Attempt): Promise<MergeResult> {
  const { branch, source, theirs, theirsSnapshot, options } = a
  const ref = await ctx.storage.refs.get(branchRef(branch))
  if (!ref) throw new DvError('NOT_FOUND', `branch '${branch}' does not exist`, { hint: 'see `dv branch --list`' })
  const ours = ref.snapshot
  const oursSnapshot = await readSnapshot(ctx, ours)
  const base = await mergeBase(ctx, ours, theirs)
  const dryRun = options.dryRun === true
  const result = (status: MergeResult['status'], snapshot: string, tables: MergeResult['tables'] = {}, conflicts: MergeResult['conflicts'] = []): MergeResult =>
    ({ status, branch, source, sourceSnapshot: theirs, base, previous: ours, snapshot, tables, conflicts, dryRun })
  if (base === theirs) return result('up-to-date', ours)
  if (base === null && !options.allowUnrelated) {
    throw new DvError('INVALID_ARGUMENT', `'${source}' (${shortId(theirs)}) and branch '${branch}' (${shortId(ours)}) have no common history`, {
      hint: 'pass --allow-unrelated to merge them against an empty repository',
      details: { source: theirs, target: ours },
    })
  }
  const baseTables = base === null ? {} : (await readSnapshot(ctx, base)).tables
  if (base === ours && !options.noFf) {
    const preview = await applyThreeWay(ctx, { base: baseTables, ours: oursSnapshot, theirs: theirsSnapshot.tables, write: false, signal: options.signal })
    options.signal?.throwIfAborted()
    if (!dryRun) {
      // a fast-forward lands their snapshot as it is: their tables must satisfy the contracts as they change ours
      if (a.verify) await verifyContracts(ctx, ours, oursSnapshot, theirsSnapshot.tables)
      await moveBranch(ctx, branch, ref, theirs, `merge: ${source}`, { intent: 'merge', skippedChecks: !a.verify })
    }
    return result('fast-forward', theirs, preview.summary)
  }
  const merged = await applyThreeWay(ctx, { base: baseTables, ours: oursSnapshot, theirs: theirsSnapshot.tables, strategy: options.strategy, write: !dryRun, signal: options.signal })
  if (merged.conflicts.length) {
    if (dryRun) return result('conflict', '', {}, merged.conflicts)
    throw conflictReport(`merge of '${source}' into '${branch}'`, merged.conflicts, { ours: `branch '${branch}'`, theirs: `'${source}'` })
  }
  if (dryRun) return result('merged', '', merged.summary)
  const published = await publish(ctx, {
    branch, ref, parents: [ours, theirs], parent: oursSnapshot,
    message: options.message ?? `merge ${source} into ${branch}`, author: ctx.author,
    tables: merged.tables, summary: merged.summary, reflogMessage: `merge: ${source}`, signal: options.signal,
    intent: 'merge', verify: a.verify,
  })
  return result('merged', published.id, merged.summary)
}
