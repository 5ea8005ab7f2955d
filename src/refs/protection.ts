/**
 * Branch protection as every ref update sees it (format-spec/settings.md):
 * the current settings (ref `settings` -> a settings object), and the rule
 * an update of a branch must satisfy. updateRef (reflog.ts) checks it before
 * anything is written, so every path that moves a branch obeys it, in every
 * client: the CLI, pipelines using the library, another machine on S3.
 */
import type { BranchProtection, RepositorySettings } from '../format/types.js'
import type { RefValue, Storage } from '../store/types.js'
import { DvError } from '../errors.js'
import { parseSettings, SETTINGS_REF } from '../format/index.js'
import { BRANCH_PREFIX } from './names.js'
import { refObjectReader } from './ref-object.js'

/** What a branch update does, as protection judges it. */
export type RefIntent = 'create' | 'commit' | 'merge' | 'reset' | 'delete' | 'restore'

export interface CurrentSettings {
  /** The ref as read (null: no settings yet, nothing is protected). */
  ref: RefValue | null
  settings: RepositorySettings | null
}

const readSettingsObject = refObjectReader(SETTINGS_REF, 'settings', parseSettings)

/** The current settings; UNSUPPORTED or CORRUPT when they cannot be read (a client that cannot read them must not move a branch). */
export async function readSettings(storage: Pick<Storage, 'refs' | 'objects'>): Promise<CurrentSettings> {
  const { ref, value } = await readSettingsObject(storage)
  return { ref, settings: value }
}

/** The protection of `branch`, or undefined when it is not protected. */
export async function branchProtection(storage: Pick<Storage, 'refs' | 'objects'>, branch: string): Promise<BranchProtection | undefined> {
  const { settings } = await readSettings(storage)
  return settings !== null && Object.hasOwn(settings.protectedBranches, branch) ? settings.protectedBranches[branch] : undefined
}

/** The message a refusal names: the rule, and the way forward. */
export function protectionError(branch: string, rule: 'protected' | 'require-merge' | 'require-checks', what: string): DvError {
  const hint = rule === 'require-merge'
    ? `write to another branch and merge it: \`dv checkout -b change ${branch}\`, write and commit there, \`dv check TABLE\`, then \`dv merge change --into ${branch}\``
    : rule === 'require-checks'
      ? 'run it without --no-verify: the contracts must pass on this branch'
      : `run \`dv branch unprotect ${branch}\` first if you really mean it`
  return new DvError('INVALID_ARGUMENT', `branch '${branch}' is protected${rule === 'protected' ? '' : ` with --${rule}`}: ${what} is refused`, {
    hint, details: { branch, rule },
  })
}

/**
 * Refuses an update of a protected branch that its rules forbid: deleting,
 * resetting or restoring it (any protection), a commit other than a merge
 * (--require-merge), an update whose contracts were skipped (--require-checks).
 */
export function checkProtection(protection: BranchProtection | undefined, branch: string, intent: RefIntent, skippedChecks: boolean): void {
  if (protection === undefined) return
  if (intent === 'delete') throw protectionError(branch, 'protected', 'deleting it')
  if (intent === 'reset' || intent === 'restore') throw protectionError(branch, 'protected', `moving it by ${intent === 'reset' ? 'dv reset' : 'dv branch restore'}`)
  if (intent === 'commit' && protection.requireMerge) throw protectionError(branch, 'require-merge', 'a direct commit')
  if (skippedChecks && protection.requireChecks) throw protectionError(branch, 'require-checks', 'skipping the contracts (--no-verify)')
}

/** The branch name of a store ref, or undefined for a tag or the settings. */
export function branchOf(ref: string): string | undefined {
  return ref.startsWith(BRANCH_PREFIX) ? ref.slice(BRANCH_PREFIX.length) : undefined
}
