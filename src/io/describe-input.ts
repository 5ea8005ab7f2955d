/**
 * The columns of an ingest input as the write will read them. The table's
 * schema governs: a CSV or NDJSON column the schema names is read as the
 * schema's type (so an all-null column takes it, and int32 columns read as
 * int32); other columns are inferred, losslessly (infer-check.ts). A CSV
 * header must name every column once: duplicate, empty and case-only
 * duplicate names are refused rather than renamed by the engine.
 */
import { DvError } from '../errors.js'
import { isPrimitive } from '../format/fields.js'
import type { PrimitiveType, Schema } from '../format/types.js'
import { Duck } from './duck.js'
import { toDuckType, toPrimitiveType } from './duck-types.js'
import { inferLosslessly, planInference } from './infer-check.js'
import { typeFromDuck } from './duck-nested.js'
import { checkNdjsonShape } from './ndjson-shape.js'
import { scanBeyondSample, type SampleMisfit } from './sample-check.js'
import { csvDialectSql, describeRaw, explainReadError, lineOf, readerSql, type DuckColumn, type ReadableFile } from './readers.js'
import { quoteLiteral } from './duck.js'

export interface DescribedInput {
  /** The file with what reading it needs learned on the way (header-less names, decided date formats). */
  file: ReadableFile
  columns: DuckColumn[]
}

export async function describeInput(duck: Duck, file: ReadableFile, options: { schema?: Schema; bytes?: number }): Promise<DescribedInput> {
  // DuckDB reads a 0-byte file as one column 'column0': it has no columns at all
  if (options.bytes === 0) return { file, columns: [] }
  const declared = declaredTypes(options.schema)
  let names: string[] | undefined
  if (file.format === 'csv') {
    if (file.csv?.header === false) {
      if (!options.schema) {
        throw new DvError('INVALID_ARGUMENT', `${file.name} has no header row, so its columns have no names`, {
          hint: 'write it to an existing table (its columns, in order), or give the columns with --schema',
          details: { file: file.name },
        })
      }
      names = options.schema.fields.map((f) => f.name)
      file = { ...file, names }
    } else {
      names = await readCsvHeader(duck, file)
    }
  }
  const typedNames = file.format === 'parquet' ? [] : (names ?? []).filter((n) => declared.has(n))
  const probe: DuckColumn[] = typedNames.map((n) => ({ name: n, duckType: toDuckType(declared.get(n)!), type: declared.get(n)!, nullable: true, typed: true }))
  const raw = await describeRaw(duck, file, file.format === 'ndjson' ? readerSql(file) : readerSql(file, probe))
  if (file.format === 'ndjson') await checkNdjsonShape(file, raw.filter((c) => !declared.has(c.name)))
  let columns: DuckColumn[] = raw.map((c) => {
    const type = file.format === 'parquet' ? undefined : declared.get(c.name)
    if (type !== undefined) return { name: c.name, duckType: toDuckType(type), type, nullable: true, typed: true }
    // an NDJSON key DuckDB types JSON (only nulls, or one type a string column reads as text: mixed ones were refused)
    // is a string column read as text: "x" is x, not the JSON text "x" (quotes kept)
    if (file.format === 'ndjson' && c.duckType === 'JSON') return { name: c.name, duckType: 'VARCHAR', type: 'string', nullable: true, typed: true }
    if (c.duckType === 'TIMESTAMP_NS' && file.utcNanos?.includes(c.name)) return { ...c, type: 'timestamptz_ns' }
    const { structured, ...column } = c
    const primitive = (t: string) => toPrimitiveType(c.name, t, file.name)
    return { ...column, type: structured ? typeFromDuck(structured, primitive) : primitive(c.duckType) }
  })
  // a column the table declares must not take a value its cast would change (declared-check.ts), nor a microsecond timestamp a finer one
  const typed = raw.filter((c) => declared.has(c.name)).map((c) => ({ name: c.name, type: declared.get(c.name)! }))
  // a CSV's inference counts (infer-check.ts) ride on the same scan, which parses the file anyway
  const plan = file.format === 'csv' ? await planInference(duck, file, columns) : undefined
  const { misfit, nanos, counted } = await scanBeyondSample(duck, file, raw.filter((c) => !declared.has(c.name)), typed, plan?.counting)
  // a later value does not fit the type the sample gave its column: learn the types from every record
  if (misfit && !file.sampleWholeFile) return describeInput(duck, { ...file, sampleWholeFile: true }, options)
  if (misfit) refuseMisfit(file, misfit, raw.find((c) => c.name === misfit.column)!.duckType)
  // CSV timestamps with nanoseconds: DuckDB's sniffer reads microseconds, which would cut them
  columns = columns.map((c) => nanos.includes(c.name) ? { ...c, duckType: 'TIMESTAMP_NS', type: 'timestamp_ns', typed: true } : c)
  if (file.format === 'ndjson' && !file.sampleWholeFile && columns.some((c) => c.typed) && (await hasKeysBeyond(duck, file, columns))) {
    // typed NDJSON is read with `columns`, which drops keys it does not name: a key the sample missed is learnt from every record
    return describeInput(duck, { ...file, sampleWholeFile: true }, options)
  }
  // the counts hold for the columns they were planned for: a nanosecond column changed those
  const prepared = plan && counted && nanos.length === 0 ? { plan, counts: counted } : undefined
  if (file.format !== 'parquet') ({ file, columns } = await inferLosslessly(duck, file, columns, prepared))
  return { file, columns }
}

