/**
 * Key-level merge of the partitions of a keyed table that both sides
 * changed (format-spec/merge.md#keyed-tables). Reads only the data files
 * either side removed or added there, through the engine's scan (the sandbox,
 * as `dv diff --rows` does), pairs the rows by key, decides each key with
 * mergeKeyedRows (pure), and writes the winners as new data files with the
 * same Parquet writer a write uses. The rows of the touched files are held
 * in memory: the cost follows the conflicting change, not the table.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { RecordBatch } from 'apache-arrow'
import type { KeyConflict, MergeConflict, MergeStrategy } from '../api-types.js'
import type { DataFile, PartitionField, Schema } from '../format/types.js'
import type { RepoContext } from './context.js'
import type { RemovedFile } from './changes.js'
import { keyColumns } from './keys.js'
import { namedPartition, type KeyedPartitions, type TableOutcome } from './merge.js'
import { scanFiles } from './read.js'
import { multisetDifference } from './delta.js'
import type { PlannedFile } from './scan-plan.js'
import { publishFiles } from './write.js'

/** Keys shown per table in a conflict report. */
const REPORTED_KEYS = 10

/** A row as compared: its JSON text, and where it lives (to write it back without converting values). */
export interface KeyedRow {
  key: string
  json: string
  batch: number
  index: number
}

export type KeyVerdict = { take: KeyedRow | null } | { conflict: true }

/** One key's three-way rule: the side that changed the row wins; the same change on both is taken once. Pure. */
export function mergeKey(base: KeyedRow | undefined, ours: KeyedRow | undefined, theirs: KeyedRow | undefined, strategy?: MergeStrategy): KeyVerdict {
  const same = (a: KeyedRow | undefined, b: KeyedRow | undefined) => (a?.json ?? null) === (b?.json ?? null)
  if (same(ours, base)) return { take: theirs ?? null }
  if (same(theirs, base) || same(ours, theirs)) return { take: ours ?? null }
  if (strategy) return { take: (strategy === 'ours' ? ours : theirs) ?? null }
  return { conflict: true }
}

/**
 * Decides the keyed partitions of `outcomes` (combine outcomes whose
 * `keyed` is set): when `write`, adds the touched files of ours to the
 * outcome's removes and the merged rows, written anew, to its adds. Returns
 * the tables whose keys conflict.
 */
export async function mergeKeyedPartitions(ctx: RepoContext, outcomes: TableOutcome[], write: boolean): Promise<{ conflicts: MergeConflict[] }> {
  const conflicts: MergeConflict[] = []
  for (const o of outcomes) {
    if (o.kind !== 'combine' || o.keyed === null) continue
    const merged = await mergeTable(ctx, o.next.schema, keyColumns(o.next), o.keyed)
    if (merged.conflicts.length) {
      conflicts.push({
        table: o.table, rule: 'key-conflict',
        message: `both sides changed ${merged.conflicts.length === 1 ? 'a key' : `${merged.conflicts.length} keys`} differently`,
        partitions: o.keyed.partitions.map((p) => namedPartition(o.next.partitionSpec, p)),
        keys: merged.conflicts.slice(0, REPORTED_KEYS), keyCount: merged.conflicts.length,
      })
      continue
    }
    if (!write) continue
    o.removes.push(...merged.removes)
    o.adds.push(...(await writeRows(ctx, o.next.schema, o.next, merged.batches, merged.winners)))
  }
  return { conflicts }
}

interface TableMergeResult {
  conflicts: KeyConflict[]
  removes: RemovedFile[]
  batches: RecordBatch[]
  winners: KeyedRow[]
}

