/**
 * Storage interfaces. The guarantees every backend MUST give are written in
 * format-spec/storage-requirements.md; test/conformance/ checks them against
 * every backend (memory and local in test/conformance/, S3 in test/s3/conformance.test.ts).
 */
import type { ObjectId, SnapshotId } from '../ids.js'
import type { ObjectInventory } from './inventory.js'

/**
 * Immutable, content-addressed objects named by the SHA-256 of their bytes.
 * - put is idempotent: putting bytes that are already stored is a no-op.
 * - get re-verifies the hash and throws DvError CORRUPT naming the object on mismatch,
 *   NOT_FOUND when absent.
 * - an object is either fully visible or absent (no torn reads of a published object).
 */
export interface AdoptOptions {
  /** The file is linked into place only after this resolves (ObjectStore.adoptFile). */
  ready?: Promise<unknown>
}

export interface ObjectStore {
  /** Stores bytes; returns their id. Durable when the promise resolves. */
  put(bytes: Uint8Array): Promise<ObjectId>
  /**
   * Streams a local file into the store, hashing while copying (bounded memory).
   * If `expectedId` is given and differs from the computed hash, throws CORRUPT.
   */
  putFile(path: string, expectedId?: ObjectId): Promise<{ id: ObjectId; bytes: number }>
  /**
   * Optional: stores a temporary file the caller is done with, taking it over
   * (hash, fsync, link into place) instead of copying it. The file is gone
   * afterwards, whatever the outcome. Callers fall back to putFile + unlink.
   * With `ready`, the file is hashed and synced at once but becomes an object
   * only once `ready` resolves; if it rejects, nothing is stored and its
   * reason is thrown (the caller checks the file meanwhile).
   */
  adoptFile?(path: string, options?: AdoptOptions): Promise<{ id: ObjectId; bytes: number }>
  /** Returns the verified bytes. */
  get(id: ObjectId): Promise<Uint8Array>
  has(id: ObjectId): Promise<boolean>
  /** Size in bytes, or undefined when absent. */
  size(id: ObjectId): Promise<number | undefined>
  /**
   * A path on the local filesystem holding the object's verified bytes, for
   * engines that read files (DuckDB). Local store: the object file itself;
   * memory/remote stores: a cached copy. The file MUST NOT be modified.
   */
  localPath(id: ObjectId): Promise<string>
  /**
   * The absolute directory under which every path localPath (and pathOf)
   * returns lies. The data engine's sandbox may read files only there (and in
   * dv's scratch directory): nothing else on the machine.
   */
  localRoot(): Promise<string>
  /**
   * Optional: where the object's file is on the local filesystem, WITHOUT
   * verifying it (the caller verifies with localPath, possibly concurrently
   * with reading). Only stores that keep objects as local files have it.
   */
  pathOf?(id: ObjectId): string
  /** All object ids whose hex starts with `prefix` (any length, may be empty), in no particular order. */
  list(prefix?: string): AsyncIterable<ObjectId>
  /** Removes an object (garbage collection only). Missing is not an error. */
  delete(id: ObjectId): Promise<void>
  /**
   * Optional (garbage collection, format-spec/gc.md): every object with the
   * time the store recorded for it (local: mtime; S3: LastModified). A
   * store without it cannot be collected.
   */
  listTimed?(): AsyncIterable<TimedObject>
  /** Optional (gc): the store's clock, read as the time it records for an object written now. */
  storeTime?(): Promise<number>
  /**
   * Optional (gc): deletes those of `ids` whose recorded time is still before
   * `cutoffMs` when re-checked right before the delete (format-spec/gc.md#sweep);
   * returns the ids deleted. Missing ids are skipped.
   */
  sweep?(ids: readonly ObjectId[], cutoffMs: number): Promise<ObjectId[]>
  /** Optional (gc): undoes what a gc that died mid-sweep left half-done (local: links gc-trash/ back). */
  recoverSweep?(): Promise<number>
  /**
   * Optional (gc): what the last gc left stored and the generation log of what
   * writers stored since, so that gc need not list the store
   * (format-spec/gc.md#inventory-and-generation-log).
   */
  readonly inventory?: ObjectInventory
  /** Optional (gc, S3): aborts incomplete multipart uploads under the objects prefix started before `cutoffMs`; returns their keys (only lists them when `dryRun`). */
  abortStaleUploads?(cutoffMs: number, dryRun: boolean): Promise<string[]>
}

