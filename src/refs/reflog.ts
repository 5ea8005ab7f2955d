/**
 * The reflog (format-spec/reflog.md): every ref update dv makes goes through
 * updateRef, which appends the entry (durable) BEFORE the compare-and-swap,
 * so no update that landed is ever missing from the log. Reading reconciles
 * the entries against the ref: the log is the chain linking the ref's
 * current value back through old -> new, which leaves out entries of updates
 * that lost their race or never reached the swap.
 */
import { hostname } from 'node:os'
import type { ReflogEntry } from '../format/types.js'
import type { SnapshotId } from '../ids.js'
import type { RefValue, Storage } from '../store/types.js'
import { DvError, isDvError } from '../errors.js'
import { parseReflogEntry, serializeReflogEntry } from '../format/index.js'
import { asBranchName } from '../ids.js'
import { mapLimit } from '../store/map-limit.js'
import { BRANCH_PREFIX, TAG_PREFIX, branchRef, tagRef } from './names.js'
import { branchOf, branchProtection, checkProtection, type RefIntent } from './protection.js'

/** What recording needs: the stores, the clock, and who is acting. */
export interface ReflogContext {
  storage: Pick<Storage, 'refs' | 'reflog' | 'objects'>
  now: () => number
  /** The author string (DV_AUTHOR, else user@host), recorded as the entry's user. */
  author: string
}

export interface RefUpdate {
  /** The ref's store name ('branches/main'). */
  ref: string
  /** The ref as the caller read it (its version is the swap's expectation); null: it must be absent. */
  expected: RefValue | null
  /** The new value; null deletes the ref. */
  next: SnapshotId | null
  /** The command, e.g. 'commit: load march' (only its first line is kept). */
  message: string
  /** What the update does to a branch, as branch protection judges it (protection.ts); 'commit' when not given. */
  intent?: RefIntent
  /** True when the caller skipped the contracts (--no-verify): refused on a branch protected with --require-checks. */
  skippedChecks?: boolean
}

/** Entry times strictly increase within a process, so keys order the updates one process makes even within a millisecond. */
let lastTimeMs = 0

function hostName(): string {
  try {
    return hostname() || 'unknown'
  } catch {
    return 'unknown'
  }
}

/**
 * Appends the update's reflog entry, then compare-and-swaps the ref
 * (format-spec/reflog.md#writing). A failed append fails the update before
 * the swap: nothing changed. Errors of the swap pass through unchanged
 * (CONFLICT, OUTCOME_UNKNOWN...); its entry then stays off the chain unless
 * the swap landed.
 */
export async function updateRef(ctx: ReflogContext, update: RefUpdate): Promise<RefValue | undefined> {
  // protection first: a refused update writes nothing, not even its reflog entry
  const branch = branchOf(update.ref)
  if (branch !== undefined) {
    const intent = update.intent ?? (update.next === null ? 'delete' : update.expected === null ? 'create' : 'commit')
    checkProtection(await branchProtection(ctx.storage, branch), branch, intent, update.skippedChecks === true)
  }
  const timeMs = (lastTimeMs = Math.max(ctx.now(), lastTimeMs + 1))
  const entry: ReflogEntry = {
    ref: update.ref,
    old: update.expected?.snapshot ?? null,
    new: update.next,
    timeMs,
    user: ctx.author,
    host: hostName(),
    message: update.message.split('\n', 1)[0]!.trim() || 'update',
  }
  await ctx.storage.reflog.append(update.ref, timeMs, serializeReflogEntry(entry))
  return ctx.storage.refs.compareAndSwap(update.ref, update.expected?.version ?? null, update.next)
}

/** One line of a ref's log, newest first: `index` is N of `NAME@{N}`. */
export interface ReflogItem {
  index: number
  /** The ref's value after this update (null: the update deleted it). */
  value: SnapshotId | null
  /** The entry; undefined for the synthetic line of a value older than the oldest logged update. */
  entry?: ReflogEntry
  /** The entry's key in the store. */
  key?: string
}

export interface ReflogRead {
  /** The ref's current value, or null when it does not exist. */
  current: SnapshotId | null
  items: ReflogItem[]
  /** How many entries the store holds for the ref, on the chain or not. */
  stored: number
  /** True when `items` is the whole log (not cut short by `limit`). */
  complete: boolean
}

/** Entries fetched at a time, newest first. */
const PAGE = 32
const READ_CONCURRENCY = 8

/**
 * The log of `ref`, newest first (format-spec/reflog.md#reading), at most
 * `limit` lines. Entries are fetched a page at a time from the newest, and
 * only as far as the chain needs.
 */
