/**
 * The virtual merge base (format-spec/merge.md#merge-base): when two
 * snapshots have several best common ancestors (after criss-cross merges),
 * the change from any one of them to a side also holds the other's changes,
 * so a merge against one of them sees those changes on both sides. As git's
 * recursive strategy does, dv merges the bases themselves, in order, each
 * pair against its own merge base (itself virtual when needed), and merges
 * against the result. The virtual base lives off the store: its metadata
 * objects stay in memory and the data files a by-key merge of the bases
 * writes stay in a scratch directory (store/overlay.ts), and no ref names it.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ObjectId, SnapshotId } from '../ids.js'
import { shortId } from '../ids.js'
import { overlayStorage } from '../store/overlay.js'
import type { AdoptOptions, ObjectStore } from '../store/types.js'
import { DvError } from '../errors.js'
import { ParsedObjectCache, readSnapshot, type RepoContext } from './context.js'
import type { TableMap } from './delta.js'
import { applyThreeWay } from './merge-apply.js'
import { mergeBases } from './merge-base.js'

/** A context whose object writes go to an overlay (metadata in memory, data files in a scratch directory of its own), and how to discard it. */
export interface ScratchContext {
  ctx: RepoContext
  /** Removes the overlay's data files; nothing of it is left. */
  dispose(): Promise<void>
}

/**
 * A context that reads the store through an overlay and writes only to the
 * overlay: the virtual base is built in one, and a dry run merges in one, so
 * it writes what the real run would (its summary counts the bytes of the
 * data files a by-key merge writes) and leaves the store as it was.
 */
export async function scratchContext(ctx: RepoContext): Promise<ScratchContext> {
  await mkdir(ctx.tmpDir, { recursive: true })
  const filesDir = await mkdtemp(join(ctx.tmpDir, 'merge-overlay-'))
  // a cache of its own: the repository's cache must never hold an object the store lacks
  return {
    // files it keeps stay in filesDir, never in the store: nothing for the writer lease
    ctx: { ...ctx, storage: overlayStorage(ctx.storage, { filesDir }), cache: new ParsedObjectCache(), held: undefined },
    dispose: () => rm(filesDir, { recursive: true, force: true }),
  }
}

/**
 * Runs `work` with a scratch context when `wanted` (removed when `work`
 * ends, however it ends), else with none: a dry run (merge, revert,
 * cherry-pick) applies its change in one, so its summary is the real run's.
 */
export async function withScratch<T>(ctx: RepoContext, wanted: boolean, work: (scratch: RepoContext | undefined) => Promise<T>): Promise<T> {
  if (!wanted) return work(undefined)
  const scratch = await scratchContext(ctx)
  try {
    return await work(scratch.ctx)
  } finally {
    await scratch.dispose()
  }
}

/**
 * A context that reads through `scratch` (the virtual base's objects) and
 * writes to the store, for the real merge against the virtual base: its
 * result references only objects the store holds, since it is built from
 * ours' and theirs' tables and the files it writes itself.
 */
export function writeThrough(ctx: RepoContext, scratch: RepoContext): RepoContext {
  const inner = ctx.storage.objects
  const reads = scratch.storage.objects
  const objects: ObjectStore = {
    put: (bytes) => inner.put(bytes),
    putFile: (path, expected) => inner.putFile(path, expected),
    ...(inner.adoptFile ? { adoptFile: (path: string, options?: AdoptOptions) => inner.adoptFile!(path, options) } : {}),
    get: (id) => reads.get(id),
    has: (id) => reads.has(id),
    size: (id) => reads.size(id),
    localPath: (id) => reads.localPath(id),
    localRoot: () => reads.localRoot(),
    ...(reads.pathOf ? { pathOf: (id: ObjectId) => reads.pathOf!(id) } : {}),
    list: (prefix) => reads.list(prefix),
    delete: () => Promise.reject(new DvError('INTERNAL', 'a merge does not delete objects')),
  }
  return { ...scratch, storage: { ...scratch.storage, objects }, held: ctx.held }
}

/**
 * The tables of the merge base of `bases` (the best common ancestors, at
 * least two): the first merged with each next one in turn, in `scratch` (a
 * scratchContext: no ref names the virtual base, and none of its objects
 * goes to the store). Merging bases that conflict refuses the merge
 * (CONFLICT, not retryable: the two histories conflict, not the moment).
 */
export async function virtualBase(ctx: RepoContext, bases: SnapshotId[], signal?: AbortSignal): Promise<TableMap> {
  let merged: { ids: SnapshotId[]; tables: TableMap } = { ids: [bases[0]!], tables: (await readSnapshot(ctx, bases[0]!)).tables }
  for (const next of bases.slice(1)) {
    signal?.throwIfAborted()
    // the base of what is merged so far (known by the snapshots it merged) and the next one
    const inner = await mergeBases(ctx, merged.ids, [next])
    const innerTables: TableMap = inner.length === 0 ? {} : inner.length === 1 ? (await readSnapshot(ctx, inner[0]!)).tables : await virtualBase(ctx, inner, signal)
    const theirs = (await readSnapshot(ctx, next)).tables
    const result = await applyThreeWay(ctx, { base: innerTables, ours: { tables: merged.tables }, theirs, write: true, signal })
    if (result.conflicts.length) {
      const tables = [...new Set(result.conflicts.map((c) => c.table))]
      throw new DvError('CONFLICT', `the merge has ${bases.length} best common ancestors (${bases.map((b) => shortId(b)).join(', ')}, after criss-cross merges), and merging them with each other conflicts in ${tables.map((t) => `'${t}'`).join(', ')}: ${result.conflicts.map((c) => `${c.table}: ${c.message}`).join('; ')}`, {
        retryable: false,
        hint: `nothing was changed; the two histories made conflicting changes before they were merged into each other. Merge ${shortId(bases[0]!)} and ${shortId(next)} on a branch of their own and resolve it there (--strategy ours|theirs), then merge that branch into both sides first`,
        details: { bases, baseConflicts: result.conflicts },
      })
    }
    merged = { ids: [...merged.ids, next], tables: result.tables as Record<string, ObjectId> }
  }
  return merged.tables
}
