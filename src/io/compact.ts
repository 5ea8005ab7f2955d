/**
 * compactFiles (`dv compact`): the rows of several data files of one
 * partition written again as few files near the target size. Each file is
 * read as the current schema, as scans read it (by field id: renamed columns
 * keep their data, columns added since read as null; one read_parquet per run
 * of files with the same column names), the union is ordered
 * by the sort columns when asked (DuckDB spills to disk beyond memory), and
 * one COPY writes it like a rewrite: zstd, field ids, statistics from the
 * writer, output well over the target split in order. Nothing is filtered,
 * so the row multiset is unchanged; the row count is checked before return.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { DvError } from '../errors.js'
import type { CompactRequest, WrittenFile } from './types.js'
import { Duck, quoteIdent, quoteLiteral } from './duck.js'
import { completeNestedFacts } from './nested-stats.js'
import { fieldIdsOption, splitInOrder, targetBytes, toWrittenFiles } from './parquet-copy.js'
import { factsFromCopyStats } from './written-stats.js'
import { filesRelation } from './scan.js'
import { splitPartitions } from './rewrite.js'

export async function compactFiles(duck: Duck, request: CompactRequest): Promise<WrittenFile[]> {
  const { schema, partitionSpec, files } = request
  if (files.length === 0) return []
  await mkdir(request.outDir, { recursive: true })
  await duck.useTempDirectory(join(request.tmpDir ?? request.outDir, 'duckdb-spill'))
  const target = targetBytes(request.targetFileBytes)
  const path = join(request.outDir, `dv-compact-${randomUUID()}.parquet`)
  const names = schema.fields.map((f) => quoteIdent(f.name)).join(', ')
  const order = request.sortBy?.length ? ` ORDER BY ${request.sortBy.map((c) => `${quoteIdent(c)} ASC NULLS LAST`).join(', ')}` : ''
  const written: string[] = [path]
  try {
    // one file, no FILE_SIZE_BYTES: DuckDB keeps the order only without rotation; oversized output is split after
    const rows = await duck.all(
      `COPY (SELECT ${names} FROM (${filesRelation(files, schema.fields)}) AS t${order}) TO ${quoteLiteral(path)} ` +
      `(FORMAT parquet, COMPRESSION zstd, ${fieldIdsOption(schema)}, RETURN_STATS true)`,
    )
    let facts = await splitInOrder(duck, factsFromCopyStats(rows, schema), schema, target)
    // files written under an older partition spec may span several partitions of the current one
    if (partitionSpec.length) facts = await splitPartitions(duck, facts, partitionSpec, schema, target)
    written.push(...facts.map((f) => f.path))
    const result = await toWrittenFiles(duck, await completeNestedFacts(duck, facts, schema), partitionSpec, schema)
    const expected = files.reduce((n, f) => n + f.rows, 0)
    const actual = result.reduce((n, f) => n + f.rows, 0)
    if (actual !== expected) {
      throw new DvError('CORRUPT', `compacting ${files.length} data files read ${actual} rows where their manifests list ${expected}`, {
        hint: 'nothing was committed; run `dv fsck --full` to find the damaged file',
        details: { expected, actual },
      })
    }
    return result
  } catch (e) {
    await Promise.all(written.map((p) => rm(p, { force: true })))
    throw e
  }
}
