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
import { DvError } from '../errors.js'
import type { WriteParquetOptions, WrittenFile } from './types.js'
import { Duck, duckLine, quoteIdent, quoteLiteral, toDvError } from './duck.js'
import { partitionExpression, partitionSource } from './partition.js'
import { explainReadError, explainTextDamage, readerSql, type DuckColumn, type ReadableFile } from './readers.js'
import { factsFromCopyStats } from './written-stats.js'
import { completeNestedFacts } from './nested-stats.js'
import { storeAsIs } from './as-is.js'
import { planColumns } from './input-plan.js'
import { engineLimits, explainLimitError } from './limits.js'
import { checkRequired, fieldIdsOption, fileSizeOption, sortFacts, splitInOrder, splitOversized, targetBytes, toWrittenFiles } from './parquet-copy.js'
import { meanRowBytes } from './row-estimate.js'

export { DEFAULT_TARGET_FILE_BYTES } from './parquet-copy.js'

export interface WriteInput {
  file: ReadableFile
  columns: DuckColumn[]
  /** The caller's own file: never modified or deleted. */
  userFile: boolean
  bytes: number | undefined
  tmpDir: string
}

/** PARTITION_BY keeps a buffer per open partition: at least this much memory, unless DV_MEMORY_LIMIT says otherwise. */
const PARTITIONED_MEMORY_BYTES = 2 ** 31
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
  const limits = engineLimits()
  const raise = partitionCols.length > 0 && !limits.memoryFromSetting && limits.memoryBytes < PARTITIONED_MEMORY_BYTES
  const limitBefore = partitionCols.length ? String((await duck.all(`SELECT current_setting('memory_limit') AS v`))[0].v) : undefined
  if (limitBefore !== undefined) {
    if (raise) await duck.run(`SET memory_limit = '${PARTITIONED_MEMORY_BYTES}B'`)
    // DuckDB's default of 100 open partition files splits a 365-day write into ~3 files per day;
    // node raises its own file-descriptor limit to the hard limit at start-up
    await duck.run(`SET partitioned_write_max_open_files = ${PARTITIONED_MAX_OPEN_FILES}`)
  }
  try {
    // the engine's progress is a share of the input it has read (its row counts are not the input's rows);
    // rows are estimated from the input's mean line length (row-estimate.ts)
    const rowBytes = options.onProgress && input.bytes !== undefined ? await meanRowBytes(input.file) : undefined
    rows = await duck.allWithProgress(sql, (pct) => {
      const bytesRead = input.bytes === undefined ? undefined : Math.round((input.bytes * pct) / 100)
      const estimate = rowBytes !== undefined && bytesRead !== undefined ? Math.floor(bytesRead / rowBytes) : undefined
      options.onProgress?.(estimate === undefined ? { rows: 0, bytesRead } : { rows: estimate, rowsEstimated: true, bytesRead })
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
  facts = await completeNestedFacts(duck, facts, schema)
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
  const limit = explainLimitError(e, input.file.name)
  if (limit) return limit
  const damaged = await explainTextDamage(e, input.file)
  if (damaged) return damaged
  const miss = sampleMiss(text, input.file)
  const line = duckLine(e)
  const column = /converting column "([^"]+)"/.exec(text)?.[1] ?? /source column (\S+)/.exec(text)?.[1] ?? /dv column '([^']+)'/.exec(text)?.[1] ??
    (duck && line !== undefined && input.file.format === 'ndjson' ? await jsonOffender(duck, input, line, failedValue(text)).catch(() => undefined) : undefined)
  const declared = column === undefined ? undefined : input.columns?.find((c) => c.name === column && c.typed)
  // a value that does not fit a type dv set (the table's) is the input's fault, not the sample's
  if (miss && !declared) return miss
  if ((miss || /^(Conversion|Invalid Input) Error/.test(text)) && (line !== undefined || column !== undefined)) {
    const where = [line !== undefined ? `line ${line}` : '', column !== undefined ? `column '${column}'` : ''].filter(Boolean).join(', ')
    const ragged = /Expected Number of Columns/.test(text)
    if (declared) {
      // read as the table's type: say both types (the input's is text) and where the value is
      return toDvError(e, `cannot write ${input.file.name} (${where}): a value does not fit the table's type ${declared.type}`, {
        hint: `fix or remove the value, or write it to a column of another type; the table reads '${column}' as ${declared.type}`,
        details: { file: input.file.name, line, column, inputType: input.file.format === 'csv' ? 'text' : 'json', tableType: declared.type },
      })
    }
    return toDvError(e, `cannot write ${input.file.name} (${where})`, {
      hint: ragged
        ? 'fix the row (quote values that contain commas) or remove it, then retry'
        : `fix or remove the offending value${input.file.sampleWholeFile ? '' : '; column types were detected from a sample of the input'}`,
      details: { file: input.file.name, line, column, ...(ragged || input.file.format !== 'csv' || input.file.sampleWholeFile ? {} : { sampleMiss: 'conversion' }) },
    })
  }
  if (/sniffing file|Expected Number of Columns/.test(text)) return explainReadError(e, input.file)
  return toDvError(e, `cannot write ${input.file.name} as parquet`, { details: { file: input.file.name } })
}

