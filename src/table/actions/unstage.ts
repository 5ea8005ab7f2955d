/**
 * `dv restore --staged [TABLE...] [--change ID]` and `dv reset TABLE...`:
 * unstage changes of the branch (format-spec/workspace.md#unstaging). Bad
 * input (a table or change that is not staged) is refused before anything
 * is removed; each change is removed atomically (Workspace.unstage), so a
 * concurrent `dv write` or `dv commit` never loses or half-sees a change.
 */
import type { StagedChangeInfo, UnstageOptions, UnstageResult } from '../../api-types.js'
import type { PendingChange } from '../changes.js'
import { DvError } from '../../errors.js'
import { asTableName } from '../../ids.js'
import { recoverStaging } from './commit.js'
import { targetBranch, type ActionContext } from './context.js'

/** A change id as `dv status` shows it: its first 8 characters. */
export const SHORT_CHANGE_ID = 8
const MIN_CHANGE_PREFIX = 4

export function stagedInfo(c: PendingChange): StagedChangeInfo {
  return {
    id: c.id, table: c.table, mode: c.mode, creates: c.creates, files: c.files.length,
    rows: c.files.reduce((n, f) => n + f.rows, 0), bytes: c.files.reduce((n, f) => n + f.bytes, 0),
  }
}

function select(branch: string, staged: PendingChange[], options: UnstageOptions): PendingChange[] {
  const where = `on branch '${branch}'`
  if (staged.length === 0) {
    throw new DvError('NOT_FOUND', `nothing is staged ${where}`, { hint: 'see `dv status`' })
  }
  let chosen = staged
  if (options.tables?.length) {
    const tables = options.tables.map((t) => asTableName(t))
    const missing = tables.filter((t) => !staged.some((c) => c.table === t))
    if (missing.length) {
      throw new DvError('NOT_FOUND', `table(s) ${missing.map((t) => `'${t}'`).join(', ')} have no staged changes ${where}`, {
        hint: `staged tables: ${[...new Set(staged.map((c) => c.table))].join(', ')} (see \`dv status\`)`, details: { tables: missing },
      })
    }
    chosen = chosen.filter((c) => tables.includes(c.table as never))
  }
  if (options.change !== undefined) {
    const prefix = options.change.trim().toLowerCase()
    if (prefix.length < MIN_CHANGE_PREFIX) {
      throw new DvError('INVALID_ARGUMENT', `change id '${options.change}' is too short: give at least ${MIN_CHANGE_PREFIX} characters`, { hint: 'ids are shown by `dv status`' })
    }
    const matches = chosen.filter((c) => c.id.startsWith(prefix))
    if (matches.length === 0) {
      throw new DvError('NOT_FOUND', `no staged change ${prefix} ${where}${options.tables?.length ? ` for ${options.tables.join(', ')}` : ''}`, { hint: 'ids are shown by `dv status`' })
    }
    if (matches.length > 1) {
      throw new DvError('INVALID_ARGUMENT', `change id '${prefix}' is ambiguous: it matches ${matches.map((c) => c.id.slice(0, SHORT_CHANGE_ID)).join(', ')}`, { hint: 'give more characters' })
    }
    chosen = matches
  }
  return chosen
}

export async function unstage(ctx: ActionContext, options: UnstageOptions = {}): Promise<UnstageResult> {
  const workspace = ctx.workspace
  if (!workspace) throw new DvError('INVALID_ARGUMENT', 'this repository was opened by URL: it has no workspace, so nothing is staged')
  const branch = await targetBranch(ctx, options.branch)
  await recoverStaging(ctx)
  const chosen = select(branch, await workspace.listStaged(branch), options)
  const removed = new Set(await workspace.unstage(branch, chosen.map((c) => c.id)))
  const gone = chosen.filter((c) => !removed.has(c.id))
  if (gone.length) {
    throw new DvError('CONFLICT', `${gone.length} staged change(s) (${gone.map((c) => c.id.slice(0, SHORT_CHANGE_ID)).join(', ')}) were taken by a concurrent commit and not unstaged${removed.size ? `; ${removed.size} other(s) were` : ''}`, {
      retryable: false, hint: 'see `dv log` and `dv status`', details: { taken: gone.map((c) => c.id), unstaged: [...removed] },
    })
  }
  return { branch, unstaged: chosen.map(stagedInfo) }
}
