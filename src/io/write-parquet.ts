/**
 * writeParquet: one DuckDB COPY from the input to zstd Parquet files whose
 * columns are the schema's fields (names and Parquet field ids), split by
 * partition (PARTITION_BY on synthetic columns that are not written) or by
 * size (FILE_SIZE_BYTES; DuckDB cannot combine both, so oversized partition
 * files are split again afterwards). An unpartitioned input no bigger than
 * the target is written as one file, keeping the input's row order. Statistics come from the writer itself
 * (RETURN_STATS), so no file is read back.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { DvError } from '../errors.js'
import type { WriteParquetOptions, WrittenFile } from './types.js'
import { Duck, duckLine, quoteIdent, quoteLiteral, toDvError } from './duck.js'
import { partitionExpression, partitionSource } from './partition.js'
import { explainReadError, readerSql, type DuckColumn, type ReadableFile } from './readers.js'
import { factsFromCopyStats } from './written-stats.js'
import { storeAsIs } from './as-is.js'
import { planColumns } from './input-plan.js'
import { checkRequired, fieldIdsOption, fileSizeOption, sortFacts, splitInOrder, splitOversized, targetBytes, toWrittenFiles } from './parquet-copy.js'

export { DEFAULT_TARGET_FILE_BYTES } from './parquet-copy.js'

export interface WriteInput {
  file: ReadableFile
  columns: DuckColumn[]
  /** The caller's own file: never modified or deleted. */
  userFile: boolean
  bytes: number | undefined
  tmpDir: string
}

const PARTITIONED_MEMORY_LIMIT = '2GB'
const PARTITIONED_MAX_OPEN_FILES = 1000

export async function writeSourceParquet(duck: Duck, input: WriteInput, options: WriteParquetOptions): Promise<WrittenFile[]> {
  const { schema, partitionSpec } = options
  const plan = planColumns(input, schema)
  for (const spec of partitionSpec) partitionSource(spec, schema)
  // a 0-byte input has no columns and no rows: nothing to write
  if (input.columns.length === 0) return []
  if (plan.exact && input.userFile && input.file.format === 'parquet') {
    const asIs = await storeAsIs(duck, input.file, input.columns, schema, partitionSpec)
    if (asIs) return [asIs]
  }
  await mkdir(options.outDir, { recursive: true })
  const dir = join(options.outDir, `dv-write-${randomUUID()}`)
  const target = targetBytes(options.targetFileBytes)
  const fieldIds = fieldIdsOption(schema)
  const partitionCols = partitionSpec.map((spec, i) => `${partitionExpression(spec, partitionSource(spec, schema))} AS ${quoteIdent(`__dv_p${i}`)}`)
  const inner = `SELECT ${plan.select.join(', ')} FROM ${readerSql(input.file, input.columns, plan.overrides)}`
  const query = partitionCols.length ? `SELECT *, ${partitionCols.join(', ')} FROM (${inner})` : inner
  // An input no bigger than the target is written as one file without FILE_SIZE_BYTES, the only way DuckDB keeps row order.
  const single = !partitionCols.length && input.bytes !== undefined && input.bytes <= target
  const split = partitionCols.length
    ? `, PARTITION_BY (${partitionSpec.map((_, i) => quoteIdent(`__dv_p${i}`)).join(', ')})`
    : single ? '' : `, ${fileSizeOption(target)}`
  if (single) await mkdir(dir)
  const to = single ? join(dir, 'data_0.parquet') : dir
  const sql = `COPY (${query}) TO ${quoteLiteral(to)} (FORMAT parquet, COMPRESSION zstd, ${fieldIds}${split}, RETURN_STATS true)`
  let rows
  // PARTITION_BY keeps a buffer per open partition: thousands of partitions need
  // more than the default limit (peak RSS stays far below it: bench/README.md)
  const limitBefore = partitionCols.length ? String((await duck.all(`SELECT current_setting('memory_limit') AS v`))[0].v) : undefined
  if (limitBefore !== undefined) {
    await duck.run(`SET memory_limit = '${PARTITIONED_MEMORY_LIMIT}'`)
    // DuckDB's default of 100 open partition files splits a 365-day write into ~3 files per day;
    // node raises its own file-descriptor limit to the hard limit at start-up
    await duck.run(`SET partitioned_write_max_open_files = ${PARTITIONED_MAX_OPEN_FILES}`)
  }
  try {
    rows = await duck.allWithProgress(sql, (processed, pct) => {
      options.onProgress?.({ rows: processed, bytesRead: input.bytes === undefined ? undefined : Math.round((input.bytes * pct) / 100) })
    })
  } catch (e) {
    await rm(dir, { recursive: true, force: true })
    throw await explainWriteError(e, input, duck)
  } finally {
    if (limitBefore !== undefined) await duck.run(`SET memory_limit = ${quoteLiteral(limitBefore)}`).catch(() => undefined)
  }
  let facts = sortFacts(factsFromCopyStats(rows, schema))
  if (partitionCols.length) facts = await splitOversized(duck, facts, schema, target)
  else if (single) facts = await splitInOrder(duck, facts, schema, target)
  checkRequired(facts, schema, input.file.name)
  const written = await toWrittenFiles(duck, facts, partitionSpec, schema)
  options.onProgress?.({ rows: written.reduce((n, f) => n + f.rows, 0), bytesRead: input.bytes })
  return written
}

