/**
 * Text read into an instant column must say which instant it is: a
 * `timestamptz` or `timestamptz_ns` column of the table (or of --schema) takes
 * CSV and NDJSON values that end in an offset or `Z` only. A wall-clock
 * reading (`2026-01-02 10:00:00`) belongs in a `timestamp` column
 * (format-spec/table-metadata.md#types): read as UTC it would silently become
 * another instant, so it is refused naming its line. Inference never needs
 * this check: it makes such columns `timestamp`. A timestamp format of the
 * write (--timestamp-format) decides by itself what a value holds.
 */
import { DvError } from '../errors.js'
import { Duck, quoteIdent, quoteLiteral } from './duck.js'
import { explainReadError, lineOf, readerSql, type DuckColumn, type ReadableFile } from './readers.js'

/** A time of day followed by a zone: `Z`, a numeric offset, or a named zone. */
const ZONED = '\\d:\\d{2}(:\\d{2}(\\.\\d+)?)?\\s*([zZ]|[+-]\\d{2}(:?\\d{2})?|\\s*(UTC|GMT|[A-Za-z]+/[A-Za-z_+-]+))$|^-?infinity$'

export async function checkInstantZones(duck: Duck, file: ReadableFile, columns: DuckColumn[]): Promise<void> {
  if (file.format === 'parquet' || file.csv?.timestampFormat !== undefined) return
  const instants = columns.filter((c) => c.typed && (c.type === 'timestamptz' || c.type === 'timestamptz_ns'))
  if (!instants.length) return
  const asText = Object.fromEntries(instants.map((c) => [c.name, 'VARCHAR']))
  const exprs = instants.flatMap((c, i) => {
    const v = `trim(${quoteIdent(c.name)})`
    const bad = `${v} IS NOT NULL AND NOT regexp_matches(${v}, ${quoteLiteral(ZONED)})`
    return [`min(__dv_rn) FILTER (WHERE ${bad}) AS at${i}`, `arg_min(${v}, __dv_rn) FILTER (WHERE ${bad}) AS v${i}`]
  })
  let row
  try {
    ;[row] = await duck.all(`SELECT ${exprs.join(', ')} FROM (SELECT row_number() OVER () AS __dv_rn, * FROM ${readerSql(file, columns, asText)}) AS i`)
  } catch (e) {
    throw await explainReadError(e, file)
  }
  instants.forEach((c, i) => {
    const at = row?.[`at${i}`]
    if (at === null || at === undefined) return
    const line = lineOf(file, Number(at))
    throw new DvError('INVALID_ARGUMENT', `${file.name} line ${line}: '${String(row![`v${i}`])}' in column '${c.name}' has no UTC offset, but the table's column is ${c.type} (an instant)`, {
      hint: `give every value of '${c.name}' its offset (e.g. 2026-01-02T10:00:00Z or +02:00), or write wall-clock readings to a timestamp column`,
      details: { file: file.name, line, column: c.name, tableType: c.type },
    })
  })
}
