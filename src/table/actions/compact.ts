/**
 * `dv compact TABLE` (Repository.compact): the small data files of each
 * partition written again as files near a target size, in one commit whose
 * rows are unchanged (operation `replace`, format-spec/snapshot.md#kinds).
 * Like a schema change it is a commit of its own, never staged, and refused
 * while the table has staged changes (they were planned against the files it
 * replaces). It rebases over concurrent appends, schema changes and key
 * changes (the new files carry field ids, so they read like the old ones),
 * and conflicts only when a concurrent commit removed one of its files
 * (a delete, an overwrite, another compaction): file-removed.
 * `--sort-by` orders each partition's rows, so the new files' statistics
 * prune well; `--where` limits it to the files that may hold matching rows.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { CommitResult } from '../../api-types.js'
import { DvError } from '../../errors.js'
import { isPrimitive } from '../../format/index.js'
import type { TableMetadata } from '../../format/types.js'
import { asTableName } from '../../ids.js'
import type { PendingChange, RemovedFile } from '../changes.js'
import { commitChanges } from '../commit.js'
import { readSnapshot } from '../context.js'
import { scanFiles, tableAt } from '../read.js'
import { partitionKey, planScan, type PlannedFile } from '../scan-plan.js'
import { publishFiles } from '../write.js'
import { checkCommitMessage } from './commit.js'
import { branchHead, targetBranch, type ActionContext } from './context.js'

export const DEFAULT_COMPACT_TARGET = 128 * 1024 * 1024
/** Files below this share of the target are small (Iceberg's rewrite_data_files uses 75% too). */
const SMALL_SHARE = 0.75

export interface CompactOptions {
  branch?: string
  /** Bytes per output file (default 128 MiB); files below 75% of it are compacted. */
  targetSize?: number
  /** Only files that may hold rows matching this predicate (by their statistics). */
  where?: string
  /** Order each partition's rows by these top-level columns; every file of a partition is rewritten. */
  sortBy?: string[]
  /** List what would be rewritten, and write nothing. */
  dryRun?: boolean
  message?: string
  author?: string
  /** Aborts the compaction (Ctrl-C): nothing is committed, temporary files are removed. Once the ref update started, it lands. */
  signal?: AbortSignal
}

export interface CompactResult {
  table: string
  branch: string
  /** Partitions rewritten (a table without partitions has one). */
  partitions: number
  filesRemoved: number
  filesAdded: number
  rows: number
  bytesBefore: number
  bytesAfter: number
  /** null: nothing to compact, or a dry run. */
  commit: CommitResult | null
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 }

/** A size as users write it: 128MB, 1.5GiB, 512kb, 1048576 (units of 1024, as DuckDB and Spark read them). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const unit = m ? SIZE_UNITS[(m[2] || 'b').toLowerCase()] : undefined
  if (!m || unit === undefined) {
    throw new DvError('INVALID_ARGUMENT', `cannot parse size '${text}'`, { hint: 'write a number and a unit (B, KB, MB, GB), e.g. 128MB or 1GB', details: { value: text } })
  }
  return Math.round(Number(m[1]) * unit)
}

function invalid(message: string, hint?: string, details?: Record<string, unknown>): DvError {
  return new DvError('INVALID_ARGUMENT', message, { hint, details })
}

function checkOptions(meta: TableMetadata, name: string, options: CompactOptions): void {
  const target = options.targetSize ?? DEFAULT_COMPACT_TARGET
  if (!Number.isSafeInteger(target) || target < 1024 * 1024) {
    throw invalid(`--target-size must be at least 1MB, not ${String(options.targetSize)}`, 'e.g. --target-size 128MB', { targetSize: options.targetSize })
  }
  for (const col of options.sortBy ?? []) {
    const field = meta.schema.fields.find((f) => f.name === col)
    if (!field) throw invalid(`cannot sort table '${name}' by '${col}': no such column`, `columns: ${meta.schema.fields.map((f) => f.name).join(', ')}`, { column: col })
    if (!isPrimitive(field.type)) throw invalid(`cannot sort table '${name}' by '${col}': it is a nested column`, 'sort by top-level columns of primitive types', { column: col })
  }
  if (options.sortBy && new Set(options.sortBy).size !== options.sortBy.length) throw invalid('--sort-by names a column twice')
  if (options.sortBy?.length === 0) throw invalid('--sort-by needs at least one column', 'e.g. --sort-by ts')
}

/** The groups to rewrite: per partition, the small files (every file with sortBy), where there is something to gain. */
function groupsToRewrite(files: PlannedFile[], target: number, sorting: boolean): PlannedFile[][] {
  const groups = new Map<string, PlannedFile[]>()
  for (const f of files) {
    if (!sorting && f.file.bytes >= target * SMALL_SHARE) continue
    const key = partitionKey(f.file.partition)
    const group = groups.get(key)
    if (group) group.push(f)
    else groups.set(key, [f])
  }
  return [...groups.values()].filter((g) => g.length >= 2 || (sorting && g.length === 1 && g[0]!.file.rows > 1))
}