/**
 * NDJSON whose later records have a key, or a value type, that the sampled
 * first records lacked: INVALID_ARGUMENT with `details.sampleMiss`, which the
 * write action answers by reading the columns from the whole file (once).
 */
function sampleMiss(text: string, file: ReadableFile): DvError | undefined {
  if (file.format !== 'ndjson' || !/JSON transform error/.test(text)) return undefined
  const line = /in line (\d+)/.exec(text)?.[1]
  const key = /has unknown key "([^"]+)"/.exec(text)?.[1]
  const cast = /(Failed to cast value[^;]*)/.exec(text)?.[1]
  const where = `${file.name}${line ? ` line ${line}` : ''}`
  const why = key !== undefined ? `has key '${key}', which the records dv read to learn the columns do not have`
    : cast !== undefined ? `does not fit the type dv learnt for its column: ${cast.toLowerCase()}` : 'does not fit the columns dv learnt'
  return new DvError('INVALID_ARGUMENT', `${where} ${why}`, {
    hint: file.sampleWholeFile ? 'make every record of the file use one type per key' : 'the columns were learnt from the first 20,480 records: dv reads the whole file when this happens',
    details: { file: file.name, ...(line ? { line: Number(line) } : {}), ...(file.sampleWholeFile ? {} : { sampleMiss: key !== undefined ? 'unknown-key' : 'conversion' }), ...(key !== undefined ? { column: key } : {}) },
  })
}

/** The value DuckDB's JSON reader quotes in a failed conversion ("Unable to cast '…' to", "Failed to cast value to …: …;"). */
function failedValue(text: string): string | undefined {
  const quoted = /Unable to cast '([^']*)' to/.exec(text)?.[1] ?? /Failed to cast value to [A-Za-z ]+: (.*)/.exec(text)?.[1]?.replace(/[;.]$/, '')
  // a JSON string is quoted as its JSON; the column's text is without the quotes
  return quoted !== undefined && /^".*"$/.test(quoted) ? quoted.slice(1, -1) : quoted
}

/**
 * The typed column whose value on NDJSON line `line` does not cast to its type (the values read as text): of
 * several, the one whose value the engine quoted (`value`), else the first.
 */
async function jsonOffender(duck: Duck, input: { file: ReadableFile; columns?: DuckColumn[] }, line: number, value: string | undefined): Promise<string | undefined> {
  const typed = (input.columns ?? []).filter((c) => c.typed)
  if (!typed.length) return undefined
  const asText = Object.fromEntries(typed.map((c) => [c.name, 'VARCHAR']))
  const checks = typed.map((c, i) => `(${quoteIdent(c.name)} IS NOT NULL AND TRY_CAST(${quoteIdent(c.name)} AS ${c.duckType}) IS NULL) AS bad${i}`)
  const reader = readerSql(input.file, input.columns, asText)
  const texts = typed.map((c, i) => `${quoteIdent(c.name)} AS text${i}`)
  const [row] = await duck.all(`SELECT ${[...checks, ...texts].join(', ')} FROM (SELECT row_number() OVER () AS __dv_rn, * FROM ${reader}) AS i WHERE __dv_rn = ${line}`)
  const bad = typed.map((c, i) => ({ name: c.name, text: row?.[`text${i}`] })).filter((_, i) => row?.[`bad${i}`] === true)
  // several values of the line may not fit: the one the engine quotes is the one it failed on
  return (bad.find((c) => value !== undefined && String(c.text) === value) ?? bad[0])?.name
}
