/**
 * `dv gc` (format-spec/gc.md): read the store's clock, mark what is live,
 * list the objects that are neither live nor younger than the grace period,
 * and (unless a dry run) sweep them, re-checking each one's time right
 * before it goes. Any failed read before the sweep deletes nothing. The dry
 * run is the same code stopped before the sweep.
 */
import type { ObjectId } from '../../ids.js'
import { DvError } from '../../errors.js'
import { markLive, type MarkCounts } from '../gc-mark.js'
import { liveLeases } from '../gc-leases.js'
import { findStored } from '../gc-stored.js'
import type { ActionContext } from './context.js'

export const DEFAULT_GRACE_MS = 24 * 3600_000
/** Grace periods below this are refused without `force`: a commit or a staged change can outlive them. */
export const MIN_GRACE_MS = 3600_000
/** A ref lock older than this was left by a writer that died (writers wait about a second for one). */
const STALE_LOCK_MS = 60_000

export interface GcOptions {
  /** List what would be deleted, delete nothing. */
  dryRun?: boolean
  /** Objects younger than this are never deleted (default 24 h). */
  graceMs?: number
  /** Allow a grace period under one hour. */
  force?: boolean
  /** List the store instead of reading the inventory and generation log (finds objects they leaked). */
  listAll?: boolean
  /**
   * Stops the collection between its phases and between batches of the sweep
   * (rejecting with the signal's reason): what was deleted is gone, the rest
   * stays for the next run, which puts back what this one had moved aside.
   */
  signal?: AbortSignal
}

/** The sweep goes in batches this size, so that an interrupt stops it soon. */
const SWEEP_BATCH = 1000

export interface GcResult {
  dryRun: boolean
  graceMs: number
  /** The store's clock when gc started (format-spec/gc.md#time). */
  storeTimeMs: number
  /** Objects last written or refreshed before this may go. */
  cutoffMs: number
  /** What the mark read, and what it found live. */
  mark: MarkCounts & { liveObjects: number; expiredLeases: number }
  stored: { objects: number; bytes: number }
  /**
   * How gc learnt what is stored (format-spec/gc.md#inventory-and-generation-log):
   * a listing of the store, or the inventory plus `logged` lines of `segments` generation-log segments.
   */
  inventory: { source: 'listing' | 'inventory'; segments: number; logged: number }
  /** Unreachable, but younger than the grace period: kept. */
  young: { objects: number; bytes: number }
  /** Deleted (a dry run: would be deleted), sorted by id. */
  deleted: Array<{ id: string; bytes: number }>
  deletedBytes: number
  /** Listed for deletion but refreshed by a writer before their turn: kept. */
  refreshed: number
  /** Objects a gc that died had moved aside, put back first. */
  restored: number
  /** Temporary files of dv processes that are gone: removed (a dry run: would be). */
  temporary: Array<{ path: string; bytes: number }>
  /** Incomplete multipart uploads started before the cutoff: aborted (a dry run: would be). */
  uploads: string[]
  /** Wall time of each phase: the mark, learning what is stored (listing or inventory), the sweep with the inventory's update. */
  ms: { mark: number; stored: number; sweep: number }
}

