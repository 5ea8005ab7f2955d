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
 *
 * The same pass finds CSV timestamp columns with nanoseconds (DuckDB's
 * sniffer reads microseconds and would cut them), and runs declared-check.ts's
 * rules on the columns the table declares (among them: no nanoseconds in a
 * microsecond timestamp column). It costs a read of the checked columns:
 * on a new table's first load, those the input types; on an append, which
 * reads with the table's types, the columns a rule checks. Each
 * rule starts with a test most values fail cheaply (a character, a length),
 * so the exact one runs on few values.
 */
import { DvError } from '../errors.js'
import { Duck, quoteIdent, quoteLiteral } from './duck.js'
import { csvDialectSql, lineOf, type ReadableFile } from './readers.js'
import { declaredRules, type DeclaredColumn, type DeclaredRule } from './declared-check.js'

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

export interface SampleScan {
  /** The first value that does not fit its column's type, if any. */
  misfit?: SampleMisfit
  /** CSV columns DuckDB reads as (microsecond) timestamps that have values with nanoseconds. */
  nanos: string[]
  /** The values of the `also` expressions, when the scan ran (CSV) and found no misfit. */
  counted?: Record<string, unknown>
}

/** A CSV timestamp with more than 6 fractional digits (a cheap length test first: `2026-01-01 00:00:00.1234567` has 27 characters). */
const nanosSql = (raw: string) => `length(${raw}) >= 27 AND regexp_matches(${raw}, '[0-9]:[0-9]{2}[.][0-9]{7}')`

/**
 * One pass over the non-declared columns of `file`: the first value that
 * does not fit the type the engine gave its column (from a sample, or with
 * `sampleWholeFile` from every record), and the CSV timestamp columns with
 * nanoseconds, which DuckDB would cut to microseconds: the caller reads them
 * as timestamp_ns. A nanosecond value beyond DuckDB's timestamp_ns (pandas'
 * Timestamp.max, 2262-04-11 23:47:16.854775807, is its infinity), is refused
 * here, naming the record, and so is the first value a rule of a `declared`
 * column catches (declared-check.ts). `also`: more aggregates over a CSV
 * file read as text (infer-check.ts's counts), taken by the same scan and
 * returned in `counted` unless a misfit sends the caller back to the sniffer.
 */
export async function scanBeyondSample(duck: Duck, file: ReadableFile, sampled: SampledColumn[], declared: DeclaredColumn[] = [], also?: string[]): Promise<SampleScan> {
  if (file.format !== 'csv' && file.format !== 'ndjson') return { nanos: [] }
  // every record of NDJSON decides its JSON types: a misfit there is a mix ndjson-shape.ts refuses
  const misfits = file.format === 'ndjson' && file.sampleWholeFile ? [] : sampled.flatMap((c) => {
    const sql = file.format === 'ndjson' ? ndjsonMisfit(c) : csvMisfit(file, c)
    return sql === undefined ? [] : [{ column: c.name, sql }]
  })
  const stamps = file.format === 'csv' && file.csv?.timestampFormat === undefined ? sampled.filter((c) => c.duckType === 'TIMESTAMP').map((c) => c.name) : []
  const rules = declared.flatMap((c) => declaredRules(file, c, quoteIdent(c.name)).map((rule) => ({ column: c.name, type: c.type, sql: rule.sql, rule })))
  // `also` rides along only on a CSV scan, whose reader reads every column as text
  const extra = file.format === 'csv' && also?.length ? also : undefined
  if (misfits.length === 0 && stamps.length === 0 && rules.length === 0 && !extra) return { nanos: [] }
  const reader = checkReader(file, [...new Set([...misfits.map((m) => m.column), ...stamps, ...rules.map((r) => r.column)])])
  const flags: Array<[string, string]> = [
    ...(misfits.length ? [['misfit', misfits.map((m) => `(${m.sql})`).join(' OR ')] as [string, string]] : []),
    ...stamps.flatMap((c, i): Array<[string, string]> => [[`ns${i}`, nanosSql(quoteIdent(c))], [`nb${i}`, beyondNanosSql(c)]]),
    ...(rules.length ? [['declared', rules.map((r) => `(${r.sql})`).join(' OR ')] as [string, string]] : []),
  ]
  const anyFlag = flags.map(([, sql]) => `(${sql})`).join(' OR ')
  let found: Record<string, unknown> = {}
  let counted: Record<string, unknown> | undefined
  try {
    // the common case, nothing found, is one parallel scan of the checked columns where DuckDB runs a rule's
    // costly test only on the values its cheap one lets through: the rules in a WHERE, or in a CASE's WHEN
    // (in a SELECT list or an aggregate's FILTER it would run both on every value: 2.5x slower on bench.csv);
    // what was found is told apart by a second scan
    let any: boolean
    if (extra) {
      // with `also` counted on the way: bench.csv's late-value scan and inference counts took 323 ms in one
      // scan against 466 ms in two (each parses the whole file)
      const flag = flags.length ? [`count(*) FILTER (WHERE CASE WHEN ${anyFlag} THEN true ELSE false END) > 0 AS __dv_any`] : []
      const [row = {}] = await duck.all(`SELECT ${[...flag, ...extra].join(', ')} FROM ${reader}`)
      const { __dv_any: flagged, ...rest } = row
      any = flagged === true
      counted = rest
    } else {
      any = (await duck.all(`SELECT 1 FROM ${reader} WHERE ${anyFlag} LIMIT 1`)).length > 0
    }
    if (any) [found = {}] = await duck.all(`SELECT ${flags.map(([name, sql]) => `count(*) FILTER (WHERE ${sql}) > 0 AS ${name}`).join(', ')} FROM ${reader}`)
  } catch {
    // damage (a ragged row, bytes that are not UTF-8) is the write's to report, with its line
    return { nanos: [] }
  }
  const nanos = stamps.filter((_, i) => found[`ns${i}`] === true)
  const beyond = stamps.filter((_, i) => found[`nb${i}`] === true)
  if (beyond.length) await refuseBeyondNanos(duck, file, reader, beyond)
  if (found.declared === true) await refuseChanged(duck, file, reader, rules)
  if (found.misfit !== true) return { nanos, ...(counted ? { counted } : {}) }
  return { misfit: await locate(duck, reader, misfits), nanos }
}

