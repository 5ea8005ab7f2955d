/**
 * `dv retention set|rm|show` and `dv expire` (format-spec/retention.md):
 * argv -> one library call -> plain result. Flags that contradict each other
 * are refused here, before the repository is opened: nothing is written.
 */
import type { ExpireResult, RetentionInfo, RetentionPolicyInfo, RetentionResult } from '../../src/index.js'
import { usageError, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { plural } from '../text.js'

export interface RetentionInput {
  action: string
  branch?: string
  default?: boolean
  /** Every value given (a flag repeated with another value contradicts itself). */
  keepDays?: string[]
  keepLast?: string[]
}

async function single(flag: string, values: string[] | undefined): Promise<string | undefined> {
  if (values === undefined) return undefined
  const distinct = [...new Set(values.map((v) => v.trim()))]
  if (distinct.length > 1) return usageError(`--${flag} is given ${values.length} times with different values (${distinct.join(', ')})`, `give --${flag} once`)
  return values[0]
}

export async function runRetention(ctx: CliContext, input: RetentionInput): Promise<void> {
  const { action } = input
  if (!['set', 'rm', 'show'].includes(action)) return usageError(`unknown retention action '${action}'`, 'use dv retention set [BRANCH] --keep-days N --keep-last N, dv retention rm [BRANCH], or dv retention show')
  const limits = input.keepDays !== undefined || input.keepLast !== undefined
  if (action === 'show') {
    if (input.branch !== undefined || input.default === true || limits) return usageError('retention show takes no branch and no flags', 'run dv retention show')
    const result = await withRepository(ctx, (repo) => repo.retention())
    return emit(ctx, result, { text: formatRetention })
  }
  if (input.branch !== undefined && input.default === true) {
    return usageError(`retention ${action} got both branch '${input.branch}' and --default`, `name a branch for its own policy, or --default (or no branch) for the repository default`)
  }
  const branch = input.branch ?? null
  if (action === 'rm') {
    if (limits) return usageError('retention rm takes no --keep-days or --keep-last', `run dv retention rm ${branch ?? '--default'}`)
    const result = await withRepository(ctx, (repo) => repo.removeRetention(branch))
    return emit(ctx, result, { text: formatChange })
  }
  const keepDays = await single('keep-days', input.keepDays)
  const keepLast = await single('keep-last', input.keepLast)
  // setRetention checks the values before it reads or writes anything
  const result = await withRepository(ctx, (repo) => repo.setRetention(branch, { ...(keepDays === undefined ? {} : { keepDays }), ...(keepLast === undefined ? {} : { keepLast }) }))
  return emit(ctx, result, { text: formatChange })
}

function policyText(p: RetentionPolicyInfo | null): string {
  if (p === null) return 'none (nothing expires)'
  return [p.keepDays === null ? '' : `keep-days ${p.keepDays}`, p.keepLast === null ? '' : `keep-last ${p.keepLast}`].filter(Boolean).join(', ')
}

function formatChange(r: RetentionResult): string[] {
  const what = r.branch === null ? 'repository default' : `branch ${r.branch}`
  if (r.settings === null) return [`${what}: retention unchanged (${policyText(r.policy)})`]
  return [`${what}: retention ${policyText(r.policy)} (was ${policyText(r.previous)})`, 'nothing expires until `dv expire` runs']
}

export function formatRetention(r: RetentionInfo): string[] {
  const lines = [`default: ${policyText(r.default)}`]
  for (const [name, p] of Object.entries(r.branches)) lines.push(`${name}: ${policyText(p)}`)
  return lines
}

export async function runExpire(ctx: CliContext, input: { dryRun?: boolean }): Promise<void> {
  const result = await withRepository(ctx, (repo) => repo.expire({ dryRun: input.dryRun === true }))
  await emit(ctx, result, { text: formatExpire })
}

/** The dry run prints the same list the real run records. */
export function formatExpire(r: ExpireResult): string[] {
  if (!r.policies) return ['no retention policy is set: nothing expires (see dv retention set)']
  const verb = r.dryRun ? 'would expire' : 'expired'
  const lines = [
    `${verb} ${plural(r.expired.length, 'snapshot')}${r.alreadyExpired > 0 ? ` (${r.alreadyExpired} expired before)` : ''}`,
    `${r.dryRun ? 'would release' : 'released'} ${plural(r.released.objects, 'object')} (${r.released.bytes} bytes) to gc, which deletes them once the expiry is older than its grace period`,
  ]
  for (const e of r.expired) lines.push(`${verb} ${e.snapshot.slice(0, 12)} ${e.timestamp} ${e.message.split('\n', 1)[0]} (${e.policy})`)
  return lines
}
