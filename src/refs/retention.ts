/**
 * `dv retention set|rm|show` (format-spec/retention.md#policy): retention
 * policies live in the repository settings (format-spec/settings.md), one per
 * branch and a repository default, changed like every setting: a new
 * settings version and one logged compare-and-swap. Setting a policy expires
 * nothing; `dv expire` applies the policies.
 */
import type { RetentionPolicy } from '../format/types.js'
import { DvError } from '../errors.js'
import { asBranchName } from '../ids.js'
import { branchRef } from './names.js'
import { readSettings } from './protection.js'
import type { ReflogContext } from './reflog.js'
import { changeSettings } from './settings-change.js'

/** A limit as given: a number (library), or the text of a flag (CLI). */
export type LimitInput = number | string

export interface RetentionSetOptions {
  /** Keep snapshots younger than this many days: a whole number >= 1, or `7d`. */
  keepDays?: LimitInput
  /** Keep the last this many commits of the branch's first-parent chain: a whole number >= 1. */
  keepLast?: LimitInput
}

export interface RetentionPolicyInfo {
  keepDays: number | null
  keepLast: number | null
}

export interface RetentionInfo {
  default: RetentionPolicyInfo | null
  branches: Record<string, RetentionPolicyInfo>
}

export interface RetentionResult {
  /** The branch, or null for the repository default. */
  branch: string | null
  policy: RetentionPolicyInfo | null
  previous: RetentionPolicyInfo | null
  /** The new settings object; null when nothing changed. */
  settings: string | null
}

const HINT = 'give --keep-days N (days, e.g. 7 or 7d) and/or --keep-last N (commits), each a whole number of at least 1'

function parseLimit(flag: 'keep-days' | 'keep-last', v: LimitInput): number {
  const text = typeof v === 'number' ? String(v) : v.trim()
  const m = flag === 'keep-days' ? /^(\d+)d?$/.exec(text) : /^(\d+)$/.exec(text)
  const n = m ? Number(m[1]) : Number.NaN
  if (!Number.isSafeInteger(n) || n < 1) {
    const why = flag === 'keep-days' && /^\d+\s*[a-z]+$/i.test(text) ? ': retention counts whole days (a number, or a number followed by d)' : ': expected a whole number of at least 1'
    throw new DvError('INVALID_ARGUMENT', `invalid --${flag} ${JSON.stringify(typeof v === 'number' ? v : v)}${why}`, { hint: HINT, details: { flag, value: v } })
  }
  return n
}

/** The policy the options ask for; INVALID_ARGUMENT when they give none, or a bad value. Pure: checked before anything is read or written. */
export function parseRetentionOptions(options: RetentionSetOptions): RetentionPolicy {
  if (options.keepDays === undefined && options.keepLast === undefined) {
    throw new DvError('INVALID_ARGUMENT', 'retention set needs --keep-days or --keep-last (or both): a policy that keeps nothing would expire every commit', { hint: HINT })
  }
  return {
    keepDays: options.keepDays === undefined ? null : parseLimit('keep-days', options.keepDays),
    keepLast: options.keepLast === undefined ? null : parseLimit('keep-last', options.keepLast),
  }
}

const flags = (p: RetentionPolicy): string => `${p.keepDays === null ? '' : ` --keep-days ${p.keepDays}`}${p.keepLast === null ? '' : ` --keep-last ${p.keepLast}`}`
const same = (a: RetentionPolicy | null, b: RetentionPolicy | null): boolean => a === b || (a !== null && b !== null && a.keepDays === b.keepDays && a.keepLast === b.keepLast)

/**
 * Sets the retention policy of `branch` (null: the repository default) to
 * `next` (null: removes it). Nothing is written when it is already that.
 */
async function changeRetention(ctx: ReflogContext, branch: string | null, next: RetentionPolicy | null, message: string): Promise<RetentionResult> {
  return changeSettings(ctx, message, (current) => {
    const retention = { default: current.retention?.default ?? null, branches: { ...(current.retention?.branches ?? {}) } }
    const previous = branch === null ? retention.default : Object.hasOwn(retention.branches, branch) ? retention.branches[branch]! : null
    const result = { branch, policy: next, previous }
    if (same(previous, next)) return { result }
    if (branch === null) retention.default = next
    else if (next === null) delete retention.branches[branch]
    else retention.branches[branch] = next
    return { next: { ...current, retention }, result }
  })
}

/** `dv retention set [BRANCH] --keep-days N --keep-last N`: a branch's policy, or (no branch) the repository default. */
export async function setRetention(ctx: ReflogContext, branch: string | null, options: RetentionSetOptions): Promise<RetentionResult> {
  const policy = parseRetentionOptions(options)
  if (branch !== null) {
    asBranchName(branch)
    if (!(await ctx.storage.refs.get(branchRef(branch)))) {
      throw new DvError('NOT_FOUND', `branch '${branch}' does not exist`, { hint: 'create it first (`dv branch NAME`), or leave the branch out to set the repository default' })
    }
  }
  return changeRetention(ctx, branch, policy, `retention set${branch === null ? ' --default' : ` ${branch}`}${flags(policy)}`)
}

/** `dv retention rm [BRANCH]`: NOT_FOUND when there is no such policy. */
export async function removeRetention(ctx: ReflogContext, branch: string | null): Promise<RetentionResult> {
  if (branch !== null) asBranchName(branch)
  const retention = (await readSettings(ctx.storage)).settings?.retention
  const present = branch === null ? (retention?.default ?? null) !== null : retention !== undefined && Object.hasOwn(retention.branches, branch)
  if (!present) {
    throw new DvError('NOT_FOUND', branch === null ? 'there is no repository default retention policy' : `branch '${branch}' has no retention policy of its own`, { hint: 'see `dv retention show`' })
  }
  return changeRetention(ctx, branch, null, `retention rm${branch === null ? ' --default' : ` ${branch}`}`)
}

/** `dv retention show`: the default and every branch's policy. */
export async function showRetention(ctx: Pick<ReflogContext, 'storage'>): Promise<RetentionInfo> {
  const retention = (await readSettings(ctx.storage)).settings?.retention
  return { default: retention?.default ?? null, branches: { ...(retention?.branches ?? {}) } }
}