/**
 * The first record with a misfit, by an ordered scan (insertion order is preserved: the row number is the
 * record's), and which of `misfits` (the first in order) it is.
 */
async function locate(duck: Duck, reader: string, misfits: Array<{ column: string; sql: string }>): Promise<(SampleMisfit & { index: number }) | undefined> {
  const which = misfits.map((m, i) => `WHEN ${m.sql} THEN ${i}`).join(' ')
  const values = misfits.map((m, i) => `WHEN ${i} THEN ${quoteIdent(m.column)}::VARCHAR`).join(' ')
  const [row] = await duck.all(`SELECT record, misfit, CASE misfit ${values} END AS value FROM (SELECT *, row_number() OVER () AS record, CASE ${which} END AS misfit FROM ${reader}) WHERE misfit IS NOT NULL LIMIT 1`)
  return row ? { column: misfits[Number(row.misfit)]!.column, value: String(row.value), record: Number(row.record), index: Number(row.misfit) } : undefined
}

/** Refuses the first value a declared column's rule catches (declared-check.ts), naming its record and the table's type. */
async function refuseChanged(duck: Duck, file: ReadableFile, reader: string, rules: Array<{ column: string; type: string; sql: string; rule: DeclaredRule }>): Promise<never> {
  const { record, column, value, index } = (await locate(duck, reader, rules))!
  const { rule, type } = rules[index]!
  const line = lineOf(file, record)
  throw new DvError('INVALID_ARGUMENT', `${file.name} record ${record} (line ${line}${file.format === 'csv' ? ' without quoted line breaks before it' : ''}): ${rule.noun} ${file.format === 'csv' ? `'${value}'` : value} of column '${column}' ${rule.says}`, {
    hint: rule.hint,
    details: { file: file.name, record, line, column, value, tableType: type },
  })
}

/** True for a CSV timestamp with nanoseconds that DuckDB's timestamp_ns cannot hold. */
const beyondNanosSql = (column: string) => `(${nanosSql(quoteIdent(column))} AND TRY_CAST(trim(${quoteIdent(column)}) AS TIMESTAMP_NS) IS NULL)`

/** Refuses the first nanosecond timestamp DuckDB cannot hold, naming its record (CSV: the line after the header). */
async function refuseBeyondNanos(duck: Duck, file: ReadableFile, reader: string, columns: string[]): Promise<never> {
  const misfit = await locate(duck, reader, columns.map((c) => ({ column: c, sql: beyondNanosSql(c) })))
  const { record, column, value } = misfit!
  const line = lineOf(file, record)
  throw new DvError('INVALID_ARGUMENT', `${file.name} record ${record} (line ${line} without quoted line breaks before it): timestamp '${value}' of column '${column}' has nanoseconds but is beyond the timestamp_ns range dv reads (the last instant, 2262-04-11 23:47:16.854775807, is the engine's infinity)`, {
    hint: `fix the value (pandas writes Timestamp.max for "no end": a null may say it better), or keep the column's text: a new table with --schema "${column} string, ..."`,
    details: { file: file.name, record, line, column, value },
  })
}

