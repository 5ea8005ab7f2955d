/**
 * writeParquet: one DuckDB COPY from the input to zstd Parquet files whose
 * columns are the schema's fields (names and Parquet field ids), split by
 * partition (PARTITION_BY on synthetic columns that are not written) or by
 * size (FILE_SIZE_BYTES; DuckDB cannot combine both, so oversized partition
 * files are split again afterwards). Statistics come from the writer itself
 * (RETURN_STATS), so no file is read back.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { DvError } from '../errors.js'
import type { Field, Schema } from '../format/types.js'
import type { WriteParquetOptions, WrittenFile } from './types.js'
import { Duck, duckLine, quoteIdent, quoteLiteral, toDvError } from './duck.js'
import { isLosslessCast, toDuckType } from './duck-types.js'
import { partitionExpression, partitionSource, partitionValues } from './partition.js'
import { explainReadError, readerSql, type DuckColumn, type ReadableFile } from './readers.js'
import { factsFromCopyStats, type FileFacts } from './written-stats.js'
import { storeAsIs } from './as-is.js'

export const DEFAULT_TARGET_FILE_BYTES = 512 * 1024 * 1024

export interface WriteInput {
  file: ReadableFile
  columns: DuckColumn[]
  /** The caller's own file: never modified or deleted. */
  userFile: boolean
  bytes: number | undefined
  tmpDir: string
}

interface ColumnPlan {
  /** One SELECT expression per schema field, in schema order. */
  select: string[]
  /** Text inputs: columns to read directly as another type. */
  overrides: Record<string, string>
  /** True when every input column already has the field's DuckDB type. */
  exact: boolean
}

export async function writeSourceParquet(duck: Duck, input: WriteInput, options: WriteParquetOptions): Promise<WrittenFile[]> {
  const { schema, partitionSpec } = options
  const plan = planColumns(input, schema)
  for (const spec of partitionSpec) partitionSource(spec, schema)
  if (plan.exact && input.userFile && input.file.format === 'parquet') {
    const asIs = await storeAsIs(duck, input.file, input.columns, schema, partitionSpec)
    if (asIs) return [asIs]
  }
  await mkdir(options.outDir, { recursive: true })
  const dir = join(options.outDir, `dv-write-${randomUUID()}`)
  const target = Math.max(1, Math.floor(options.targetFileBytes ?? DEFAULT_TARGET_FILE_BYTES))
  const fieldIds = fieldIdsOption(schema)
  const partitionCols = partitionSpec.map((spec, i) => `${partitionExpression(spec, partitionSource(spec, schema))} AS ${quoteIdent(`__dv_p${i}`)}`)
  const inner = `SELECT ${plan.select.join(', ')} FROM ${readerSql(input.file, input.columns, plan.overrides)}`
  const query = partitionCols.length ? `SELECT *, ${partitionCols.join(', ')} FROM (${inner})` : inner
  const split = partitionCols.length
    ? `PARTITION_BY (${partitionSpec.map((_, i) => quoteIdent(`__dv_p${i}`)).join(', ')})`
    : fileSizeOption(target)
  const sql = `COPY (${query}) TO ${quoteLiteral(dir)} (FORMAT parquet, COMPRESSION zstd, ${fieldIds}, ${split}, RETURN_STATS true)`
  let rows
  try {
    rows = await duck.allWithProgress(sql, (processed, pct) => {
      options.onProgress?.({ rows: processed, bytesRead: input.bytes === undefined ? undefined : Math.round((input.bytes * pct) / 100) })
    })
  } catch (e) {
    await rm(dir, { recursive: true, force: true })
    throw await explainWriteError(e, input)
  }
  let facts = sortFacts(factsFromCopyStats(rows, schema))
  if (partitionCols.length) facts = await splitOversized(duck, facts, schema, target, fieldIds)
  checkRequired(facts, schema, input.file.name)
  const written: WrittenFile[] = []
  for (const f of facts) {
    if (f.rows === 0) {
      await rm(f.path, { force: true })
      continue
    }
    const partition = await partitionValues(duck, f, partitionSpec, schema)
    written.push({ path: f.path, temporary: true, rows: f.rows, bytes: f.bytes, partition, columns: f.columns })
  }
  options.onProgress?.({ rows: written.reduce((n, f) => n + f.rows, 0), bytesRead: input.bytes })
  return written
}