export async function readReflog(storage: Pick<Storage, 'refs' | 'reflog'>, ref: string, limit?: number): Promise<ReflogRead> {
  // the ref first: an update whose swap we see appended its entry before, so the listing after holds it
  const current = (await storage.refs.get(ref))?.snapshot ?? null
  const keys = await storage.reflog.list(ref)
  const loaded: Array<{ key: string; entry: ReflogEntry }> = []
  let unread = keys.length
  const loadPage = async (wanted: number): Promise<number> => {
    // as many as still wanted (and one more: an entry off the chain costs a page), at most a page
    const size = Math.min(PAGE, Math.max(2, wanted + 1))
    const page = keys.slice(Math.max(0, unread - size), unread).reverse()
    unread -= page.length
    const entries = await mapLimit(page, READ_CONCURRENCY, (key) => readEntry(storage, ref, key))
    page.forEach((key, i) => loaded.push({ key, entry: entries[i]! }))
    return page.length
  }
  const used = new Set<string>()
  const items: ReflogItem[] = []
  let expected: SnapshotId | null = current
  for (;;) {
    if (limit !== undefined && items.length >= limit) return { current, items, stored: keys.length, complete: false }
    let found = loaded.find((l) => !used.has(l.key) && l.entry.new === expected)
    while (found === undefined && unread > 0) {
      const from = loaded.length
      await loadPage(limit === undefined ? PAGE : limit - items.length)
      found = loaded.slice(from).find((l) => l.entry.new === expected)
    }
    if (found === undefined) break
    used.add(found.key)
    items.push({ index: items.length, value: found.entry.new, entry: found.entry, key: found.key })
    expected = found.entry.old
  }
  if (expected !== null) items.push({ index: items.length, value: expected })
  return { current, items, stored: keys.length, complete: true }
}

async function readEntry(storage: Pick<Storage, 'reflog'>, ref: string, key: string): Promise<ReflogEntry> {
  const what = `reflog entry ${key} of '${ref}'`
  let entry: ReflogEntry
  try {
    entry = parseReflogEntry(await storage.reflog.read(ref, key), what)
  } catch (e) {
    if (isDvError(e, 'CORRUPT')) throw new DvError('CORRUPT', e.message, { cause: e, hint: `the entry is damaged; remove it from the reflog of '${ref}' to read the rest`, details: { ref, key } })
    throw e
  }
  if (entry.ref !== ref) {
    throw new DvError('CORRUPT', `${what} is corrupt: it records ref '${entry.ref}'`, {
      hint: `the entry was copied into the wrong log; remove it from the reflog of '${ref}'`, details: { ref, key },
    })
  }
  return entry
}

/**
 * The ref whose log a name reads: `branches/X` or `tags/X` as written; `HEAD`
 * (or `@`) the branch HEAD names; a bare name the branch, else the tag,
 * that exists, else the one that has a log (a deleted ref keeps its log).
 */
export async function reflogRefOf(
  storage: Pick<Storage, 'refs' | 'reflog'>, name: string, headBranch: () => Promise<string | null>,
): Promise<string> {
  if (name === 'HEAD' || name === '@') {
    const branch = await headBranch()
    if (branch === null) {
      throw new DvError('INVALID_ARGUMENT', 'HEAD is detached: it has no reflog of its own', {
        hint: 'name a branch (main@{1}); dv logs branch and tag updates, not checkouts',
      })
    }
    return branchRef(branch)
  }
  if (name.startsWith(BRANCH_PREFIX) || name.startsWith(TAG_PREFIX)) return name
  const candidates = [branchRef(asBranchName(name)), tagRef(name)]
  for (const ref of candidates) if (await storage.refs.get(ref)) return ref
  for (const ref of candidates) if ((await storage.reflog.list(ref)).length > 0) return ref
  throw new DvError('NOT_FOUND', `no branch or tag '${name}', and no reflog of one`, {
    hint: 'see `dv branch --list` and `dv tag --list`',
  })
}

/** The name as the user writes it: 'main' for 'branches/main', 'v1' for 'tags/v1'. */
export function displayName(ref: string): string {
  return ref.startsWith(BRANCH_PREFIX) ? ref.slice(BRANCH_PREFIX.length) : ref.startsWith(TAG_PREFIX) ? ref.slice(TAG_PREFIX.length) : ref
}

/** The value of `NAME@{n}` (format-spec/rev-syntax.md): NOT_FOUND beyond the log (naming its length) or at a deletion. */
export async function reflogValue(storage: Pick<Storage, 'refs' | 'reflog'>, ref: string, n: number, rev: string): Promise<SnapshotId> {
  const log = await readReflog(storage, ref, n + 1)
  const item = log.items[n]
  const name = displayName(ref)
  if (item === undefined) {
    const count = log.items.length
    throw new DvError('NOT_FOUND', `revision '${rev}' is beyond the reflog of '${name}': it has ${count} entr${count === 1 ? 'y' : 'ies'}${count > 0 ? ` (${name}@{0} to ${name}@{${count - 1}})` : ''}`, {
      hint: `see \`dv reflog ${name}\``, details: { ref, entries: count },
    })
  }
  if (item.value === null) {
    throw new DvError('NOT_FOUND', `revision '${rev}' names a deletion: '${name}' did not exist after that update`, {
      hint: `see \`dv reflog ${name}\`; ${name}@{${n + 1}} is the value it was deleted at`, details: { ref, index: n },
    })
  }
  return item.value
}