/**
 * The checked columns of `file`, each value as the file spells it: CSV as
 * text, NDJSON as its JSON (DuckDB parses each record once and keeps the
 * named keys' JSON; other keys are not read).
 */
function checkReader(file: ReadableFile, columns: string[]): string {
  if (file.format === 'csv') return `read_csv(${quoteLiteral(file.path)}, ${csvDialectSql(file)}, all_varchar=true)`
  const size = file.maxRecordBytes === undefined ? '' : `, maximum_object_size=${file.maxRecordBytes}`
  return `read_json(${quoteLiteral(file.path)}, format='newline_delimited'${size}, columns={${columns.map((c) => `${quoteLiteral(c)}: 'JSON'`).join(', ')}})`
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

/**
 * SQL over the column's JSON: true when the record's value is not null and of another JSON type. json_type
 * parses the value (a whole object or array), so a test of its first characters comes first: DuckDB hands
 * each value over minified, and one of an allowed type nearly always fails that test, so json_type runs on
 * few (an integer too long for int64 is a JSON double: its length sends it to json_type). On
 * events-1m.ndjson (1M records, 5 columns) the scan took 345 ms instead of 464 ms (median of 5).
 */
function ndjsonMisfit(c: SampledColumn): string {
  const types = jsonTypesOf(c.duckType)
  const allowed = ['NULL', ...types].map(quoteLiteral).join(', ')
  const text = `${quoteIdent(c.name)}::VARCHAR`
  const number = `(left(${text}, 1) BETWEEN '0' AND '9' OR starts_with(${text}, '-'))`
  const maybe = types.includes('DOUBLE') ? `NOT ${number}`
    : types.includes('BIGINT') ? `(NOT ${number} OR contains(${text}, '.') OR contains(${text}, 'e') OR contains(${text}, 'E') OR length(${text}) >= 19)`
    : types.includes('BOOLEAN') ? `${text} NOT IN ('true', 'false')`
    : types.includes('ARRAY') ? `NOT starts_with(${text}, '[')`
    : types.includes('OBJECT') ? `NOT starts_with(${text}, '{')`
    : `NOT starts_with(${text}, '"')`
  return `${maybe} AND json_type(${quoteIdent(c.name)}) NOT IN (${allowed})`
}

/**
 * SQL over the file read as text: true when the column's value is one
 * DuckDB's cast to the sampled type would change (a fraction in an integer
 * column, a time of day in a date column); values the cast refuses fail the
 * write, which reads the file again (write.ts).
 */
function csvMisfit(file: ReadableFile, c: SampledColumn): string | undefined {
  const raw = quoteIdent(c.name)
  const v = `trim(${raw})`
  // each rule starts with a cheap test most values fail, so the costly one runs on few
  // a number with a fraction (or an exponent) the cast would round; text that is no number fails the write's cast
  // and hex (0x10), binary (0b101) or digit separators (1_000), which the integer cast reads but the sample's sniffer reads as text
  // (one character class first: on bench.csv the scan took 544 ms instead of 689 with a contains() per character)
  if (INTEGER_TYPES.test(c.duckType)) {
    const rounded = `regexp_matches(${raw}, '[.eE]') AND TRY_CAST(${v} AS DOUBLE) IS NOT NULL`
    const spelled = `regexp_matches(${raw}, '[xXbB_]') AND TRY_CAST(${v} AS ${c.duckType}) IS NOT NULL`
    return `regexp_matches(${raw}, '[.eExXbB_]') AND ((${rounded}) OR (${spelled}))`
  }
  // a date format of the user's own reads what it says; DuckDB's ISO dates take no time of day
  if (c.duckType === 'DATE' && file.csv?.dateFormat === undefined) return `contains(${raw}, ':') AND regexp_matches(${raw}, '[0-9]:[0-9]')`
  // a naive timestamp column would drop a value's UTC offset, moving the instant
  if (c.duckType === 'TIMESTAMP' && file.csv?.timestampFormat === undefined) {
    // (an offset is Z, or + or - and digits, at most 6 characters from the end; a padded value goes to the regex too.
    // One regex over the value rather than one over right(value, 7): the same values, without cutting a string per
    // row; on bench.csv's 2,000,000 timestamps the test took 45 ms instead of 100)
    const offsetLike = `regexp_matches(${raw}, '[-+Zz ](?s:.){0,6}$')`
    return `${offsetLike} AND regexp_matches(${v}, '[0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? ?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$', 'i')`
  }
  return undefined
}
