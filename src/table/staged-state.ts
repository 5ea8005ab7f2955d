/**
 * The staged state `dv diff` compares HEAD with: the snapshot the next
 * `dv commit` would write, built by the commit's own code (buildSnapshot:
 * the same conflict checks, manifests and compaction) on a preview store
 * whose writes stay in memory. Nothing is written to the repository; a
 * staged change that no longer applies to HEAD fails here as it would fail
 * the commit.
 */
import type { SnapshotId } from '../ids.js'
import { overlayStorage } from '../store/overlay.js'
import type { PendingChange } from './changes.js'
import { buildSnapshot } from './commit.js'
import { ParsedObjectCache, readSnapshot, type RepoContext } from './context.js'
import type { TableMap } from './delta.js'

export interface StagedState {
  /** Reads both HEAD's objects and the preview's (the delta runs in it). */
  ctx: RepoContext
  tables: TableMap
}

export async function stagedState(ctx: RepoContext, head: SnapshotId, staged: PendingChange[]): Promise<StagedState> {
  if (staged.length === 0) return { ctx, tables: (await readSnapshot(ctx, head)).tables }
  // its own cache: objects that exist only in the preview must never be served to the repository's readers
  const preview: RepoContext = { ...ctx, storage: overlayStorage(ctx.storage), cache: new ParsedObjectCache() }
  const built = await buildSnapshot(preview, { changes: staged, author: ctx.author, message: 'staged changes', verify: false }, head, await readSnapshot(preview, head))
  return { ctx: preview, tables: built.snapshot.tables }
}