/**
 * Names the line and column of a failed conversion when DuckDB says them; for
 * NDJSON, which names only the line, `duck` finds the column whose value on
 * that line does not fit the table's type.
 */
export async function explainWriteError(e: unknown, input: { file: ReadableFile; columns?: DuckColumn[] }, duck?: Duck): Promise<DvError> {
  const text = e instanceof Error ? e.message : String(e)
  const line = duckLine(e)
  const column = /converting column "([^"]+)"/.exec(text)?.[1] ?? /source column (\S+)/.exec(text)?.[1] ?? /dv column '([^']+)'/.exec(text)?.[1] ??
    (duck && line !== undefined && input.file.format === 'ndjson' ? await jsonOffender(duck, input, line).catch(() => undefined) : undefined)
  if (/^(Conversion|Invalid Input) Error/.test(text) && (line !== undefined || column !== undefined)) {
    const declared = column === undefined ? undefined : input.columns?.find((c) => c.name === column && c.typed)
    const where = [line !== undefined ? `line ${line}` : '', column !== undefined ? `column '${column}'` : ''].filter(Boolean).join(', ')
    if (declared) {
      // read as the table's type: say both types (the input's is text) and where the value is
      return toDvError(e, `cannot write ${input.file.name} (${where}): a value does not fit the table's type ${declared.type}`, {
        hint: `fix or remove the value, or write it to a column of another type; the table reads '${column}' as ${declared.type}`,
        details: { file: input.file.name, line, column, inputType: input.file.format === 'csv' ? 'text' : 'json', tableType: declared.type },
      })
    }
    return toDvError(e, `cannot write ${input.file.name} (${where})`, {
      hint: /Expected Number of Columns/.test(text)
        ? 'fix the row (quote values that contain commas) or remove it, then retry'
        : 'fix or remove the offending value; column types were detected from a sample of the input',
      details: { file: input.file.name, line, column },
    })
  }
  if (/sniffing file|Expected Number of Columns/.test(text)) return explainReadError(e, input.file)
  return toDvError(e, `cannot write ${input.file.name} as parquet`, { details: { file: input.file.name } })
}

/** The first typed column whose value on NDJSON line `line` does not cast to its type (the values read as text). */
async function jsonOffender(duck: Duck, input: { file: ReadableFile; columns?: DuckColumn[] }, line: number): Promise<string | undefined> {
  const typed = (input.columns ?? []).filter((c) => c.typed)
  if (!typed.length) return undefined
  const asText = Object.fromEntries(typed.map((c) => [c.name, 'VARCHAR']))
  const checks = typed.map((c, i) => `(${quoteIdent(c.name)} IS NOT NULL AND TRY_CAST(${quoteIdent(c.name)} AS ${c.duckType}) IS NULL) AS bad${i}`)
  const reader = readerSql(input.file, input.columns, asText)
  const [row] = await duck.all(`SELECT ${checks.join(', ')} FROM (SELECT row_number() OVER () AS __dv_rn, * FROM ${reader}) AS i WHERE __dv_rn = ${line}`)
  const index = typed.findIndex((_, i) => row?.[`bad${i}`] === true)
  return index >= 0 ? typed[index]!.name : undefined
}