async function mergeTable(ctx: RepoContext, schema: Schema, key: string[], k: KeyedPartitions): Promise<TableMergeResult> {
  // the base rows either side touched; what each side holds in their place
  const baseFiles = dedupe([...k.ours.removed, ...k.theirsFiles.removed])
  const [theirsOnlyRemoved, oursOnlyRemoved] = multisetDifference(k.theirsFiles.removed, k.ours.removed, (f) => f.file.id)
  const oursFiles = [...k.ours.added, ...theirsOnlyRemoved]
  const theirsFiles = [...k.theirsFiles.added, ...oursOnlyRemoved]
  const batches: RecordBatch[] = []
  const [base, ours, theirs] = [await readRows(ctx, schema, key, baseFiles, batches), await readRows(ctx, schema, key, oursFiles, batches), await readRows(ctx, schema, key, theirsFiles, batches)]
  const conflicts: KeyConflict[] = []
  const winners: KeyedRow[] = []
  for (const id of new Set([...base.keys(), ...ours.keys(), ...theirs.keys()])) {
    const [b, o, t] = [base.get(id), ours.get(id), theirs.get(id)]
    const verdict = mergeKey(b, o, t, k.strategy)
    if ('conflict' in verdict) {
      const row = (r: KeyedRow | undefined) => (r ? (JSON.parse(r.json) as Record<string, unknown>) : null)
      const any = row(o ?? t ?? b)!
      conflicts.push({ key: Object.fromEntries(key.map((c) => [c, any[c]])), base: row(b), ours: row(o), theirs: row(t) })
    } else if (verdict.take) {
      winners.push(verdict.take)
    }
  }
  // ours' touched files are replaced by the merged rows
  const removes = oursFiles.map((f) => ({ id: f.file.id, rows: f.file.rows, bytes: f.file.bytes, manifest: f.manifest }))
  return { conflicts, removes, batches, winners }
}

function dedupe(files: PlannedFile[]): PlannedFile[] {
  return [...new Map(files.map((f) => [f.file.id, f])).values()]
}

/** JSON of a value as compared and reported: 64-bit integers as numbers when exact, else as text. */
function plain(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()
  return v
}

/** The rows of `files` read as `schema`, by key (a keyed table holds each key once per side). */
async function readRows(ctx: RepoContext, schema: Schema, key: string[], files: PlannedFile[], batches: RecordBatch[]): Promise<Map<string, KeyedRow>> {
  const rows = new Map<string, KeyedRow>()
  if (files.length === 0) return rows
  const { files: scan, verified } = await scanFiles(ctx, files)
  const engine = await ctx.engine()
  for await (const batch of engine.scanBatches({ files: scan, schema, tmpDir: ctx.tmpDir, ...(verified ? { verified } : {}) })) {
    const b = batches.push(batch) - 1
    for (let i = 0; i < batch.numRows; i++) {
      const value = batch.get(i)!.toJSON() as Record<string, unknown>
      const json = JSON.stringify(value, plain)
      const parsed = JSON.parse(json) as Record<string, unknown>
      const id = JSON.stringify(key.map((c) => parsed[c]))
      rows.set(id, { key: id, json, batch: b, index: i })
    }
  }
  return rows
}

/** Writes the winning rows (slices of the batches they were read in, so values keep their types) as data files. */
async function writeRows(ctx: RepoContext, schema: Schema, table: { partitionSpec: PartitionField[] }, batches: RecordBatch[], winners: KeyedRow[]): Promise<DataFile[]> {
  if (winners.length === 0) return []
  const order = [...winners].sort((a, b) => a.batch - b.batch || a.index - b.index)
  async function* slices(): AsyncGenerator<RecordBatch> {
    for (let i = 0; i < order.length;) {
      let j = i + 1
      while (j < order.length && order[j]!.batch === order[i]!.batch && order[j]!.index === order[j - 1]!.index + 1) j++
      yield batches[order[i]!.batch]!.slice(order[i]!.index, order[j - 1]!.index + 1)
      i = j
    }
  }
  const engine = await ctx.engine()
  const outDir = await mkdtemp(join(ctx.tmpDir, 'merge-'))
  const source = await engine.openSource(slices(), { format: 'arrow', tmpDir: ctx.tmpDir })
  try {
    const written = await source.writeParquet({ schema, partitionSpec: table.partitionSpec, outDir })
    await engine.readBack(written)
    return await publishFiles(ctx, written)
  } finally {
    await source.close()
    await rm(outDir, { recursive: true, force: true })
  }
}
