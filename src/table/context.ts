/**
 * The context every table operation runs in: storage, clock, author, a
 * temporary directory on the same filesystem as the store, the lazily
 * loaded data engine, and a cache of parsed immutable objects.
 */
import type { Storage } from '../store/types.js'
import type { DataEngine } from '../io/types.js'
import type { ObjectId, SnapshotId } from '../ids.js'
import type { Manifest, Snapshot, TableMetadata } from '../format/types.js'
import {
  parseManifest, parseSnapshot, parseTableMetadata,
  serializeManifest, serializeSnapshot, serializeTableMetadata,
} from '../format/index.js'
import { DvError } from '../errors.js'
import { shortId } from '../ids.js'
import type { HeldObjects } from './writer-lease.js'

export interface RepoContext {
  storage: Storage
  now: () => number
  author: string
  tmpDir: string
  engine: () => Promise<DataEngine>
  cache: ParsedObjectCache
  /** The running action's writer lease on a remote store (writer-lease.ts): data files it stored and has not committed. */
  held?: HeldObjects
}

const CACHE_LIMIT = 4096

/**
 * Parsed metadata objects (snapshots, table metadata, manifests) by id, in
 * memory, for one Repository; safe to keep because ids are content hashes.
 * (Raw bytes of remote objects are cached on disk by store/cache.ts.)
 */
export class ParsedObjectCache {
  private readonly entries = new Map<string, unknown>()

  get<T>(id: string): T | undefined {
    return this.entries.get(id) as T | undefined
  }

  set(id: string, value: unknown): void {
    if (this.entries.size >= CACHE_LIMIT) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
    this.entries.set(id, value)
  }
}

async function readParsed<T>(
  ctx: RepoContext, id: ObjectId, what: string, parse: (bytes: Uint8Array, what: string) => T,
): Promise<T> {
  const hit = ctx.cache.get<T>(id)
  if (hit !== undefined) return hit
  let bytes: Uint8Array
  try {
    bytes = await ctx.storage.objects.get(id)
  } catch (e) {
    throw missingAsCorrupt(e, what, id)
  }
  const value = parse(bytes, `${what} ${id}`)
  ctx.cache.set(id, value)
  return value
}

/**
 * An object that metadata refers to but the store lacks is damage (CORRUPT,
 * exit 5), not a name the user got wrong (NOT_FOUND, exit 3).
 */
function missingAsCorrupt(e: unknown, what: string, id: ObjectId): unknown {
  if (!(e instanceof DvError && e.code === 'NOT_FOUND')) return e
  return new DvError('CORRUPT', `${what} ${shortId(id, 12)} is missing from the object store`, {
    cause: e, hint: 'the repository is damaged; run `dv fsck` to list every missing or corrupt object', details: { object: id },
  })
}

/** The local path of a data file's verified bytes (downloaded if remote); a missing file is CORRUPT naming it. */
export async function dataFilePath(ctx: RepoContext, id: ObjectId): Promise<string> {
  try {
    return await ctx.storage.objects.localPath(id)
  } catch (e) {
    throw missingAsCorrupt(e, 'data file', id)
  }
}

export function readSnapshot(ctx: RepoContext, id: SnapshotId): Promise<Snapshot> {
  return readParsed(ctx, id, 'snapshot', parseSnapshot)
}

export function readTableMetadata(ctx: RepoContext, id: ObjectId): Promise<TableMetadata> {
  return readParsed(ctx, id, 'table metadata', parseTableMetadata)
}

export function readManifest(ctx: RepoContext, id: ObjectId): Promise<Manifest> {
  return readParsed(ctx, id, 'manifest', parseManifest)
}

async function writeParsed<T>(ctx: RepoContext, value: T, serialize: (v: T) => Uint8Array): Promise<ObjectId> {
  const id = await ctx.storage.objects.put(serialize(value))
  ctx.cache.set(id, value)
  return id
}

export function writeSnapshot(ctx: RepoContext, snapshot: Snapshot): Promise<SnapshotId> {
  return writeParsed(ctx, snapshot, serializeSnapshot) as Promise<SnapshotId>
}

export function writeTableMetadata(ctx: RepoContext, table: TableMetadata): Promise<ObjectId> {
  return writeParsed(ctx, table, serializeTableMetadata)
}

export function writeManifest(ctx: RepoContext, manifest: Manifest): Promise<ObjectId> {
  return writeParsed(ctx, manifest, serializeManifest)
}
