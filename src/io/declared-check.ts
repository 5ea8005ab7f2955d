/**
 * Values read into a column whose type the table (or --schema) declares.
 * DuckDB reads CSV text and NDJSON values into a given type with its casts,
 * which are not lossless: `1.5` in a long column reads as 2, `0x10` as 16, a
 * JSON `true` as 1; `1.555` in a decimal(10,2) column as 1.56; a time of day
 * in a date column is dropped, and so is a UTC offset in a timestamp
 * (wall-clock) column, which moves the instant; a time with nanoseconds is
 * cut to microseconds. Each rule here is SQL over a value as the file spells
 * it that is true when the cast would change it; sample-check.ts runs them
 * in its one scan, and the first value one finds is refused, naming its
 * record, the column, the value and the table's type. What is kept is what
 * reads exactly: `1.0` and `1e3` in a long column, a JSON string of decimal
 * digits (how int64s travel in JSON), a midnight time in a date column, a
 * zero offset (`Z`, `+00:00`, `UTC`) in a timestamp column. A format of the
 * write (--date-format, --timestamp-format) decides by itself what a value
 * holds. An instant column (timestamptz) takes only values that say which
 * instant they are (an offset, Z or a named zone): a wall-clock reading read
 * as UTC would silently become another instant. A timestamp or timestamptz
 * column (microseconds) takes no value with nanoseconds.
 */
import type { PrimitiveType } from '../format/types.js'
import type { ReadableFile } from './readers.js'

/** A column the table declares, by name and type. */
export interface DeclaredColumn {
  name: string
  type: PrimitiveType
}

export interface DeclaredRule {
  /** SQL over the column's value as the file spells it (CSV text, NDJSON JSON): true when the cast would change it. */
  sql: string
  /** How the refusal names the value ("value '1.5'", "timestamp '…'"). */
  noun: string
  /** What the refusal says after the column: what the value has, and what the table's column holds. */
  says: string
  /** What the user can do instead. */
  hint: string
}

/** The rules for a declared column of `file`: none when every value its cast accepts reads exactly. */
export function declaredRules(file: ReadableFile, column: DeclaredColumn, raw: string): DeclaredRule[] {
  const rule = castRule(file, column, raw)
  const rules = rule ? [{ sql: rule.sql, noun: 'value', says: `${rule.has}, but the table's column is ${column.type}, and dv does not convert it`, hint: rule.hint }] : []
  // a microsecond timestamp column would cut a value's nanoseconds (a non-zero digit after the sixth fractional one)
  if (column.type === 'timestamp' || column.type === 'timestamptz') {
    rules.push({
      sql: `length(${raw}) >= 27 AND regexp_matches(${raw}, '[0-9]:[0-9]{2}[.][0-9]{6}0*[1-9]')`,
      noun: 'timestamp',
      says: `has nanoseconds, but the table's column is ${column.type} (microseconds), and dv does not cut them`,
      hint: `round the values to microseconds in the source, or write them to a column of type ${column.type}_ns`,
    })
  }
  return rules
}