export async function gc(ctx: ActionContext, options: GcOptions = {}): Promise<GcResult> {
  const graceMs = checkGrace(options.graceMs ?? DEFAULT_GRACE_MS, options.force === true)
  const dryRun = options.dryRun === true
  const objects = ctx.storage.objects
  if (!objects.listTimed || !objects.storeTime || !objects.sweep) {
    throw new DvError('UNSUPPORTED', `the store at ${ctx.storage.location} does not record object times, so dv gc cannot tell old objects from new ones`)
  }
  const restored = dryRun || !objects.recoverSweep ? 0 : await objects.recoverSweep()
  const storeTimeMs = await objects.storeTime()
  const cutoffMs = storeTimeMs - graceMs
  await refuseStaleLocks(ctx, storeTimeMs)

  const signal = options.signal
  signal?.throwIfAborted()
  const started = performance.now()
  const staged = ctx.workspace ? await ctx.workspace.allStaged() : []
  const leases = await liveLeases(ctx.storage, storeTimeMs)
  const { live, counts } = await markLive(ctx, staged, { expiredBeforeMs: cutoffMs, leases: leases.live })

  signal?.throwIfAborted()
  const marked = performance.now()
  const found = await findStored(objects, live, cutoffMs, { listAll: options.listAll === true, dryRun })
  const { candidates, young } = found
  const stored = { objects: found.known.size, bytes: 0 }
  for (const bytes of found.known.values()) stored.bytes += bytes

  const listed = performance.now()
  const gone = (await ctx.temp.list()).filter((e) => e.state === 'gone').map((e) => ({ path: e.path, bytes: e.bytes }))
  let deleted = candidates
  let uploads: string[] = []
  if (!dryRun) {
    const swept = new Set<ObjectId>()
    for (let start = 0; start < candidates.length; start += SWEEP_BATCH) {
      signal?.throwIfAborted()
      for (const id of await objects.sweep(candidates.slice(start, start + SWEEP_BATCH).map((c) => c.id), cutoffMs)) swept.add(id)
    }
    signal?.throwIfAborted()
    deleted = candidates.filter((c) => swept.has(c.id))
    await ctx.temp.sweep()
    if (objects.inventory) {
      for (const c of deleted) found.known.delete(c.id)
      await objects.inventory.write([...found.known].map(([id, bytes]) => ({ id, bytes })))
      await objects.inventory.dropSegments(found.segments)
    }
  }
  if (objects.abortStaleUploads) uploads = await objects.abortStaleUploads(cutoffMs, dryRun)
  const ms = { mark: marked - started, stored: listed - marked, sweep: performance.now() - listed }
  return {
    dryRun,
    graceMs,
    storeTimeMs,
    cutoffMs,
    mark: { ...counts, liveObjects: live.size, expiredLeases: leases.expired },
    stored,
    inventory: { source: found.source, segments: found.segments.length, logged: found.logged },
    young,
    deleted: deleted.map((c) => ({ id: c.id, bytes: c.bytes })),
    deletedBytes: deleted.reduce((n, c) => n + c.bytes, 0),
    refreshed: candidates.length - deleted.length,
    restored,
    temporary: gone,
    uploads,
    ms,
  }
}

function checkGrace(graceMs: number, force: boolean): number {
  if (!Number.isFinite(graceMs) || graceMs < 0) {
    throw new DvError('INVALID_ARGUMENT', `invalid grace period ${graceMs} ms: expected a duration of 0 or more`, { hint: 'for example --grace 24h' })
  }
  if (graceMs < MIN_GRACE_MS && !force) {
    throw new DvError('INVALID_ARGUMENT', `grace period ${formatDuration(graceMs)} is under the 1h floor: a commit or staged change older than that could lose its objects`, {
      hint: 'use --grace 1h or more, or add --force if no dv process is writing to this repository',
      details: { graceMs, minGraceMs: MIN_GRACE_MS },
    })
  }
  return graceMs
}

/** A ref lock older than a minute: its writer died mid-update, and the ref's value is in doubt. */
async function refuseStaleLocks(ctx: ActionContext, nowMs: number): Promise<void> {
  const locks = ctx.storage.refs.listLocks ? await ctx.storage.refs.listLocks() : []
  const stale = locks.filter((l) => nowMs - l.modifiedMs > STALE_LOCK_MS)
  if (stale.length === 0) return
  throw new DvError('CONFLICT', `ref '${stale[0].ref}' has a stale lock ${stale[0].path}${stale.length > 1 ? ` (and ${stale.length - 1} more)` : ''}: a writer died while updating it; dv gc deleted nothing`, {
    retryable: false,
    hint: `check that no dv process is running, remove ${stale.map((l) => l.path).join(', ')}, check the ref with \`dv fsck\`, then run dv gc again`,
    details: { locks: stale.map((l) => l.path) },
  })
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 604_800_000 }

/** Parses a duration such as `24h`, `90m`, `1h30m`, `7d` or `0` into milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim()
  if (trimmed === '0') return 0
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)]
  if (trimmed === '' || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new DvError('INVALID_ARGUMENT', `cannot parse duration '${text}'`, {
      hint: 'write a number and a unit (ms, s, m, h, d, w), optionally several: 24h, 90m, 1h30m, 7d',
      details: { value: text },
    })
  }
  return parts.reduce((n, p) => n + Number(p[1]) * UNITS[p[2]], 0)
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
