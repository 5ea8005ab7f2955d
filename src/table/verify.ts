/**
 * Verification (the heart of `dv fsck`, format-spec/gc.md#verification-dv-fsck):
 * every ref names a snapshot; every snapshot, table metadata and manifest
 * reachable from a ref exists, re-hashes to its id and parses; every data
 * file exists (with `full`: re-hashes, its Parquet footer parses and its row
 * count is the manifest's). Each problem names the object, its kind, and
 * every ref that reaches it. Unreachable objects are reported as dangling,
 * which is not an error. Nothing is ever repaired or deleted.
 */
import type { ObjectId, SnapshotId } from '../ids.js'
import type { DataFile } from '../format/types.js'
import type { TempEntry } from '../store/owner.js'
import { DvError } from '../errors.js'
import { EXPIRY_REF, parseExpiry, parseSettings, SETTINGS_REF } from '../format/index.js'
import { BRANCH_PREFIX, TAG_PREFIX } from '../refs/names.js'
import { dataFilePath, readManifest, readSnapshot, readTableMetadata, type RepoContext } from './context.js'

export type VerifiedKind = 'snapshot' | 'table' | 'manifest' | 'data' | 'settings' | 'expiry'

export interface VerifyProblem {
  /** The broken object's id (absent when a ref itself is broken). */
  object?: string
  kind?: VerifiedKind
  /** The broken ref, or the ref prefix whose listing failed. */
  ref?: string
  /** NOT_FOUND: the object is missing; CORRUPT: it does not re-hash or parse; other codes: it could not be read. */
  code: string
  message: string
  /** Every ref that reaches the broken object. */
  refs: string[]
}

export interface VerifyOptions {
  /** Also re-hash every data file, parse its Parquet footer and check its row count. */
  full?: boolean
  /** Called as objects are checked (the CLI draws progress from it on a TTY). */
  onProgress?: (checked: number) => void
}

