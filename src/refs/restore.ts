/**
 * `dv branch restore NAME@{N}`: puts a branch back where its reflog says it
 * was: re-creates a deleted branch, or moves one back (one logged
 * compare-and-swap). A branch that gained commits since then is not moved
 * without `force`, since that would drop them from it (CONFLICT, exit 4).
 */
import type { RestoreBranchOptions, RestoreBranchResult } from '../api-types.js'
import type { SnapshotId } from '../ids.js'
import { DvError, isDvError } from '../errors.js'
import { asBranchName, shortId } from '../ids.js'
import type { RefAdminContext } from './manage.js'
import { branchRef } from './names.js'
import { reflogValue, updateRef } from './reflog.js'
import { parseRev } from './rev.js'

export interface RestoreContext extends RefAdminContext {
  /** How many commits moving a branch from `from` to `to` drops from it (reachable from `from`, not from `to`). */
  dropped(from: SnapshotId, to: SnapshotId): Promise<number>
}

function usage(spec: string): DvError {
  return new DvError('INVALID_ARGUMENT', `'${spec}' is not a reflog entry of a branch`, {
    hint: 'name one as NAME@{N}, e.g. `dv branch restore main@{1}` (see `dv reflog NAME`)',
  })
}

export async function restoreBranch(ctx: RestoreContext, spec: string, options: RestoreBranchOptions = {}): Promise<RestoreBranchResult> {
  const { base, steps } = parseRev(spec)
  if (steps.length !== 1 || steps[0]!.kind !== 'reflog' || base === 'HEAD' || base === '@') throw usage(spec)
  const branch = asBranchName(base)
  const ref = branchRef(branch)
  const target = await reflogValue(ctx.storage, ref, steps[0]!.n, spec)
  await ctx.resolve(target) // the snapshot must still exist
  const current = (await ctx.refs.get(ref)) ?? null
  if (current?.snapshot === target) return { branch, snapshot: target, previous: target, created: false, dropped: 0 }
  const dropped = current ? await ctx.dropped(current.snapshot, target) : 0
  if (dropped > 0 && !options.force) {
    throw new DvError('CONFLICT', `branch '${branch}' moved since ${spec}: restoring it would drop ${dropped} commit(s) it has now (head ${shortId(current!.snapshot)})`, {
      retryable: false,
      hint: `pass --force to move it anyway (its head stays in the reflog as ${branch}@{1} afterwards), or restore into a new branch with \`dv branch NEW ${spec}\``,
      details: { branch, head: current!.snapshot, target, dropped },
    })
  }
  try {
    await updateRef(ctx, { ref, expected: current, next: target, message: `branch restore ${spec}${options.force ? ' --force' : ''}`, intent: current ? 'restore' : 'create' })
  } catch (e) {
    if (!isDvError(e, 'CONFLICT')) throw e
    throw new DvError('CONFLICT', `branch '${branch}' changed while it was being restored: nothing was changed`, {
      retryable: false, cause: e, hint: `look at \`dv reflog ${branch}\` again, then retry`, details: { branch },
    })
  }
  return { branch, snapshot: target, previous: current?.snapshot ?? null, created: current === null, dropped }
}
