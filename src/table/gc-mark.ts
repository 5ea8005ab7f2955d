/**
 * The mark of garbage collection (format-spec/gc.md#live-objects-mark): the
 * set of objects reachable from the roots (staged changes, then every ref,
 * then every snapshot any reflog entry names), not following the tables of
 * snapshots retention expired. Every read fails the mark:
 * an object that cannot be read hides what it references, so the caller
 * must then delete nothing.
 */
import type { ObjectId, SnapshotId } from '../ids.js'
import type { PendingChange } from './changes.js'
import type { Lease } from '../format/index.js'
import { DvError } from '../errors.js'
import { EXPIRY_REF, parseExpiry, parseReflogEntry, parseSettings, SETTINGS_REF } from '../format/index.js'
import { mapLimit } from '../store/map-limit.js'
import { BRANCH_PREFIX, TAG_PREFIX } from '../refs/names.js'
import { readManifest, readSnapshot, readTableMetadata, type RepoContext } from './context.js'
import { readExpiry } from './expiry.js'

export interface MarkCounts {
  refs: number
  reflogEntries: number
  stagedChanges: number
  /** Live leases of other workspaces followed (format-spec/gc.md#leases). */
  leases: number
  snapshots: number
  tables: number
  manifests: number
  dataFiles: number
}

export interface Mark {
  live: Set<string>
  counts: MarkCounts
  /** Expired snapshots whose tables the mark did not follow (format-spec/retention.md#garbage-collection). */
  expired: Set<string>
}

export interface MarkOptions {
  /**
   * Honour only expiries that began (on the store's clock) before this
   * instant: gc passes its cutoff, so a writer that read the expiry record
   * before a snapshot was listed cannot point a ref at it and lose its data
   * (format-spec/gc.md#why-no-live-object-is-deleted). Default: none is honoured.
   */
  expiredBeforeMs?: number
  /** Snapshots to treat as expired too (`dv expire` measuring what an expiry would release). */
  alsoExpired?: ReadonlySet<string>
  /** Live leases of other workspaces: roots like the staged changes (format-spec/gc.md#leases). */
  leases?: readonly Lease[]
}

const READ_CONCURRENCY = 8

/**
 * Marks everything reachable from the staged changes given, every ref, and
 * every reflog entry; the tables of an expired snapshot (one the expiry
 * record lists, honoured per `options`, that no ref names) are not followed.
 */
