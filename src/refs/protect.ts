/**
 * `dv branch protect|unprotect` and the settings' history
 * (format-spec/settings.md): every change writes a new settings object
 * (naming the one it replaces, who changed it, when and how) and moves the
 * ref `settings` to it with one logged compare-and-swap, retried when
 * another client changed the settings meanwhile. The settings live in the
 * store, not the workspace: every client of the repository obeys them.
 */
import type { BranchProtectionInfo, ProtectOptions, ProtectResult, SettingsVersion } from '../api-types.js'
import type { BranchProtection } from '../format/types.js'
import { DvError } from '../errors.js'
import { parseSettings, SETTINGS_REF } from '../format/index.js'
import { asBranchName, type ObjectId } from '../ids.js'
import { branchRef } from './names.js'
import { readSettings } from './protection.js'
import type { ReflogContext } from './reflog.js'
import { changeSettings } from './settings-change.js'

function same(a: BranchProtection | null, b: BranchProtection | null): boolean {
  return a === b || (a !== null && b !== null && a.requireChecks === b.requireChecks && a.requireMerge === b.requireMerge)
}

/**
 * Sets `branch`'s protection to `next` (null: unprotects it): one new
 * settings object and one logged compare-and-swap of `settings`. Nothing is
 * written when the rules are already those; other settings are kept.
 */
async function changeProtection(ctx: ReflogContext, branch: string, next: BranchProtection | null, message: string): Promise<ProtectResult> {
  return changeSettings(ctx, message, (current) => {
    const branches = current.protectedBranches
    const previous = Object.hasOwn(branches, branch) ? branches[branch]! : null
    const result = { branch, protection: next, previous }
    if (same(previous, next)) return { result }
    if (next === null) delete branches[branch]
    else branches[branch] = next
    return { next: { ...current, protectedBranches: branches }, result }
  })
}

/** Protects `branch` (which must exist) with exactly these rules: `dv branch protect`. */
export async function protectBranch(ctx: ReflogContext, name: string, options: ProtectOptions = {}): Promise<ProtectResult> {
  const branch = asBranchName(name)
  if (!(await ctx.storage.refs.get(branchRef(branch)))) {
    throw new DvError('NOT_FOUND', `branch '${branch}' does not exist`, { hint: 'create it first (`dv branch NAME`), then protect it' })
  }
  const rules = { requireChecks: options.requireChecks === true, requireMerge: options.requireMerge === true }
  const flags = `${rules.requireChecks ? ' --require-checks' : ''}${rules.requireMerge ? ' --require-merge' : ''}`
  return changeProtection(ctx, branch, rules, `branch protect ${branch}${flags}`)
}

/** Removes `branch`'s protection: `dv branch unprotect`. NOT_FOUND when it is not protected. */
export async function unprotectBranch(ctx: ReflogContext, name: string): Promise<ProtectResult> {
  const branch = asBranchName(name)
  const { settings } = await readSettings(ctx.storage)
  if (!settings || !Object.hasOwn(settings.protectedBranches, branch)) {
    throw new DvError('NOT_FOUND', `branch '${branch}' is not protected`, { hint: 'see `dv branch protect --list`' })
  }
  return changeProtection(ctx, branch, null, `branch unprotect ${branch}`)
}

/** Every protected branch and its rules, by name. */
export async function listProtected(ctx: Pick<ReflogContext, 'storage'>): Promise<Record<string, BranchProtectionInfo>> {
  return { ...((await readSettings(ctx.storage)).settings?.protectedBranches ?? {}) }
}

/** The settings' versions, newest first, following `parent` from the current one: who changed what, when. */
export async function settingsHistory(ctx: Pick<ReflogContext, 'storage'>, limit = Number.POSITIVE_INFINITY): Promise<SettingsVersion[]> {
  const out: SettingsVersion[] = []
  let id: string | null = (await ctx.storage.refs.get(SETTINGS_REF))?.snapshot ?? null
  while (id !== null && out.length < limit) {
    const s = parseSettings(await ctx.storage.objects.get(id as ObjectId), `settings ${id}`)
    out.push({ id, parent: s.parent, time: new Date(s.timeMs).toISOString(), author: s.author, message: s.message, protectedBranches: s.protectedBranches })
    id = s.parent
  }
  return out
}
