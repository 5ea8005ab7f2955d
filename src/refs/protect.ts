/**
 * `dv branch protect|unprotect` and the settings' history
 * (format-spec/settings.md): every change writes a new settings object
 * (naming the one it replaces, who changed it, when and how) and moves the
 * ref `settings` to it with one logged compare-and-swap, retried when
 * another client changed the settings meanwhile. The settings live in the
 * store, not the workspace: every client of the repository obeys them.
 */
import type { BranchProtectionInfo, ProtectOptions, ProtectResult, SettingsVersion } from '../api-types.js'
import type { BranchProtection, RepositorySettings } from '../format/types.js'
import type { ObjectId, SnapshotId } from '../ids.js'
import { DvError, isDvError } from '../errors.js'
import { parseSettings, serializeSettings, SETTINGS_REF } from '../format/index.js'
import { asBranchName } from '../ids.js'
import { branchRef } from './names.js'
import { readSettings } from './protection.js'
import { updateRef, type ReflogContext } from './reflog.js'

/** Settings changes race only with other settings changes: a few re-reads settle it. */
const ATTEMPTS = 10

function same(a: BranchProtection | null, b: BranchProtection | null): boolean {
  return a === b || (a !== null && b !== null && a.requireChecks === b.requireChecks && a.requireMerge === b.requireMerge)
}

/**
 * Sets `branch`'s protection to `next` (null: unprotects it): one new
 * settings object and one logged compare-and-swap of `settings`. Nothing is
 * written when the rules are already those.
 */
async function changeProtection(ctx: ReflogContext, branch: string, next: BranchProtection | null, message: string): Promise<ProtectResult> {
  for (let attempt = 1; ; attempt++) {
    const { ref, settings } = await readSettings(ctx.storage)
    const branches = { ...(settings?.protectedBranches ?? {}) }
    const previous = Object.hasOwn(branches, branch) ? branches[branch]! : null
    if (same(previous, next)) return { branch, protection: next, previous, settings: null }
    if (next === null) delete branches[branch]
    else branches[branch] = next
    const version: RepositorySettings = {
      parent: (ref?.snapshot as string as ObjectId | undefined) ?? null,
      timeMs: Math.max(ctx.now(), (settings?.timeMs ?? 0) + 1),
      author: ctx.author,
      message,
      protectedBranches: Object.fromEntries(Object.entries(branches).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    }
    const id = await ctx.storage.objects.put(serializeSettings(version))
    try {
      await updateRef(ctx, { ref: SETTINGS_REF, expected: ref, next: id as string as SnapshotId, message })
      return { branch, protection: next, previous, settings: id }
    } catch (e) {
      if (!(isDvError(e, 'CONFLICT') && e.retryable) || attempt >= ATTEMPTS) throw e
    }
  }
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
