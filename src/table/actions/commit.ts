/**
 * The commit action (`dv commit`, Repository.commit): take every staged
 * change of the branch out of staging, land them as one commit (commit.ts),
 * and release them: forgotten when the commit landed, back in staging when it
 * did not, kept taken when the outcome is unknown (the next recovery settles
 * it). Without a workspace there is nothing staged: only --allow-empty commits.
 */
import type { CommitOptions, CommitResult } from '../../api-types.js'
import type { SnapshotId } from '../../ids.js'
import { DvError, isDvError } from '../../errors.js'
import { branchRef } from '../../refs/names.js'
import { commitChanges } from '../commit.js'
import { reaches } from '../history.js'
import { requestFingerprint } from '../write.js'
import { branchHead, lineageFor, targetBranch, type ActionContext } from './context.js'
import { verifyOn } from './verify-policy.js'

/** Every commit needs a message: `dv commit -m`, `dv write --commit -m`, and the library alike. */
export function checkCommitMessage(message: string | undefined): void {
  if (!message) throw new DvError('INVALID_ARGUMENT', 'a commit needs a message', { hint: 'pass -m MESSAGE' })
}

export async function commit(ctx: ActionContext, options: CommitOptions): Promise<CommitResult> {
  checkCommitMessage(options.message)
  const branch = await targetBranch(ctx, options.branch)
  await branchHead(ctx, branch)
  const { verify, report } = await verifyOn(ctx, branch, options.verify, 'commit')
  const checks = { verify, skippedChecks: !verify }
  const author = options.author ?? ctx.author
  const lineage = lineageFor(ctx, options.lineage)
  const workspace = ctx.workspace
  if (!workspace) {
    options.signal?.throwIfAborted()
    return { ...(await commitChanges(ctx, { branch, message: options.message, author, changes: [], allowEmpty: options.allowEmpty, idempotencyKey: options.idempotencyKey, retry: ctx.retry, lineage: await lineage(), ...checks })), ...report }
  }
  await recoverStaging(ctx)
  await ctx.temp.sweep()
  options.signal?.throwIfAborted()
  const taken = await workspace.take(branch)
  if (!taken && !options.allowEmpty) {
    throw new DvError('INVALID_ARGUMENT', `nothing to commit on branch '${branch}': no staged changes`, {
      hint: 'stage a change with `dv write TABLE FILE`, or pass --allow-empty',
    })
  }
  const changes = taken?.changes ?? []
  const fingerprint = requestFingerprint({
    changes: changes.map((c) => `${c.table}:${c.mode}:${c.files.map((f) => f.id).join(',')}`).join(';'),
  })
  try {
    const result = await commitChanges(ctx, {
      branch, message: options.message, author, changes, allowEmpty: options.allowEmpty,
      idempotencyKey: options.idempotencyKey, fingerprint, retry: ctx.retry, lineage: await lineage(), ...checks,
      beforeRefUpdate: taken ? (id) => workspace.markTaken(taken, id) : undefined,
    })
    if (taken) await workspace.release(taken, true)
    return { ...result, ...report }
  } catch (e) {
    if (taken && !isDvError(e, 'OUTCOME_UNKNOWN')) await workspace.release(taken, false)
    throw e
  }
}

/** Settles changes a crashed commit left taken: landed if its snapshot is on the branch now, else staged again. */
export async function recoverStaging(ctx: ActionContext): Promise<void> {
  await ctx.workspace?.recover((branch, snapshot) => isOnBranch(ctx, branch, snapshot))
}

async function isOnBranch(ctx: ActionContext, branch: string, snapshot: SnapshotId): Promise<boolean> {
  const ref = await ctx.storage.refs.get(branchRef(branch))
  return ref !== undefined && (await reaches(ctx, ref.snapshot, snapshot))
}
