/**
 * `dv expire` (format-spec/retention.md#expiring): judge every snapshot by
 * the retention policies in the settings, and record the ones that expire
 * in a new version of the expiry record, with one logged compare-and-swap
 * of the ref `expiry`. Nothing is deleted here: gc stops keeping the
 * expired snapshots' data a grace period later. The dry run is the same
 * plan, stopped before the write.
 */
import type { ExpiredSnapshot, ExpiryRecord } from '../../format/types.js'
import type { ObjectId, SnapshotId } from '../../ids.js'
import { DvError, isDvError } from '../../errors.js'
import { EXPIRY_REF, parseReflogEntry, serializeExpiry } from '../../format/index.js'
import { BRANCH_PREFIX, TAG_PREFIX } from '../../refs/names.js'
import { readSettings } from '../../refs/protection.js'
import { updateRef } from '../../refs/reflog.js'
import { mapLimit } from '../../store/map-limit.js'
import { readManifest, readSnapshot, readTableMetadata } from '../context.js'
import { describePolicy, readExpiry } from '../expiry.js'
import { planExpiry } from '../expire-plan.js'
import { markLive } from '../gc-mark.js'
import type { ActionContext } from './context.js'

export interface ExpireOptions {
  /** Report what would expire; write nothing. */
  dryRun?: boolean
}

export interface ExpiredInfo {
  snapshot: string
  /** The commit's time and message, as `dv log` shows them. */
  timestamp: string
  message: string
  /** The branch whose policy expired it; null: the repository default. */
  branch: string | null
  keepDays: number | null
  keepLast: number | null
  /** The policy in words: `keep-days=7 on branch main`. */
  policy: string
}

export interface ExpireResult {
  dryRun: boolean
  /** False when no retention policy is set: nothing expires. */
  policies: boolean
  /** Snapshots this run expires (a dry run: would expire), newest first. */
  expired: ExpiredInfo[]
  /** Snapshots earlier runs expired (still expired). */
  alreadyExpired: number
  /** Objects only the newly expired snapshots kept: gc may delete them once the expiry is older than its grace period. */
  released: { objects: number; bytes: number }
  /** The new expiry record; null when nothing new expired (or a dry run). */
  record: string | null
}

const ATTEMPTS = 10
const READ_CONCURRENCY = 8

export async function expire(ctx: ActionContext, options: ExpireOptions = {}): Promise<ExpireResult> {
  const dryRun = options.dryRun === true
  const { storage } = ctx
  if (!storage.objects.storeTime) throw new DvError('UNSUPPORTED', `the store at ${storage.location} does not record object times, so dv gc could not tell when an expiry began`)
  for (let attempt = 1; ; attempt++) {
    const { settings } = await readSettings(storage)
    const current = await readExpiry(storage)
    const previous = current.record?.expired ?? {}
    const retention = settings?.retention
    if (retention === undefined) return { dryRun, policies: false, expired: [], alreadyExpired: Object.keys(previous).length, released: { objects: 0, bytes: 0 }, record: null }

    // the expiry record was read before the refs: a ref set after this read is judged by the next run
    const branches = new Map<string, SnapshotId>()
    for (const r of await storage.refs.list(BRANCH_PREFIX)) branches.set(r.name.slice(BRANCH_PREFIX.length), r.value.snapshot)
    const tags = new Set<string>((await storage.refs.list(TAG_PREFIX)).map((r) => r.value.snapshot))
    const reflog = await reflogSnapshots(ctx)
    const staged = ctx.workspace ? await ctx.workspace.allStaged() : []
    const planned = await planExpiry(ctx, { retention, branches, tags, reflog, pinned: new Set(staged.map((c) => c.baseSnapshot)), nowMs: ctx.now() })
    const fresh = [...planned].filter(([id]) => !Object.hasOwn(previous, id))
    // the store's clock, read right before the write: gc honours an expiry only a grace period after it (format-spec/gc.md)
    const timeMs = Math.floor(await storage.objects.storeTime())
    const expired = await describe(ctx, fresh.map(([id, by]) => [id, { ...by, timeMs }]))
    const released = await releasedBy(ctx, staged, new Set(fresh.map(([id]) => id)))
    const result: ExpireResult = { dryRun, policies: true, expired, alreadyExpired: Object.keys(previous).length, released, record: null }
    if (dryRun || fresh.length === 0) return result

    const record: ExpiryRecord = {
      parent: (current.ref?.snapshot as string as ObjectId | undefined) ?? null,
      timeMs: Math.max(timeMs, current.record?.timeMs ?? 0),
      author: ctx.author,
      message: `expire: ${fresh.length} snapshot(s)`,
      expired: Object.fromEntries([...Object.entries(previous), ...fresh.map(([id, by]): [string, ExpiredSnapshot] => [id, { ...by, timeMs }])].sort(([a], [b]) => (a < b ? -1 : 1))),
    }
    const id = await storage.objects.put(serializeExpiry(record))
    try {
      await updateRef(ctx, { ref: EXPIRY_REF, expected: current.ref, next: id as string as SnapshotId, message: record.message })
      return { ...result, record: id }
    } catch (e) {
      if (!(isDvError(e, 'CONFLICT') && e.retryable) || attempt >= ATTEMPTS) throw e
    }
  }
}