export async function markLive(ctx: RepoContext, staged: readonly PendingChange[], options: MarkOptions = {}): Promise<Mark> {
  const { storage } = ctx
  if (storage.reflog.listRefs === undefined) {
    throw new DvError('UNSUPPORTED', `the store at ${storage.location} cannot list its reflogs, so dv gc cannot know what is live there`)
  }
  const live = new Set<string>()
  const leases = options.leases ?? []
  const counts: MarkCounts = { refs: 0, reflogEntries: 0, stagedChanges: staged.length, leases: leases.length, snapshots: 0, tables: 0, manifests: 0, dataFiles: 0 }
  const snapshots: SnapshotId[] = []
  const tables: ObjectId[] = []
  const manifests: ObjectId[] = []
  // settings objects (format-spec/settings.md): the current one, every one its reflog names, and their parents
  const settings: ObjectId[] = []
  // expiry records (format-spec/retention.md): the current one, every one its reflog names, and their parents
  const records: ObjectId[] = []
  const addData = (id: string): void => {
    if (live.has(id)) return
    live.add(id)
    counts.dataFiles++
  }

  // 1. staged changes (read before the refs: a change committed meanwhile landed before the refs were read)
  for (const change of staged) {
    snapshots.push(change.baseSnapshot)
    if (change.baseTable !== null) tables.push(change.baseTable)
    for (const f of change.files) addData(f.id)
    for (const r of change.removes) {
      addData(r.id)
      manifests.push(r.manifest)
    }
  }
  // and what the live leases of other workspaces name (read by the caller before the refs, too)
  for (const lease of leases) {
    snapshots.push(...lease.snapshots)
    tables.push(...lease.tables)
    manifests.push(...lease.manifests)
    for (const id of lease.objects) addData(id)
  }
  // 2. the expiry record (read before the refs: a ref a writer set before it could see an expiry is then read below), then the refs
  const expiry = await readExpiry(storage)
  const expiredBeforeMs = options.expiredBeforeMs ?? Number.NEGATIVE_INFINITY
  const expired = new Set(Object.entries(expiry.record?.expired ?? {}).filter(([, e]) => e.timeMs < expiredBeforeMs).map(([id]) => id))
  for (const id of options.alsoExpired ?? []) expired.add(id)
  if (expiry.ref) {
    counts.refs++
    records.push(expiry.ref.snapshot as string as ObjectId)
  }
  for (const prefix of [BRANCH_PREFIX, TAG_PREFIX]) {
    for (const ref of await storage.refs.list(prefix)) {
      counts.refs++
      snapshots.push(ref.value.snapshot)
      // a ref names it: its data is live, whatever the record says
      expired.delete(ref.value.snapshot)
    }
  }
  for (const change of staged) expired.delete(change.baseSnapshot)
  for (const lease of leases) for (const id of lease.snapshots) expired.delete(id)
  const settingsRef = await storage.refs.get(SETTINGS_REF)
  if (settingsRef) {
    counts.refs++
    settings.push(settingsRef.snapshot)
  }
  // 3. every reflog entry of every ref, deleted ones included (entries never expire in format version 1)
  for (const ref of await storage.reflog.listRefs()) {
    const keys = await storage.reflog.list(ref)
    await mapLimit(keys, READ_CONCURRENCY, async (key) => {
      const entry = parseReflogEntry(await storage.reflog.read(ref, key), `reflog entry ${key} of '${ref}'`)
      counts.reflogEntries++
      const into = ref === SETTINGS_REF ? settings : ref === EXPIRY_REF ? records : snapshots
      if (entry.old !== null) into.push(entry.old)
      if (entry.new !== null) into.push(entry.new)
    })
  }

  // the closure: snapshot -> parents, table metadata -> manifests -> data files
  const fresh = <T extends string>(ids: T[]): T[] => {
    const out: T[] = []
    for (const id of ids.splice(0)) {
      if (live.has(id)) continue
      live.add(id)
      out.push(id)
    }
    return out
  }
  while (settings.length > 0) {
    await mapLimit(fresh(settings), READ_CONCURRENCY, async (id) => {
      const s = parseSettings(await storage.objects.get(id), `settings ${id}`)
      if (s.parent !== null) settings.push(s.parent)
    })
  }
  while (records.length > 0) {
    await mapLimit(fresh(records), READ_CONCURRENCY, async (id) => {
      const r = parseExpiry(await storage.objects.get(id), `expiry record ${id}`)
      if (r.parent !== null) records.push(r.parent)
    })
  }
  while (snapshots.length > 0 || tables.length > 0 || manifests.length > 0) {
    await mapLimit(fresh(snapshots), READ_CONCURRENCY, async (id) => {
      const snap = await readSnapshot(ctx, id)
      counts.snapshots++
      snapshots.push(...snap.parents)
      // an expired snapshot keeps its commit (and so its parents), not its data
      if (!expired.has(id)) tables.push(...Object.values(snap.tables))
    })
    await mapLimit(fresh(tables), READ_CONCURRENCY, async (id) => {
      const table = await readTableMetadata(ctx, id)
      counts.tables++
      manifests.push(...table.manifests.map((m) => m.id))
    })
    await mapLimit(fresh(manifests), READ_CONCURRENCY, async (id) => {
      const manifest = await readManifest(ctx, id)
      counts.manifests++
      for (const f of manifest.files) addData(f.id)
    })
  }
  return { live, counts, expired }
}
