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
import { readSnapshot } from '../context.js'
import { findIdempotencyKey } from '../history.js'
import { requestFingerprint } from '../write.js'
import { applyThreeWay, conflictReport, moveBranch, publish, retryWhileMoving, verifyContracts } from '../merge-apply.js'
import { mergeBases } from '../merge-base.js'
import { virtualBase, withScratch, writeThrough } from '../merge-virtual-base.js'
import { branchHead, resolveReadable, targetBranch, type ActionContext } from './context.js'
import { refuseStaged, checkStrategy } from './revert.js'
import { verifyOn } from './verify-policy.js'

export async function merge(ctx: ActionContext, source: string, options: MergeOptions = {}): Promise<MergeResult> {
  checkStrategy(options.strategy)
  if (options.idempotencyKey !== undefined && options.idempotencyKey.trim() === '') {
    throw new DvError('INVALID_ARGUMENT', 'the idempotency key is empty', { hint: 'pass a non-empty --idempotency-key KEY (e.g. the pipeline run id), or leave it out' })
  }
  options.signal?.throwIfAborted()
  const branch = await targetBranch(ctx, options.into)
  if (source === branch || source === branchRef(branch)) {
    throw new DvError('INVALID_ARGUMENT', `cannot merge branch '${branch}' into itself`, {
      hint: `name another branch or commit to merge, or pick the target with --into BRANCH`,
    })
  }
  await branchHead(ctx, branch)
  const theirs = (await resolveReadable(ctx, source)).snapshot
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
  // the request a key names: what is merged (by snapshot) and how its conflicts resolve
  const key = options.idempotencyKey
  const fingerprint = key === undefined ? undefined : requestFingerprint({ request: 'merge', source: theirs, strategy: options.strategy, allowUnrelated: options.allowUnrelated ? 'yes' : undefined })
  if (key !== undefined) {
    const landed = await findIdempotencyKey(ctx, ours, key)
    if (landed) return replay(a, ours, landed.id, landed.snapshot, fingerprint!)
  }
  const oursSnapshot = await readSnapshot(ctx, ours)
  const bases = await mergeBases(ctx, [ours], [theirs])
  const base = bases[0] ?? null
  const dryRun = options.dryRun === true
  const result = (status: MergeResult['status'], snapshot: string, tables: MergeResult['tables'] = {}, conflicts: MergeResult['conflicts'] = []): MergeResult =>
    ({ status, branch, source, sourceSnapshot: theirs, base, bases, previous: ours, snapshot, tables, conflicts, dryRun, idempotentReplay: false })
  if (base === theirs) return result('up-to-date', ours)
  if (base === null && !options.allowUnrelated) {
    throw new DvError('INVALID_ARGUMENT', `'${source}' (${shortId(theirs)}) and branch '${branch}' (${shortId(ours)}) have no common history`, {
      hint: 'pass --allow-unrelated to merge them against an empty repository',
      details: { source: theirs, target: ours },
    })
  }
  // a dry run merges in an overlay, writing what the real run would (a by-key merge's data files count in its
  // summary) off the store; the virtual base of several best common ancestors (criss-cross merges) is built in one
  return withScratch(ctx, dryRun || bases.length > 1, async (scratch) => {
    const baseTables = bases.length > 1 ? await virtualBase(scratch!, bases, options.signal) : base === null ? {} : (await readSnapshot(ctx, base)).tables
    // a fast-forward writes no commit, so a keyed merge makes one: the key must be findable
    if (base === ours && !options.noFf && key === undefined) {
      const preview = await applyThreeWay(ctx, { base: baseTables, ours: oursSnapshot, theirs: theirsSnapshot.tables, write: false, signal: options.signal })
      options.signal?.throwIfAborted()
      if (!dryRun) {
        // a fast-forward lands their snapshot as it is: their tables must satisfy the contracts as they change ours
        if (a.verify) await verifyContracts(ctx, ours, oursSnapshot, theirsSnapshot.tables)
        await moveBranch(ctx, branch, ref, theirs, `merge: ${source}`, { intent: 'merge', skippedChecks: !a.verify })
      }
      return result('fast-forward', theirs, preview.summary)
    }
    const mctx = dryRun ? scratch! : scratch ? writeThrough(ctx, scratch) : ctx
    const merged = await applyThreeWay(mctx, { base: baseTables, ours: oursSnapshot, theirs: theirsSnapshot.tables, strategy: options.strategy, write: true, signal: options.signal })
    if (merged.conflicts.length) {
      if (dryRun) return result('conflict', '', {}, merged.conflicts)
      throw conflictReport(`merge of '${source}' into '${branch}'`, merged.conflicts, { ours: `branch '${branch}'`, theirs: `'${source}'` })
    }
    if (dryRun) return result('merged', '', merged.summary)
    const published = await publish(ctx, {
      branch, ref, parents: [ours, theirs], parent: oursSnapshot,
      message: options.message ?? `merge ${source} into ${branch}`, author: ctx.author,
      tables: merged.tables, summary: merged.summary, reflogMessage: `merge: ${source}`, signal: options.signal,
      ...(key === undefined ? {} : { idempotencyKey: key, fingerprint }),
      intent: 'merge', verify: a.verify,
    })
    return result('merged', published.id, merged.summary)
  })
}

/**
 * The merge commit that already landed with the request's idempotency key
 * (format-spec/merge.md#idempotency): returned as the result, nothing
 * written; a commit that used the key for another request is a CONFLICT, as
 * for writes (format-spec/commit-protocol.md#idempotency).
 */
function replay(a: Attempt, head: SnapshotId, id: SnapshotId, landed: Snapshot, fingerprint: string): MergeResult {
  const key = a.options.idempotencyKey!
  const merged = landed.parents.length === 2 && landed.parents[1] === a.theirs
  if (landed.fingerprint !== fingerprint) {
    const what = landed.parents.length === 2 ? `the merge of ${shortId(landed.parents[1]!)}` : 'another request'
    throw new DvError('CONFLICT', `idempotency key '${key}' was already used by snapshot ${shortId(id)} on branch '${a.branch}' for ${what}${merged ? ' with other options' : ''}, not for this merge of '${a.source}' (${shortId(a.theirs)})`, {
      retryable: false,
      hint: 'use a new key for a new merge; a retry must merge the same source (the same snapshot) with the same --strategy',
      details: { snapshot: id, idempotencyKey: key },
    })
  }
  return {
    status: 'merged', branch: a.branch, source: a.source, sourceSnapshot: a.theirs, base: null, bases: [],
    previous: head, snapshot: id, tables: landed.summary ?? {}, conflicts: [], dryRun: a.options.dryRun === true, idempotentReplay: true,
  }
}