/** Every snapshot a reflog entry of a branch or tag names, with the newest such entry's time. */
async function reflogSnapshots(ctx: ActionContext): Promise<Map<SnapshotId, number>> {
  const { reflog } = ctx.storage
  const out = new Map<SnapshotId, number>()
  const refs = reflog.listRefs ? await reflog.listRefs() : []
  for (const ref of refs.filter((r) => r.startsWith(BRANCH_PREFIX) || r.startsWith(TAG_PREFIX))) {
    await mapLimit(await reflog.list(ref), READ_CONCURRENCY, async (key) => {
      const entry = parseReflogEntry(await reflog.read(ref, key), `reflog entry ${key} of '${ref}'`)
      for (const id of [entry.old, entry.new]) if (id !== null && (out.get(id) ?? -1) < entry.timeMs) out.set(id, entry.timeMs)
    })
  }
  return out
}

async function describe(ctx: ActionContext, fresh: Array<[SnapshotId, ExpiredSnapshot]>): Promise<ExpiredInfo[]> {
  const out: Array<ExpiredInfo & { ms: number }> = []
  for (const [id, e] of fresh) {
    const s = await readSnapshot(ctx, id)
    out.push({ snapshot: id, timestamp: new Date(s.timestampMs).toISOString(), message: s.message, branch: e.branch, keepDays: e.keepDays, keepLast: e.keepLast, policy: describePolicy(e), ms: s.timestampMs })
  }
  return out.sort((a, b) => b.ms - a.ms || (a.snapshot < b.snapshot ? -1 : 1)).map(({ ms: _, ...rest }) => rest)
}

/**
 * The objects (and bytes) only the newly expired snapshots keep: what the
 * mark no longer reaches once they are expired, among what their tables
 * reach. Measured with every expiry honoured, as gc will once it is old enough.
 */
async function releasedBy(ctx: ActionContext, staged: Parameters<typeof markLive>[1], fresh: ReadonlySet<SnapshotId>): Promise<{ objects: number; bytes: number }> {
  if (fresh.size === 0) return { objects: 0, bytes: 0 }
  const { live } = await markLive(ctx, staged, { expiredBeforeMs: Number.POSITIVE_INFINITY, alsoExpired: fresh })
  const released = new Set<string>()
  const tables = new Set<ObjectId>()
  for (const id of fresh) for (const t of Object.values((await readSnapshot(ctx, id)).tables)) tables.add(t)
  for (const t of tables) {
    if (live.has(t)) continue
    released.add(t)
    for (const m of (await readTableMetadata(ctx, t)).manifests) {
      if (live.has(m.id) || released.has(m.id)) continue
      released.add(m.id)
      for (const f of (await readManifest(ctx, m.id)).files) if (!live.has(f.id)) released.add(f.id)
    }
  }
  let bytes = 0
  for (const id of released) bytes += (await ctx.storage.objects.size(id as ObjectId)) ?? 0
  return { objects: released.size, bytes }
}