/** An object and the time its store recorded for it (written or last refreshed). */
export interface TimedObject {
  id: ObjectId
  modifiedMs: number
  bytes: number
}

/** The current value of a ref, with an opaque version used for compare-and-swap. */
export interface RefValue {
  snapshot: SnapshotId
  /** Opaque token (local: the snapshot id; S3: the ETag). */
  version: string
}

/**
 * Mutable refs: `branches/<name>` and `tags/<name>` (format-spec/refs.md).
 * The only mutable state in a repository, changed only by compare-and-swap.
 */
export interface RefStore {
  get(name: string): Promise<RefValue | undefined>
  /** Refs whose name starts with `prefix` (e.g. 'branches/'), sorted by name. */
  list(prefix: string): Promise<Array<{ name: string; value: RefValue }>>
  /**
   * Atomically sets `name` to `next` if its current version is `expected`
   * (`null` = the ref must not exist); `next === null` deletes it.
   * Throws DvError CONFLICT (retryable, details {ref, expected, actual}) when
   * the expectation fails; CONFLICT, not retryable, when the ref cannot be
   * updated by retrying (a local ref lock still held after the store's wait, a
   * name nested under another ref); OUTCOME_UNKNOWN when the write may or may
   * not have happened; STORAGE for other backend failures (nothing written).
   * Returns the new value (undefined after a delete).
   */
  compareAndSwap(name: string, expected: string | null, next: SnapshotId | null): Promise<RefValue | undefined>
  /** Optional (gc, stores with lock files): every ref lock present, with the time the file system gave it. */
  listLocks?(): Promise<Array<{ ref: string; path: string; modifiedMs: number }>>
}

/**
 * The reflog (format-spec/reflog.md): per ref, an append-only set of
 * immutable entries, each under its own key `<16-digit time ms>-<16 hex>`
 * (keys sort by time). The store holds bytes; the refs layer writes and
 * reads the entries, and decides what they mean.
 * - append creates one new entry and never replaces one (local: link of a
 *   fsync'd temp file; S3: PUT with If-None-Match: *); the entry is fully
 *   visible or absent, and durable when the promise resolves;
 * - list returns every key of one ref, ascending, by a listing of that ref's
 *   prefix only (never the whole store); entries of a deleted ref stay.
 * A ref name is a store ref path ('branches/main'): INVALID_ARGUMENT otherwise.
 */
export interface ReflogStore {
  /** Appends `bytes` as a new entry of `ref`'s log, keyed by `timeMs` and a random suffix; returns the key. */
  append(ref: string, timeMs: number, bytes: Uint8Array): Promise<string>
  /** Every entry key of `ref`, oldest first ([] when it has none). */
  list(ref: string): Promise<string[]>
  /** The bytes of one entry; NOT_FOUND when absent. */
  read(ref: string, key: string): Promise<Uint8Array>
  /** Optional (gc): every ref that has a log, deleted refs included, as store ref paths, sorted. */
  listRefs?(): Promise<string[]>
}

/**
 * Leases (format-spec/gc.md#leases): one small mutable object per workspace
 * that shares a remote store, under `gc/leases/<name>`; its time is the
 * store's (LastModified), set by each put.
 */
export interface LeaseStore {
  /** Writes (replaces) a lease; durable when the promise resolves. */
  put(name: string, bytes: Uint8Array): Promise<void>
  /** Removes a lease; absent is not an error. */
  delete(name: string): Promise<void>
  /** Every lease with the time the store recorded for its last put; any failed read throws. */
  list(): Promise<Array<{ name: string; bytes: Uint8Array; modifiedMs: number }>>
}

/** A repository's storage: objects, refs and their reflog, and the small write-once repository config. */
export interface Storage {
  readonly objects: ObjectStore
  readonly refs: RefStore
  readonly reflog: ReflogStore
  /** Optional: stores whose workspaces live elsewhere (S3) keep their leases here. */
  readonly leases?: LeaseStore
  /** Human-readable location, e.g. '/home/me/lake/.dv' or 'memory'. */
  readonly location: string
  /** The bytes of `config.json`, or undefined when the store holds no repository. */
  readConfig(): Promise<Uint8Array | undefined>
  /** Creates `config.json` exclusively; CONFLICT if it exists. */
  createConfig(bytes: Uint8Array): Promise<void>
  close(): Promise<void>
}