export async function compactTable(ctx: ActionContext, table: string, options: CompactOptions = {}): Promise<CompactResult> {
  const name = asTableName(table)
  if (options.message !== undefined) checkCommitMessage(options.message)
  const branch = await targetBranch(ctx, options.branch)
  const headId = await branchHead(ctx, branch)
  const { id: tableId, table: meta } = await tableAt(ctx, await readSnapshot(ctx, headId), headId, name)
  checkOptions(meta, name, options)
  const staged = ctx.workspace ? await ctx.workspace.listStaged(branch) : []
  if (staged.some((c) => c.table === name)) {
    throw invalid(`table '${name}' has staged changes on branch '${branch}'; a compaction is a commit of its own`,
      'commit the staged changes with `dv commit -m ...` (or discard them) first, then compact', { table: name, branch })
  }
  const target = options.targetSize ?? DEFAULT_COMPACT_TARGET
  const predicates = options.where !== undefined ? await (await ctx.engine()).analyzePredicate(options.where, meta.schema) : []
  const groups = groupsToRewrite((await planScan(ctx, meta, predicates)).files, target, options.sortBy !== undefined)
  const removes: RemovedFile[] = groups.flat().map(({ file, manifest }) => ({ id: file.id, rows: file.rows, bytes: file.bytes, manifest }))
  const result: CompactResult = {
    table: name, branch, partitions: groups.length, filesRemoved: removes.length, filesAdded: 0,
    rows: removes.reduce((n, r) => n + r.rows, 0), bytesBefore: removes.reduce((n, r) => n + r.bytes, 0), bytesAfter: 0, commit: null,
  }
  if (groups.length === 0 || options.dryRun) return result

  // what writes killed before they could clean up left (store/owner.ts): never a running write's
  await ctx.temp.sweep()
  const signal = options.signal
  signal?.throwIfAborted()
  await mkdir(ctx.tmpDir, { recursive: true })
  const outDir = await mkdtemp(join(ctx.tmpDir, 'compact-'))
  const engine = await ctx.engine()
  const interrupt = () => engine.interrupt()
  signal?.addEventListener('abort', interrupt, { once: true })
  try {
    const files = []
    for (const [i, group] of groups.entries()) {
      // the engine reads while the files' hashes are checked; nothing is published before every one matched,
      // and a file that fails its check explains an engine failure better than the engine does
      const { files: scan, verified } = await scanFiles(ctx, group)
      const written = await engine.compactFiles({
        files: scan, schema: meta.schema, partitionSpec: meta.partitionSpec,
        outDir: join(outDir, String(i)), targetFileBytes: target, sortBy: options.sortBy, tmpDir: ctx.tmpDir,
      }).catch(async (e: unknown) => {
        await verified
        throw e
      })
      await verified
      files.push(...(await publishFiles(ctx, written)))
    }
    // the same files again (a sorted partition sorted again): content addressing gives them the same ids
    const sortedIds = (list: Array<{ id: string }>) => list.map((f) => f.id).sort().join(',')
    if (sortedIds(files) === sortedIds(removes)) return { ...result, partitions: 0, filesRemoved: 0, rows: 0, bytesBefore: 0 }
    signal?.throwIfAborted()
    const change: PendingChange = {
      id: randomUUID(), table: name, mode: 'overwrite', createdMs: ctx.now(), creates: false, tableId: meta.tableId,
      baseSnapshot: headId, baseTable: tableId, baseLastColumnId: meta.lastColumnId,
      schema: meta.schema, lastColumnId: meta.lastColumnId, partitionSpec: meta.partitionSpec,
      files, removes, scope: { kind: 'none' }, compact: true,
    }
    const commit = await commitChanges(ctx, {
      branch, message: options.message ?? `compact ${name}: ${removes.length} ${removes.length === 1 ? 'file' : 'files'} into ${files.length}`,
      author: options.author ?? ctx.author, changes: [change], retry: ctx.retry,
      // the rows are the table's already: a contract has nothing new to check (a rule that fails on old rows
      // must not block the rewrite of their files)
      verify: false,
    })
    return { ...result, filesAdded: files.length, bytesAfter: files.reduce((n, f) => n + f.bytes, 0), commit }
  } catch (e) {
    // an interrupted statement fails with the engine's own error: the caller asked for the abort
    throw signal?.aborted ? signal.reason : e
  } finally {
    signal?.removeEventListener('abort', interrupt)
    await rm(outDir, { recursive: true, force: true })
  }
}
