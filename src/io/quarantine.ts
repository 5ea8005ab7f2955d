/**
 * Quarantine (format-spec/contracts.md#quarantine): the input of a write, as
 * writeParquet wrote it (the table's types), split by a contract's row
 * tests. The passing rows are rewritten copy-on-write like a delete drops
 * rows (rewrite.ts: files with no failing row are left alone, files with
 * only failing rows yield nothing); the failing rows are written ONCE more,
 * to the quarantine table's files, with the `_dv_*` columns. A row is
 * failing when any test's failingCondition (contract-checks.ts) is true,
 * so the two sides partition the input exactly.
 *
 * Every condition is dv's own SQL with the contract's values quoted as
 * literals: no user text is SQL. It runs in the ingest instance because the
 * input may be a file stored as-is, outside the sandbox's directories.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { DvError } from '../errors.js'
import type { Schema } from '../format/types.js'
import type { QuarantineRequest, QuarantineResult, WrittenFile } from './types.js'
import { Duck, quoteIdent, quoteLiteral, toDvError } from './duck.js'
import { toDuckType } from './duck-types.js'
import { failingCondition } from './contract-checks.js'
import { filesRelation } from './scan.js'
import { fieldIdsOption, splitInOrder, targetBytes, toWrittenFiles } from './parquet-copy.js'
import { completeNestedFacts } from './nested-stats.js'
import { factsFromCopyStats } from './written-stats.js'
import { rewriteFiles } from './rewrite.js'
import { fileRelation, type DropRule } from './rewrite-drop.js'

/** The quarantine columns dv fills (format-spec/contracts.md#quarantine-table). */
export const QUARANTINE_RULE = '_dv_rule'
export const QUARANTINE_REASON = '_dv_reason'
export const QUARANTINE_SOURCE = '_dv_source'
export const QUARANTINE_WRITE = '_dv_write'

function anyFailing(request: QuarantineRequest): string {
  return request.tests.map((t) => `(${failingCondition(t, request.schema)})`).join(' OR ') || 'false'
}

/** Drops the failing rows of each input file (what remains goes to the table). */
function failingDrop(duck: Duck, request: QuarantineRequest): DropRule {
  const failing = anyFailing(request)
  return {
    async count(file) {
      const [row] = await duck.all(`SELECT count(*) AS n FROM (${fileRelation(file, request.schema, false)}) AS t WHERE ${failing}`)
      return Number(row!.n)
    },
    keep: `NOT (${failing})`,
    rowNumbers: false,
    async release() {},
  }
}

/** `list_filter([CASE WHEN c1 THEN 'a' END, ...], x -> x IS NOT NULL)`: the labels of the tests a row fails, in contract order. */
function labelsOf(request: QuarantineRequest, labels: string[]): string {
  const items = request.tests.map((t, i) => `CASE WHEN ${failingCondition(t, request.schema)} THEN ${quoteLiteral(labels[i]!)} END`)
  return `list_filter([${items.join(', ')}]::VARCHAR[], x -> x IS NOT NULL)`
}

/** The failing rows of `files` as the quarantine table's columns, in its field order. */
function quarantineSelect(request: QuarantineRequest, files: QuarantineRequest['files']): string {
  const q = request.quarantine
  const own = new Set(request.schema.fields.map((f) => f.name))
  const columns = q.schema.fields.map((f) => {
    const as = quoteIdent(f.name)
    if (f.name === QUARANTINE_RULE) return `${labelsOf(request, request.rules)} AS ${as}`
    if (f.name === QUARANTINE_REASON) return `${labelsOf(request, request.reasons)} AS ${as}`
    if (f.name === QUARANTINE_SOURCE) return `${quoteLiteral(q.source)} AS ${as}`
    if (f.name === QUARANTINE_WRITE) return `${quoteLiteral(q.write)} AS ${as}`
    // a column the quarantine table has and this table does not (dropped, or from an older write): null
    return own.has(f.name) ? `CAST(${as} AS ${toDuckType(f.type)}) AS ${as}` : `CAST(NULL AS ${toDuckType(f.type)}) AS ${as}`
  })
  return `SELECT ${columns.join(', ')} FROM (${filesRelation(files, request.schema.fields)}) AS t WHERE ${anyFailing(request)}`
}

async function writeQuarantined(duck: Duck, request: QuarantineRequest, files: QuarantineRequest['files'], outDir: string): Promise<WrittenFile[]> {
  if (files.length === 0) return []
  const schema: Schema = request.quarantine.schema
  const path = join(outDir, `dv-quarantine-${randomUUID()}.parquet`)
  try {
    const rows = await duck.all(`COPY (${quarantineSelect(request, files)}) TO ${quoteLiteral(path)} (FORMAT parquet, COMPRESSION zstd, ${fieldIdsOption(schema)}, RETURN_STATS true)`)
    const facts = await splitInOrder(duck, factsFromCopyStats(rows, schema), schema, targetBytes(request.targetFileBytes))
    return await toWrittenFiles(duck, await completeNestedFacts(duck, facts, schema), [], schema)
  } catch (e) {
    await rm(path, { force: true })
    throw toDvError(e, `cannot write the quarantined rows of ${request.quarantine.source}`)
  }
}

export async function quarantineRows(duck: Duck, request: QuarantineRequest): Promise<QuarantineResult> {
  await mkdir(request.outDir, { recursive: true })
  const split = await rewriteFiles(duck, { files: request.files, schema: request.schema, partitionSpec: request.partitionSpec, outDir: request.outDir, tmpDir: request.tmpDir, targetFileBytes: request.targetFileBytes }, async () => failingDrop(duck, request))
  const touched = request.files.filter((_, i) => split.files[i]!.matched > 0)
  let quarantined: WrittenFile[]
  try {
    quarantined = await writeQuarantined(duck, request, touched, request.outDir)
  } catch (e) {
    await Promise.all(split.files.flatMap((f) => f.kept.map((k) => rm(k.path, { force: true }))))
    throw e
  }
  const failed = quarantined.reduce((n, f) => n + f.rows, 0)
  const matched = split.files.reduce((n, f) => n + f.matched, 0)
  if (failed !== matched) {
    await Promise.all([...quarantined, ...split.files.flatMap((f) => f.kept)].map((f) => rm(f.path, { force: true })))
    throw new DvError('INTERNAL', `${matched} input rows failed the contract's row rules but ${failed} were written to the quarantine table`, { details: { matched, failed } })
  }
  return { files: split.files, quarantined, byRule: await countByRule(duck, quarantined) }
}

/** Quarantined rows per rule name (a row that broke two rules counts under both), from the files as written. */
async function countByRule(duck: Duck, files: WrittenFile[]): Promise<Record<string, number>> {
  if (files.length === 0) return {}
  const paths = files.map((f) => quoteLiteral(f.path)).join(', ')
  const rows = await duck.all(`SELECT r, count(*) AS n FROM (SELECT unnest(${quoteIdent(QUARANTINE_RULE)}) AS r FROM read_parquet([${paths}])) AS u GROUP BY r ORDER BY r`)
  return Object.fromEntries(rows.map((row) => [String(row.r), Number(row.n)]))
}