export interface VerifyResult {
  ok: boolean
  full: boolean
  refs: number
  snapshots: number
  tables: number
  manifests: number
  dataFiles: number
  /** Stored objects nothing reaches from a ref, a staged change or another object: information, not a problem. */
  dangling: number
  /** Objects only the workspace's staged changes hold (data files not yet committed): neither live history nor dangling. */
  staged: number
  /** Snapshots retention expired (format-spec/retention.md): their commits are checked, their tables are not (gc may have deleted them). */
  expired: number
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

/** A read that failed because the object is absent (context.ts reports those as CORRUPT with a NOT_FOUND cause). */
function isMissing(e: unknown): boolean {
  return e instanceof DvError && (e.code === 'NOT_FOUND' || (e.cause instanceof DvError && e.cause.code === 'NOT_FOUND'))
}

/** `stagedObjects`: the data files the workspace's staged changes add (counted apart from dangling objects). */
export async function verifyRepository(ctx: RepoContext, options: VerifyOptions = {}, stagedObjects: ReadonlySet<string> = new Set()): Promise<VerifyResult> {
  const full = options.full === true
  const result: VerifyResult = {
    ok: true, full, refs: 0, snapshots: 0, tables: 0, manifests: 0, dataFiles: 0, dangling: 0, staged: 0, expired: 0, problems: [], temporary: { bytes: 0, entries: [] },
  }
  const rootsOf = new Map<string, string[]>() // snapshot -> the refs naming it
  const referrers = new Map<string, Set<string>>() // object -> the objects naming it
  const seen = new Set<string>()
  const broken: Array<{ id: string; kind: VerifiedKind; error: unknown }> = []
  for (const prefix of [BRANCH_PREFIX, TAG_PREFIX]) {
    try {
      for (const r of await ctx.storage.refs.list(prefix)) {
        result.refs++
        rootsOf.set(r.value.snapshot, [...(rootsOf.get(r.value.snapshot) ?? []), r.name])
      }
    } catch (e) {
      result.problems.push({ ref: prefix, code: e instanceof DvError ? e.code : 'INTERNAL', message: (e as Error).message, refs: [] })
    }
  }
  const link = (from: string, to: string): void => {
    const set = referrers.get(to) ?? new Set<string>()
    set.add(from)
    referrers.set(to, set)
  }
  const check = async (id: string, kind: VerifiedKind, what: () => Promise<void>): Promise<void> => {
    if (seen.has(id)) return
    seen.add(id)
    try {
      await what()
    } catch (e) {
      broken.push({ id, kind, error: e })
    }
    options.onProgress?.(seen.size)
  }
  const checkData = async (file: DataFile): Promise<void> => {
    if (!full) {
      if ((await ctx.storage.objects.size(file.id)) === undefined) {
        throw new DvError('NOT_FOUND', `data file ${file.id} is missing from the object store`)
      }
      return
    }
    const path = await dataFilePath(ctx, file.id as ObjectId)
    const engine = await ctx.engine()
    await engine.readBack([{ path, temporary: false, rows: file.rows, bytes: file.bytes, partition: file.partition, columns: file.columns }])
  }

  /** A chain of versions a ref names (settings, expiry records): each read and parsed, back to the first. */
  const chainObjects = new Set<string>()
  const checkChain = async (ref: string, kind: VerifiedKind, parentOf: (id: string) => Promise<string | null>): Promise<void> => {
    let next: string | null = null
    try {
      next = (await ctx.storage.refs.get(ref))?.snapshot ?? null
      if (next !== null) rootsOf.set(next, [ref])
    } catch (e) {
      result.problems.push({ ref, code: e instanceof DvError ? e.code : 'INTERNAL', message: (e as Error).message, refs: [] })
    }
    while (next !== null && !seen.has(next)) {
      const id: string = next
      next = null
      chainObjects.add(id)
      await check(id, kind, async () => {
        const parent = await parentOf(id)
        if (parent !== null) link(id, parent)
        next = parent
      })
    }
  }
  // snapshots retention expired and no ref names: their data may be gone, and that is not damage
  const expired = new Set<string>()
  let current = true // the record the ref names lists every expiry so far
  await checkChain(EXPIRY_REF, 'expiry', async (id) => {
    const record = parseExpiry(await ctx.storage.objects.get(id as ObjectId), `expiry record ${id}`)
    if (current) for (const s of Object.keys(record.expired)) if (!rootsOf.has(s)) expired.add(s)
    current = false
    return record.parent
  })
  const stack: SnapshotId[] = [...rootsOf.keys()].filter((id) => !chainObjects.has(id)) as SnapshotId[]
  while (stack.length) {
    const id = stack.pop()!
    await check(id, 'snapshot', async () => {
      const snap = await readSnapshot(ctx, id)
      result.snapshots++
      for (const p of snap.parents) link(id, p)
      stack.push(...snap.parents)
      if (expired.has(id)) {
        result.expired++
        return
      }
      for (const tableId of Object.values(snap.tables)) {
        link(id, tableId)
        await check(tableId, 'table', async () => {
          const table = await readTableMetadata(ctx, tableId)
          result.tables++
          for (const m of table.manifests) {
            link(tableId, m.id)
            await check(m.id, 'manifest', async () => {
              const manifest = await readManifest(ctx, m.id)
              result.manifests++
              for (const f of manifest.files) {
                link(m.id, f.id)
                await check(f.id, 'data', async () => {
                  await checkData(f)
                  result.dataFiles++
                })
              }
            })
          }
        })
      }
    })
  }
  // the repository settings (format-spec/settings.md): the current object and the versions it names, back to the first
  await checkChain(SETTINGS_REF, 'settings', async (id) => parseSettings(await ctx.storage.objects.get(id as ObjectId), `settings ${id}`).parent)
  for (const b of broken) {
    const code = isMissing(b.error) ? 'NOT_FOUND' : b.error instanceof DvError ? b.error.code : 'INTERNAL'
    result.problems.push({ object: b.id, kind: b.kind, code, message: (b.error as Error).message, refs: refsReaching(b.id, referrers, rootsOf) })
  }
  for await (const id of ctx.storage.objects.list('')) {
    if (seen.has(id)) continue
    if (stagedObjects.has(id)) result.staged++
    else result.dangling++
  }
  result.ok = result.problems.length === 0
  return result
}

/** Every ref from which `id` is reachable: walk the referrers up to the snapshots refs name. */
function refsReaching(id: string, referrers: Map<string, Set<string>>, rootsOf: Map<string, string[]>): string[] {
  const refs = new Set<string>()
  const seen = new Set<string>([id])
  const queue = [id]
  while (queue.length) {
    const at = queue.pop()!
    for (const r of rootsOf.get(at) ?? []) refs.add(r)
    for (const up of referrers.get(at) ?? []) {
      if (seen.has(up)) continue
      seen.add(up)
      queue.push(up)
    }
  }
  return [...refs].sort()
}
