/**
 * Values beyond the sample. DuckDB chooses a CSV or NDJSON column's type from
 * the first 20,480 records, and reads later values into it with its casts,
 * which are not lossless: a later `1.5` in a column sampled as integers reads
 * as 2, a later `2026-01-02 10:00:00` in a DATE column loses its time, and in
 * NDJSON a later object, array, number or boolean in a column sampled as
 * strings reads as its JSON text (a later string in a number column, as the
 * number it spells). One pass over the columns the input types (not those the
 * table's schema declares) finds whether any later value does not fit its
 * column's sampled type; the caller then learns the types from every record,
 * which either reads every value losslessly (integers and decimals: double;
 * dates and times: timestamp; CSV text: string) or, for NDJSON values of
 * different JSON types in one column, is refused by ndjson-shape.ts naming
 * the lines. A CSV value that misfits the type learnt from every record (a
 * UTC offset in a column DuckDB still reads as naive timestamps) is refused
 * by the caller, naming the record, the column and the value.
 */
import { Duck, quoteIdent, quoteLiteral } from './duck.js'
import { csvDialectSql, type ReadableFile } from './readers.js'

interface SampledColumn {
  name: string
  duckType: string
}

const INTEGER_TYPES = /^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/

export interface SampleMisfit {
  column: string
  /** The value as the file spells it. */
  value: string
  /** 1-based, counting the records the engine reads (not a CSV header). */
  record: number
}

/**
 * The first value of a non-declared column of `file` that does not fit the
 * type the engine gave the column (from a sample, or with `sampleWholeFile`
 * from every record), or undefined.
 */
export async function valueBeyondSample(duck: Duck, file: ReadableFile, sampled: SampledColumn[]): Promise<SampleMisfit | undefined> {
  if (file.format !== 'csv' && file.format !== 'ndjson') return undefined
  // every record of NDJSON decides its JSON types: a misfit there is a mix ndjson-shape.ts refuses
  if (file.format === 'ndjson' && file.sampleWholeFile) return undefined
  const misfits = sampled.flatMap((c) => {
    const sql = file.format === 'ndjson' ? ndjsonMisfit(c) : csvMisfit(file, c)
    return sql === undefined ? [] : [{ column: c.name, sql, value: file.format === 'ndjson' ? `json_extract(json, ${quoteLiteral(jsonPath(c.name))})::VARCHAR` : quoteIdent(c.name) }]
  })
  if (misfits.length === 0) return undefined
  const reader = file.format === 'ndjson'
    ? `read_ndjson_objects(${quoteLiteral(file.path)}${file.maxRecordBytes === undefined ? '' : `, maximum_object_size=${file.maxRecordBytes}`})`
    : `read_csv(${quoteLiteral(file.path)}, ${csvDialectSql(file)}, all_varchar=true)`
  const which = misfits.map((m, i) => `WHEN ${m.sql} THEN ${i}`).join(' ')
  const values = misfits.map((m, i) => `WHEN ${i} THEN ${m.value}`).join(' ')
  try {
    // the scan's order is the file's (insertion order is preserved): the row number is the record's
    const rows = await duck.all(`SELECT record, misfit, CASE misfit ${values} END AS value FROM (SELECT *, row_number() OVER () AS record, CASE ${which} END AS misfit FROM ${reader}) WHERE misfit IS NOT NULL LIMIT 1`)
    if (rows.length === 0) return undefined
    const row = rows[0]!
    return { column: misfits[Number(row.misfit)]!.column, value: String(row.value), record: Number(row.record) }
  } catch {
    // damage (a ragged row, bytes that are not UTF-8) is the write's to report, with its line
    return undefined
  }
}

function jsonPath(key: string): string {
  return `$."${key.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/**
 * The JSON types (DuckDB's json_type) a column of DuckDB type `duckType` read
 * from NDJSON holds without conversion. Strings hold every type DuckDB detects
 * from text (dates, times, UUIDs) and JSON, a column the sample saw only nulls
 * in (or mixed: refused before this).
 */
function jsonTypesOf(duckType: string): string[] {
  if (INTEGER_TYPES.test(duckType)) return ['BIGINT', 'UBIGINT']
  if (duckType === 'DOUBLE' || duckType === 'FLOAT' || duckType.startsWith('DECIMAL')) return ['BIGINT', 'UBIGINT', 'DOUBLE']
  if (duckType === 'BOOLEAN') return ['BOOLEAN']
  if (duckType.endsWith('[]') || /^[A-Z]+\[\d+\]$/.test(duckType)) return ['ARRAY']
  if (duckType.startsWith('STRUCT') || duckType.startsWith('MAP')) return ['OBJECT']
  return ['VARCHAR']
}

/** SQL over read_ndjson_objects' `json`: true when the record's value of the column is not null and of another JSON type. */
function ndjsonMisfit(c: SampledColumn): string {
  const allowed = ['NULL', ...jsonTypesOf(c.duckType)].map(quoteLiteral).join(', ')
  return `coalesce(json_type(json, ${quoteLiteral(jsonPath(c.name))}), 'NULL') NOT IN (${allowed})`
}

/**
 * SQL over the file read as text: true when the column's value is one
 * DuckDB's cast to the sampled type would change (a fraction in an integer
 * column, a time of day in a date column); values the cast refuses fail the
 * write, which reads the file again (write.ts).
 */
function csvMisfit(file: ReadableFile, c: SampledColumn): string | undefined {
  const v = `trim(${quoteIdent(c.name)})`
  const nulls = ['', ...(file.csv?.nullString === undefined ? [] : [file.csv.nullString])].map(quoteLiteral).join(', ')
  // a number with a fraction (or an exponent) the cast would round; text that is no number fails the write's cast
  if (INTEGER_TYPES.test(c.duckType)) return `${v} NOT IN (${nulls}) AND NOT regexp_full_match(${v}, '[+-]?[0-9]+') AND TRY_CAST(${v} AS DOUBLE) IS NOT NULL`
  // a date format of the user's own reads what it says; DuckDB's ISO dates take no time of day
  if (c.duckType === 'DATE' && file.csv?.dateFormat === undefined) return `regexp_matches(${v}, '[0-9]:[0-9]')`
  // a naive timestamp column would drop a value's UTC offset, moving the instant
  if (c.duckType === 'TIMESTAMP' && file.csv?.timestampFormat === undefined) return `regexp_matches(${v}, '[0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? ?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$', 'i')`
  return undefined
}
