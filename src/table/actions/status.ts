/** The status action (`dv status`): the current branch or detached HEAD, and the staged changes. */
import type { StatusResult } from '../../api-types.js'
import { DEFAULT_BRANCH } from '../../refs/names.js'
import { recoverStaging } from './commit.js'
import { headSnapshot, type ActionContext } from './context.js'
import { stagedInfo } from './unstage.js'

export async function status(ctx: ActionContext): Promise<StatusResult> {
  const location = ctx.storage.location
  if (!ctx.workspace) {
    return { branch: DEFAULT_BRANCH, head: (await headSnapshot(ctx)) ?? null, detached: false, staged: [], location }
  }
  await recoverStaging(ctx)
  const head = await ctx.workspace.readHead()
  const branch = 'branch' in head ? head.branch : null
  const staged = branch ? await ctx.workspace.listStaged(branch) : []
  return {
    branch,
    head: (await headSnapshot(ctx)) ?? null,
    detached: branch === null,
    staged: staged.map(stagedInfo),
    location,
  }
}
