/**
 * rewriteFiles: copy-on-write of data files without the rows a delete,
 * overwrite --where or upsert drops. Per file, a first query reads only the
 * columns the drop rule needs and counts the matching rows; files with none
 * are left alone (nothing written) and files with only matches are dropped
 * whole, so only partially matching files pay for a second query that COPYs
 * the kept rows, in file order, as the current schema (names and field ids),
 * zstd, with statistics from the writer like writeParquet. Dropped rows
 * never reach the writer, so a rewrite costs about a COPY of the file.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, readdir, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { DvError } from '../errors.js'
import type { PartitionField, Schema } from '../format/types.js'
import type { RewriteRequest, RewriteResult, ScanFile, WrittenFile } from './types.js'
import { Duck, isRowNumberClash, quoteIdent, quoteLiteral } from './duck.js'
import { isSinglePartition, partitionExpression, partitionSource } from './partition.js'
import { completeNestedFacts } from './nested-stats.js'
import { fieldIdsOption, sortFacts, splitInOrder, splitOversized, targetBytes, toWrittenFiles } from './parquet-copy.js'
import { factsFromCopyStats, type FileFacts } from './written-stats.js'
import { fileRelation, rewriteError, type DropRule } from './rewrite-drop.js'

type FileResult = RewriteResult['files'][number]

/**
 * `prepare` builds the drop rule on `duck`: the engine passes the sandbox
 * for a predicate, the ingest instance (which opened the source) for keys.
 */
export async function rewriteFiles(duck: Duck, request: Omit<RewriteRequest, 'drop'>, prepare: () => Promise<DropRule>): Promise<RewriteResult> {
  const { schema, partitionSpec } = request
  for (const spec of partitionSpec) partitionSource(spec, schema)
  await mkdir(request.outDir, { recursive: true })
  await duck.useTempDirectory(join(request.tmpDir ?? request.outDir, 'duckdb-spill'))
  const drop = await prepare()
  const written: string[] = []
  try {
    const files: FileResult[] = []
    for (const file of request.files) {
      const result = await rewriteFile(duck, file, request, drop)
      written.push(...result.kept.map((f) => f.path))
      files.push(result)
    }
    return { files }
  } catch (e) {
    await Promise.all(written.map((p) => rm(p, { force: true })))
    throw e
  } finally {
    await drop.release()
  }
}

async function rewriteFile(duck: Duck, file: ScanFile, request: Omit<RewriteRequest, 'drop'>, drop: DropRule): Promise<FileResult> {
  if (file.rows === 0) return { matched: 0, kept: [] }
  let matched: number
  try {
    matched = await drop.count(file)
  } catch (e) {
    throw rewriteError(e, file)
  }
  if (matched === 0) return { matched: 0, kept: [] }
  if (matched >= file.rows) return { matched: file.rows, kept: [] }
  const kept = await copyKept(duck, file, request, drop)
  const keptRows = kept.reduce((n, f) => n + f.rows, 0)
  if (keptRows + matched !== file.rows) {
    await Promise.all(kept.map((f) => rm(f.path, { force: true })))
    throw new DvError('INVALID_ARGUMENT', `data file ${file.path} has ${file.rows} rows but ${matched} matched and ${keptRows} were kept`, {
      hint: "the predicate must give the same answer on every read (no random() or now()); otherwise run dv fsck",
      details: { file: file.path, rows: file.rows, matched, kept: keptRows },
    })
  }
  return { matched, kept }
}

async function copyKept(duck: Duck, file: ScanFile, request: Omit<RewriteRequest, 'drop'>, drop: DropRule): Promise<WrittenFile[]> {
  const { schema, partitionSpec } = request
  const target = targetBytes(request.targetFileBytes)
  const path = join(request.outDir, `dv-rewrite-${randomUUID()}.parquet`)
  const names = schema.fields.map((f) => quoteIdent(f.name)).join(', ')
  // One file, no FILE_SIZE_BYTES: DuckDB keeps row order only without rotation; oversized output is split after.
  const copy = (windowed: boolean) =>
    `COPY (SELECT ${names} FROM (${fileRelation(file, schema, drop.rowNumbers, windowed)}) AS t WHERE ${drop.keep}) ` +
    `TO ${quoteLiteral(path)} (FORMAT parquet, COMPRESSION zstd, ${fieldIdsOption(schema)}, RETURN_STATS true)`
  try {
    let rows
    try {
      rows = await duck.all(copy(false))
    } catch (e) {
      if (!drop.rowNumbers || !isRowNumberClash(e)) throw e
      rows = await duck.all(copy(true))
    }
    let facts = await splitInOrder(duck, factsFromCopyStats(rows, schema), schema, target)
    if (partitionSpec.length) facts = await splitPartitions(duck, facts, partitionSpec, schema, target)
    return await toWrittenFiles(duck, await completeNestedFacts(duck, facts, schema), partitionSpec, schema)
  } catch (e) {
    await removePieces(path)
    throw rewriteError(e, file)
  }
}

async function removePieces(path: string): Promise<void> {
  const dir = dirname(path)
  const name = basename(path, '.parquet')
  const names = await readdir(dir).catch(() => [] as string[])
  await Promise.all(names.filter((n) => n.startsWith(name)).map((n) => rm(join(dir, n), { recursive: true, force: true })))
}

/**
 * The rows of a data file share its partition, so the kept rows are written
 * without PARTITION_BY (which would not keep their order). A file written
 * under an older partition spec may span several partitions of the current
 * one: only then is it split by partition.
 */
export async function splitPartitions(duck: Duck, facts: FileFacts[], spec: PartitionField[], schema: Schema, target: number): Promise<FileFacts[]> {
  const result: FileFacts[] = []
  for (const f of facts) {
    if (f.rows === 0 || isSinglePartition(f, spec, schema)) {
      result.push(f)
      continue
    }
    const cols = spec.map((p, i) => `${partitionExpression(p, partitionSource(p, schema))} AS ${quoteIdent(`__dv_p${i}`)}`)
    const by = spec.map((_, i) => quoteIdent(`__dv_p${i}`)).join(', ')
    const rows = await duck.all(
      `COPY (SELECT *, ${cols.join(', ')} FROM read_parquet(${quoteLiteral(f.path)})) TO ${quoteLiteral(`${f.path}.parts`)} ` +
      `(FORMAT parquet, COMPRESSION zstd, ${fieldIdsOption(schema)}, PARTITION_BY (${by}), RETURN_STATS true)`,
    )
    await rm(f.path, { force: true })
    result.push(...(await splitOversized(duck, sortFacts(factsFromCopyStats(rows, schema)), schema, target)))
  }
  return result
}