/** A value the engine would convert, not read (sample-check.ts), refused naming it. */
function refuseMisfit(file: ReadableFile, misfit: SampleMisfit, duckType: string): never {
  const line = lineOf(file, misfit.record)
  throw new DvError('INVALID_ARGUMENT', `${file.name} record ${misfit.record} (line ${line} without quoted line breaks before it): value '${misfit.value}' of column '${misfit.column}' does not fit the column's type ${duckType.toLowerCase()}, chosen from the other values, and dv does not convert it`, {
    hint: `make the column's values one kind (e.g. every timestamp with its UTC offset), or declare the column's type: a new table with --schema "${misfit.column} string, ..."`,
    details: { file: file.name, record: misfit.record, line, column: misfit.column, value: misfit.value },
  })
}

/** True when some record of an NDJSON file has a top-level key that `columns` (learnt from a sample) lacks. */
async function hasKeysBeyond(duck: Duck, file: ReadableFile, columns: DuckColumn[]): Promise<boolean> {
  const size = file.maxRecordBytes === undefined ? '' : `, maximum_object_size=${file.maxRecordBytes}`
  const known = columns.map((c) => quoteLiteral(c.name)).join(', ')
  try {
    const rows = await duck.all(`SELECT 1 FROM (SELECT unnest(json_keys(json)) AS k FROM read_ndjson_objects(${quoteLiteral(file.path)}${size})) WHERE k NOT IN (${known}) LIMIT 1`)
    return rows.length > 0
  } catch (e) {
    throw await explainReadError(e, file)
  }
}

/** Top-level primitive columns of the schema by name (nested columns are read as the input has them). */
function declaredTypes(schema: Schema | undefined): Map<string, PrimitiveType> {
  const out = new Map<string, PrimitiveType>()
  for (const f of schema?.fields ?? []) if (isPrimitive(f.type)) out.set(f.name, f.type)
  return out
}

/** The names in the header row of a CSV file, refusing duplicate, empty and case-only duplicate names. */
async function readCsvHeader(duck: Duck, file: ReadableFile): Promise<string[]> {
  const headerless: ReadableFile = { ...file, csv: { ...file.csv, header: false } }
  let rows
  try {
    rows = await duck.all(`SELECT * FROM read_csv(${quoteLiteral(file.path)}, ${csvDialectSql(headerless)}, all_varchar=true) LIMIT 1`)
  } catch (e) {
    throw await explainReadError(e, file)
  }
  const names = rows.length ? Object.values(rows[0]).map((v) => (v === null || v === undefined ? '' : String(v))) : []
  const seen = new Map<string, number>()
  names.forEach((name, i) => {
    if (name.trim() === '') {
      throw new DvError('INVALID_ARGUMENT', `column ${i + 1} of the header of ${file.name} has no name`, {
        hint: 'name every column in the header row (or read the file with --no-header into a table that has the columns)',
        details: { file: file.name, position: i + 1 },
      })
    }
    const earlier = seen.get(name.toLowerCase())
    if (earlier !== undefined) {
      const same = names[earlier] === name
      throw new DvError('INVALID_ARGUMENT', same
        ? `the header of ${file.name} names column '${name}' twice (columns ${earlier + 1} and ${i + 1})`
        : `the header of ${file.name} has columns '${names[earlier]}' and '${name}' (columns ${earlier + 1} and ${i + 1}), which differ only in case`, {
        hint: same ? 'give every column its own name in the header row' : 'dv compares column names ignoring case: rename one of them in the header row',
        details: { file: file.name, column: name, positions: [earlier + 1, i + 1] },
      })
    }
    seen.set(name.toLowerCase(), i)
  })
  return names
}
