/**
 * One change of the repository settings (format-spec/settings.md#the-settings-ref):
 * read the current version, apply a pure edit, store the next version
 * (naming its parent, author, time and command) and compare-and-swap the ref
 * `settings` to it with a reflog entry; on a lost race, re-read and re-apply
 * the edit on top of the other writer's version. Every kind of setting
 * (protection, retention) changes through here, so one change never drops
 * another's fields.
 */
import type { RepositorySettings } from '../format/types.js'
import type { ObjectId, SnapshotId } from '../ids.js'
import { isDvError } from '../errors.js'
import { serializeSettings, SETTINGS_REF } from '../format/index.js'
import { readSettings } from './protection.js'
import { updateRef, type ReflogContext } from './reflog.js'

/** Settings changes race only with other settings changes: a few re-reads settle it. */
const ATTEMPTS = 10

/** The settings' content, without the fields each version sets itself. */
export type SettingsContent = Pick<RepositorySettings, 'protectedBranches' | 'retention'>

const byName = <T>(m: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

/**
 * Applies `edit` to the current settings and lands the result. `edit`
 * returns undefined when nothing would change: then nothing is written and
 * the result's `settings` is null. `edit` may run several times (once per
 * attempt) and may throw to refuse.
 */
export async function changeSettings<T>(
  ctx: ReflogContext, message: string, edit: (current: SettingsContent) => { next: SettingsContent; result: T } | { result: T; next?: undefined },
): Promise<T & { settings: ObjectId | null }> {
  for (let attempt = 1; ; attempt++) {
    const { ref, settings } = await readSettings(ctx.storage)
    const current: SettingsContent = { protectedBranches: { ...(settings?.protectedBranches ?? {}) }, ...(settings?.retention ? { retention: settings.retention } : {}) }
    const { next, result } = edit(current)
    if (next === undefined) return { ...result, settings: null }
    const version: RepositorySettings = {
      parent: (ref?.snapshot as string as ObjectId | undefined) ?? null,
      timeMs: Math.max(ctx.now(), (settings?.timeMs ?? 0) + 1),
      author: ctx.author,
      message,
      protectedBranches: byName(next.protectedBranches),
      ...(next.retention ? { retention: { default: next.retention.default, branches: byName(next.retention.branches) } } : {}),
    }
    const id = await ctx.storage.objects.put(serializeSettings(version))
    try {
      await updateRef(ctx, { ref: SETTINGS_REF, expected: ref, next: id as string as SnapshotId, message })
      return { ...result, settings: id }
    } catch (e) {
      if (!(isDvError(e, 'CONFLICT') && e.retryable) || attempt >= ATTEMPTS) throw e
    }
  }
}
