/**
 * The virtual merge base (format-spec/merge.md#merge-base): when two
 * snapshots have several best common ancestors (after criss-cross merges),
 * the change from any one of them to a side also holds the other's changes,
 * so a merge against one of them sees those changes on both sides. As git's
 * recursive strategy does, dv merges the bases themselves, in order, each
 * pair against its own merge base (itself virtual when needed), and merges
 * against the result. The virtual base lives in memory: its metadata objects
 * go to an overlay that is never written to the store, and no ref names it.
 */
import type { ObjectId, SnapshotId } from '../ids.js'
import { hashBytes, shortId } from '../ids.js'
import type { ObjectStore } from '../store/types.js'
import { DvError } from '../errors.js'
import { ParsedObjectCache, readSnapshot, type RepoContext } from './context.js'
import type { TableMap } from './delta.js'
import { applyThreeWay } from './merge-apply.js'
import { mergeBases } from './merge-base.js'

/**
 * A context whose reads see the virtual base's metadata objects, and whose
 * metadata writes stay in memory (`keep`: true, while the virtual base is
 * built) or go to the store (false, for the merge against it: its result
 * references only objects the store holds, since it is built from ours' and
 * theirs' tables). Data files a by-key merge of the bases writes go to the
 * store unreferenced, as a failed attempt's do (the engine reads files).
 */
export function overlayContext(ctx: RepoContext, memory: Map<string, Uint8Array>, keep: boolean): RepoContext {
  const inner = ctx.storage.objects
  const objects: ObjectStore = {
    put: async (bytes) => {
      if (!keep) return inner.put(bytes)
      const id = hashBytes(bytes)
      if (!memory.has(id)) memory.set(id, Uint8Array.from(bytes))
      return id
    },
    putFile: (path, expected) => inner.putFile(path, expected),
    ...(inner.adoptFile ? { adoptFile: (path: string) => inner.adoptFile!(path) } : {}),
    get: async (id) => memory.get(id) ?? inner.get(id),
    has: async (id) => memory.has(id) || inner.has(id),
    size: async (id) => memory.get(id)?.byteLength ?? inner.size(id),
    // only data files are read as paths, and those are in the store
    localPath: (id) => inner.localPath(id),
    localRoot: () => inner.localRoot(),
    ...(inner.pathOf ? { pathOf: (id: ObjectId) => inner.pathOf!(id) } : {}),
    list: (prefix) => inner.list(prefix),
    delete: () => Promise.reject(new DvError('INTERNAL', 'a merge does not delete objects')),
  }
  // a cache of its own: the repository's cache must never hold an object the store lacks
  return { ...ctx, storage: { ...ctx.storage, objects }, cache: new ParsedObjectCache() }
}

/**
 * The tables of the merge base of `bases` (the best common ancestors, at
 * least two): the first merged with each next one in turn; and the context
 * to merge against them in (it reads the virtual base's objects, and writes
 * to the store). Merging bases that conflict refuses the merge (CONFLICT,
 * not retryable: the two histories conflict, not the moment).
 */
export async function virtualBase(ctx: RepoContext, bases: SnapshotId[], signal?: AbortSignal): Promise<{ tables: TableMap; ctx: RepoContext }> {
  const memory = new Map<string, Uint8Array>()
  const tables = await mergeAll(overlayContext(ctx, memory, true), bases, signal)
  return { tables, ctx: overlayContext(ctx, memory, false) }
}

async function mergeAll(ctx: RepoContext, bases: SnapshotId[], signal?: AbortSignal): Promise<TableMap> {
  let merged: { ids: SnapshotId[]; tables: TableMap } = { ids: [bases[0]!], tables: (await readSnapshot(ctx, bases[0]!)).tables }
  for (const next of bases.slice(1)) {
    signal?.throwIfAborted()
    // the base of what is merged so far (known by the snapshots it merged) and the next one
    const inner = await mergeBases(ctx, merged.ids, [next])
    const innerTables: TableMap = inner.length === 0 ? {} : inner.length === 1 ? (await readSnapshot(ctx, inner[0]!)).tables : await mergeAll(ctx, inner, signal)
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
