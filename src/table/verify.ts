/**
 * Verification (the heart of `dv fsck`): every ref names a snapshot; every
 * object reachable from a ref exists, re-hashes to its id and parses.
 * Unreachable objects are reported as dangling, which is not an error.
 */
import type { ObjectId, SnapshotId } from '../ids.js'
import type { TempEntry } from '../store/owner.js'
import { BRANCH_PREFIX, TAG_PREFIX } from '../refs/names.js'
import { dataFilePath, readManifest, readSnapshot, readTableMetadata, type RepoContext } from './context.js'

export interface VerifyProblem {
  object?: string
  ref?: string
  message: string
}

export interface VerifyResult {
  ok: boolean
  refs: number
  snapshots: number
  tables: number
  manifests: number
  dataFiles: number
  dangling: number
  problems: VerifyProblem[]
  /** Temporary files under the workspace's tmp/ (or the system's, without one): information, not a problem. */
  temporary: TemporaryFiles
}

export interface TemporaryFiles {
  bytes: number
  entries: Array<{ path: string; bytes: number; /** 'gone': the dv process that made it has exited; the next write removes it. */ owner: 'running' | 'gone' | 'unknown'; pid?: number }>
}

/** What `dv fsck` says about temporary files (store/owner.ts judges their owners). */
export function temporaryFiles(entries: TempEntry[]): TemporaryFiles {
  const owner = (s: TempEntry['state']) => (s === 'alive' ? 'running' : s)
  return {
    bytes: entries.reduce((n, e) => n + e.bytes, 0),
    entries: entries.map((e) => ({ path: e.path, bytes: e.bytes, owner: owner(e.state), ...(e.owner ? { pid: e.owner.pid } : {}) })),
  }
}

export async function verifyRepository(ctx: RepoContext): Promise<VerifyResult> {
  const result: VerifyResult = { ok: true, refs: 0, snapshots: 0, tables: 0, manifests: 0, dataFiles: 0, dangling: 0, problems: [], temporary: { bytes: 0, entries: [] } }
  const reachable = new Set<string>()
  const problem = (p: VerifyProblem) => result.problems.push(p)
  const stack: SnapshotId[] = []
  for (const prefix of [BRANCH_PREFIX, TAG_PREFIX]) {
    try {
      for (const r of await ctx.storage.refs.list(prefix)) {
        result.refs++
        stack.push(r.value.snapshot)
      }
    } catch (e) {
      problem({ ref: prefix, message: (e as Error).message })
    }
  }
  const guard = async (id: string, what: () => Promise<void>) => {
    if (reachable.has(id)) return
    reachable.add(id)
    try {
      await what()
    } catch (e) {
      problem({ object: id, message: (e as Error).message })
    }
  }
  while (stack.length) {
    const id = stack.pop() as SnapshotId
    await guard(id, async () => {
      const snap = await readSnapshot(ctx, id)
      result.snapshots++
      stack.push(...snap.parents)
      for (const tableId of Object.values(snap.tables)) {
        await guard(tableId, async () => {
          const table = await readTableMetadata(ctx, tableId)
          result.tables++
          for (const m of table.manifests) {
            await guard(m.id, async () => {
              const manifest = await readManifest(ctx, m.id)
              result.manifests++
              for (const f of manifest.files) {
                await guard(f.id, async () => {
                  await dataFilePath(ctx, f.id as ObjectId)
                  result.dataFiles++
                })
              }
            })
          }
        })
      }
    })
  }
  for await (const id of ctx.storage.objects.list('')) if (!reachable.has(id)) result.dangling++
  result.ok = result.problems.length === 0
  return result
}