/** The rule for a value the cast to the column's type would change, as what the value has and the user's way out. */
function castRule(file: ReadableFile, column: DeclaredColumn, raw: string): { sql: string; has: string; hint: string } | undefined {
  const json = file.format === 'ndjson'
  // the value's text: an NDJSON string without its quotes, a number as its digits (CSV: as is; the casts here skip spaces)
  const v = json ? `(${raw} ->> '$')` : raw
  // the end of a value: spaces after CSV text, the closing quote of an NDJSON string
  const end = json ? '"?$' : ' *$'
  const type = column.type
  // each rule starts with a cheap test most values fail (one character class), so the costly one runs on few;
  // each costly expression appears once (measured on bench.csv: 2M appended rows, +0.1 s for the id and ts rules)
  if (type === 'int' || type === 'long') {
    // a number with a fraction (plain, or with an exponent: 1.5e-1), which the cast rounds
    const fraction = `(regexp_matches(${v}, '^ *[+-]?[0-9]*[.][0-9]*[1-9][0-9]* *$') OR TRY_CAST(${v} AS DOUBLE) % 1 <> 0)`
    // hex, binary or digit separators, which the cast reads as a number
    const spelled = `regexp_matches(${v}, '[xXbB_]') AND TRY_CAST(trim(${v}) AS BIGINT) IS NOT NULL`
    // in NDJSON also a boolean (read as 0 or 1); a string of decimal digits is how int64s travel in JSON, and is kept;
    // values the cast refuses (text, arrays) fail the write, which names them
    return {
      sql: json
        ? `(${raw} IN ('true', 'false') OR regexp_matches(${raw}, '[.eExXbB_]') AND (${fraction} OR ${spelled}))`
        : `regexp_matches(${raw}, '[.eExXbB_]') AND (${fraction} OR ${spelled})`,
      has: 'is not a whole number in decimal digits',
      hint: `the engine would round a fraction and convert hex, binary, 1_000${json ? ' and true' : ''}: write whole numbers in decimal digits, or write the values to a column of type double or decimal`,
    }
  }
  const decimal = /^decimal\((\d+),(\d+)\)$/.exec(type)
  if (decimal) {
    const scale = Number(decimal[2])
    // a digit other than 0 past the scale (plain), or a value an exponent puts past it
    const finer = `(regexp_matches(${v}, '^ *[+-]?[0-9]*[.][0-9]{${scale}}[0-9]*[1-9]') OR (regexp_matches(${v}, '[eE]') AND round(TRY_CAST(${v} AS DOUBLE), ${scale}) <> TRY_CAST(${v} AS DOUBLE)))`
    return {
      sql: json ? `(${raw} IN ('true', 'false') OR regexp_matches(${raw}, '[.eE]') AND ${finer})` : `regexp_matches(${raw}, '[.eE]') AND ${finer}`,
      has: `is not a number with at most ${scale} fractional digits`,
      hint: `the engine would round it: round the values in the source, or write them to a column with a larger scale`,
    }
  }
  if (type === 'float') {
    // a float holds about 7 significant digits and magnitudes up to 3.4e38: the value must read back as the same
    // number (the float's shortest text), so 0.1 and 2.5 are kept, and 123456789.123, 1e300 (infinity) and 1e-50
    // (zero) are refused; only a value of more than 7 characters or with an exponent can differ
    const asFloat = `TRY_CAST(TRY_CAST(TRY_CAST(${v} AS FLOAT) AS VARCHAR) AS DOUBLE)`
    const long = json ? `(length(${raw}) > 7 OR regexp_matches(${raw}, '[eE]'))` : `(length(${raw}) > 7 OR contains(${raw}, 'e') OR contains(${raw}, 'E'))`
    return {
      sql: `${long} AND ${asFloat} <> TRY_CAST(${v} AS DOUBLE)`,
      has: 'needs more than a float holds (about 7 significant digits, magnitudes up to 3.4e38)',
      hint: `the engine would round it: widen the column with \`dv table alter TABLE widen ${column.name} double\`, or round the values in the source`,
    }
  }
  if (type === 'double') {
    // beyond a double's range the cast gives infinity (1e400) or zero (1e-400); only an exponent or more than
    // 308 digits gets there. Infinity spelled as such (inf, Infinity) is kept. (NDJSON: the JSON parser itself
    // reads 1e-400 as 0, as JSON parsers do, so only the overflow is seen there.)
    const far = json ? `regexp_matches(${raw}, '[eE]') OR length(${raw}) > 308` : `contains(${raw}, 'e') OR contains(${raw}, 'E') OR length(${raw}) > 308`
    const d = `TRY_CAST(${v} AS DOUBLE)`
    return {
      sql: `(${far}) AND (isinf(${d}) AND NOT contains(lower(${v}), 'inf') OR ${d} = 0 AND regexp_matches(${v}, '^[^eE]*[1-9]'))`,
      has: 'is beyond the range of a double (it would read as infinity or zero)',
      hint: `fix the value, or keep the column's text: a new table with --schema "${column.name} string, ..."`,
    }
  }
  if (type === 'date' && file.csv?.dateFormat === undefined) {
    return {
      sql: `contains(${raw}, ':') AND TRY_CAST(trim(${v}) AS TIMESTAMP)::TIME <> TIME '00:00:00'`,
      has: 'has a time of day',
      hint: 'the engine would drop it: write the dates alone, or write the values to a timestamp column',
    }
  }
  if ((type === 'timestamp' || type === 'timestamp_ns') && file.csv?.timestampFormat === undefined) {
    // an offset is +, or a - near the end (a date's own - is further in); then a time of day and an offset of hours
    // 01-23, or 00 and minutes other than 00 (a zero offset, Z or UTC reads as the same wall-clock time)
    const offsetLike = `(contains(${raw}, '+') OR contains(right(${raw}, 7), '-'))`
    const offset = `regexp_matches(${raw}, '[0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? ?[+-]((0[1-9]|1[0-9]|2[0-3]):?[0-9]{0,2}|00:?(0[1-9]|[1-5][0-9]))${end}')`
    return {
      sql: `${offsetLike} AND ${offset}`,
      has: 'has a UTC offset other than zero',
      hint: `the engine would drop it, moving the instant: write the wall-clock times without an offset (or in UTC), or write the values to a ${type === 'timestamp' ? 'timestamptz' : 'timestamptz_ns'} column`,
    }
  }
  if ((type === 'timestamptz' || type === 'timestamptz_ns') && file.csv?.timestampFormat === undefined) {
    // an instant must say which instant it is: read as UTC, a wall-clock reading would silently become another
    // (format-spec/table-metadata.md#types); a time of day then Z, a numeric offset or a named zone, or infinity
    const zoned = `\\d:\\d{2}(:\\d{2}(\\.\\d+)?)?\\s*([zZ]|[+-]\\d{2}(:?\\d{2})?|\\s*(UTC|GMT|[A-Za-z]+/[A-Za-z_+-]+))\\s*${json ? '"' : ''}$|^${json ? '"' : '\\s*'}-?infinity${json ? '"' : '\\s*'}$`
    return {
      sql: `NOT regexp_matches(${raw}, '${zoned}')`,
      has: 'has no UTC offset',
      hint: `give every value of '${column.name}' its offset (e.g. 2026-01-02T10:00:00Z or +02:00), or write wall-clock readings to a timestamp column`,
    }
  }
  if (type === 'time') {
    return {
      sql: `length(${raw}) >= 16 AND regexp_matches(${raw}, '[0-9]:[0-9]{2}[.][0-9]{6}0*[1-9]')`,
      has: 'has nanoseconds',
      hint: 'the column holds microseconds and the engine would cut them: round the values in the source, or write them to a string column',
    }
  }
  return undefined
}
