/**
 * What branch protection means to an action before it does any work
 * (format-spec/settings.md#branch-protection): a branch protected with
 * --require-merge refuses direct writes and commits at once (nothing is
 * read, staged or written), and --require-checks overrides --no-verify.
 * updateRef checks the same rules again at the ref update, against the
 * settings as they are then: this is the early, friendlier refusal.
 */
import type { ChecksRun } from '../../api-types.js'
import { branchProtection, protectionError } from '../../refs/protection.js'
import type { ActionContext } from './context.js'

export interface VerifyDecision {
  /** Whether the contracts run. */
  verify: boolean
  /** The result's `checks` field, only when --no-verify was asked: skipped, or required (overridden by the branch). */
  report: { checks?: ChecksRun }
}

/**
 * Whether `what` on `branch` runs the contracts (`verifyOption` false is
 * --no-verify); `what` is the direct commit it makes (a write, a commit, a
 * revert...), undefined for a merge, which --require-merge allows.
 */
export async function verifyOn(ctx: ActionContext, branch: string, verifyOption: boolean | undefined, what?: string): Promise<VerifyDecision> {
  const protection = await branchProtection(ctx.storage, branch)
  if (what !== undefined && protection?.requireMerge) throw protectionError(branch, 'require-merge', `a direct ${what}`)
  if (verifyOption !== false) return { verify: true, report: {} }
  if (protection?.requireChecks) return { verify: true, report: { checks: 'required' } }
  return { verify: false, report: { checks: 'skipped' } }
}