/** Matches input columns to schema fields by name and decides each one's cast. */
function planColumns(input: WriteInput, schema: Schema): ColumnPlan {
  const byName = new Map(input.columns.map((c) => [c.name, c]))
  const fieldNames = new Set(schema.fields.map((f) => f.name))
  const extra = input.columns.filter((c) => !fieldNames.has(c.name)).map((c) => c.name)
  if (extra.length) {
    throw new DvError('INVALID_ARGUMENT', `${input.file.name} has column(s) ${extra.map((n) => `'${n}'`).join(', ')} that the table schema lacks`, {
      hint: 'add the columns to the table schema before writing',
      details: { file: input.file.name, columns: extra },
    })
  }
  const textInput = input.file.format === 'csv' || input.file.format === 'ndjson'
  const plan: ColumnPlan = { select: [], overrides: {}, exact: true }
  for (const field of schema.fields) {
    const column = byName.get(field.name)
    const duckType = toDuckType(field.type)
    const out = quoteIdent(field.name)
    if (!column) {
      if (field.required) {
        throw new DvError('INVALID_ARGUMENT', `${input.file.name} lacks column '${field.name}', which the table requires`, {
          hint: `add a '${field.name}' column to the input`,
          details: { file: input.file.name, column: field.name },
        })
      }
      plan.exact = false
      plan.select.push(`CAST(NULL AS ${duckType}) AS ${out}`)
      continue
    }
    if (column.duckType !== duckType) plan.exact = false
    if (textInput && field.type === 'string' && column.type !== 'string') {
      // Text read as text keeps it exactly (e.g. '01234' stays '01234').
      plan.overrides[column.name] = 'VARCHAR'
    } else if (!isLosslessCast(column.type, field.type)) {
      throw new DvError('INVALID_ARGUMENT', `column '${field.name}' of ${input.file.name} is ${column.type} but the table column is ${field.type}`, {
        hint: `convert the values to ${field.type} in the source, or write them to a new column`,
        details: { file: input.file.name, column: field.name, inputType: column.type, tableType: field.type },
      })
    }
    plan.select.push(`CAST(${quoteIdent(column.name)} AS ${duckType}) AS ${out}`)
  }
  return plan
}

/** DuckDB rotates files only between row groups (122,880 rows by default): small targets need small row groups. */
function fileSizeOption(target: number): string {
  return `FILE_SIZE_BYTES ${target}${target < 64 * 1024 * 1024 ? ', ROW_GROUP_SIZE 2048' : ''}`
}

function fieldIdsOption(schema: Schema): string {
  return `FIELD_IDS {${schema.fields.map((f) => `${quoteLiteral(f.name)}: ${f.id}`).join(', ')}}`
}

/** Files in write order: by partition directory, then by DuckDB's sequence number. */
function sortFacts(facts: FileFacts[]): FileFacts[] {
  const key = (p: string) => {
    const m = /^(.*?)(\d+)\.parquet$/.exec(p)
    return m ? { dir: m[1], n: Number(m[2]) } : { dir: p, n: 0 }
  }
  return [...facts].sort((a, b) => {
    const ka = key(a.path)
    const kb = key(b.path)
    return ka.dir < kb.dir ? -1 : ka.dir > kb.dir ? 1 : ka.n - kb.n
  })
}

/** PARTITION_BY cannot rotate files: rewrite any file well over the target in target-sized pieces. */
async function splitOversized(duck: Duck, facts: FileFacts[], schema: Schema, target: number, fieldIds: string): Promise<FileFacts[]> {
  const result: FileFacts[] = []
  for (const f of facts) {
    if (f.bytes <= target * 1.25) {
      result.push(f)
      continue
    }
    const dir = `${f.path}.split`
    const rows = await duck.all(`COPY (SELECT * FROM read_parquet(${quoteLiteral(f.path)})) TO ${quoteLiteral(dir)} (FORMAT parquet, COMPRESSION zstd, ${fieldIds}, ${fileSizeOption(target)}, RETURN_STATS true)`)
    await rm(f.path, { force: true })
    result.push(...sortFacts(factsFromCopyStats(rows, schema)))
  }
  return result
}

function checkRequired(facts: FileFacts[], schema: Schema, name: string): void {
  for (const field of schema.fields.filter((f: Field) => f.required)) {
    const nulls = facts.reduce((n, f) => n + (f.columns[String(field.id)]?.nulls ?? 0), 0)
    if (nulls > 0) {
      throw new DvError('INVALID_ARGUMENT', `${name} has ${nulls} null value(s) in column '${field.name}', which the table requires`, {
        hint: `fill in '${field.name}' in every row`,
        details: { file: name, column: field.name, nulls },
      })
    }
  }
}

async function explainWriteError(e: unknown, input: WriteInput): Promise<DvError> {
  const text = e instanceof Error ? e.message : String(e)
  const line = duckLine(e)
  const column = /converting column "([^"]+)"/.exec(text)?.[1] ?? /source column (\S+)/.exec(text)?.[1]
  if (/^(Conversion|Invalid Input) Error/.test(text) && (line !== undefined || column !== undefined)) {
    const where = [line !== undefined ? `line ${line}` : '', column !== undefined ? `column '${column}'` : ''].filter(Boolean).join(', ')
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
