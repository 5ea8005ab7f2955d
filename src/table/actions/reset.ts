/**
 * `dv reset [--soft|--mixed|--hard] [--force] REV` (format-spec/workspace.md#reset):
 * moves a branch to REV with one logged compare-and-swap. REV must descend
 * from the branch's head unless `force`, since otherwise commits drop out of
 * the branch (the error says how many and how to get them back). The
 * workspace holds staged changes and no working files: soft and mixed keep
 * them (a commit re-validates them against the new head), hard discards
 * the branch's staged changes once the branch moved.
 */
import type { ResetOptions, ResetResult } from '../../api-types.js'
import { RESET_MODES } from '../../api-types.js'
import { DvError, isDvError } from '../../errors.js'
import { shortId } from '../../ids.js'
import { branchRef } from '../../refs/names.js'
import { updateRef } from '../../refs/reflog.js'
import { countOnlyIn } from '../history.js'
import { recoverStaging } from './commit.js'
import { resolveReadable, targetBranch, type ActionContext } from './context.js'

export async function reset(ctx: ActionContext, rev: string, options: ResetOptions = {}): Promise<ResetResult> {
  const mode = options.mode ?? 'mixed'
  if (!(RESET_MODES as readonly string[]).includes(mode)) {
    throw new DvError('INVALID_ARGUMENT', `unknown reset mode '${mode}'`, { hint: `modes: ${RESET_MODES.join(', ')}` })
  }
  const branch = await targetBranch(ctx, options.branch)
  const ref = await ctx.storage.refs.get(branchRef(branch))
  if (!ref) throw new DvError('NOT_FOUND', `branch '${branch}' does not exist`, { hint: 'see `dv branch --list`' })
  const target = (await resolveReadable(ctx, rev)).snapshot
  const dropped = target === ref.snapshot ? 0 : await countOnlyIn(ctx, ref.snapshot, target)
  if (dropped > 0 && !options.force) {
    throw new DvError('INVALID_ARGUMENT', `'${rev}' (${shortId(target)}) does not descend from the head of branch '${branch}' (${shortId(ref.snapshot)}): resetting would drop ${dropped} commit(s) from it`, {
      hint: `pass --force to reset anyway; \`dv branch restore ${branch}@{1}\` brings them back afterwards`,
      details: { branch, head: ref.snapshot, target, dropped },
    })
  }
  if (target !== ref.snapshot) {
    const flags = `${mode === 'mixed' ? '' : ` --${mode}`}${options.force ? ' --force' : ''}`
    try {
      await updateRef(ctx, { ref: branchRef(branch), expected: ref, next: target, message: `reset${flags} ${rev}`, intent: 'reset' })
    } catch (e) {
      if (!isDvError(e, 'CONFLICT')) throw e
      throw new DvError('CONFLICT', `branch '${branch}' moved while it was being reset: nothing was changed`, {
        retryable: false, cause: e, hint: 'check `dv log`, then run the reset again', details: { branch },
      })
    }
  }
  let unstaged = 0
  if (mode === 'hard' && ctx.workspace) {
    await recoverStaging(ctx)
    const staged = await ctx.workspace.listStaged(branch)
    unstaged = (await ctx.workspace.unstage(branch, staged.map((c) => c.id))).length
  }
  return { branch, mode, snapshot: target, previous: ref.snapshot, dropped, unstaged }
}
