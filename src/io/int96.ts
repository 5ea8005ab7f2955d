/**
 * INT96 timestamps (Spark, Impala, Hive, pyarrow's
 * use_deprecated_int96_timestamps, fastparquet's times='int96') hold
 * nanoseconds. DuckDB reads them as microseconds, cutting any nanosecond
 * digits without a word; arrow-rs (parquet-wasm) reads them exactly, as
 * timestamp[ns]. So each INT96 column is typed by what it holds:
 *  - every value a whole microsecond (Spark writes microseconds): `timestamp`,
 *    as DuckDB reads it, so that Spark files append to `timestamp` tables and
 *    export to Iceberg v2;
 *  - any value with nanosecond digits: `timestamp_ns`, every digit kept.
 * A file whose only trouble is INT96 is first probed (parquet-transcode.ts
 * wholeMicrosecondInt96: those columns alone, nothing written); only a file
 * with nanosecond digits, or one DuckDB cannot decode for another reason,
 * is transcoded, and then its whole-microsecond INT96 columns are narrowed
 * back to microseconds here.
 */
import type { Duck } from './duck.js'
import { quoteIdent, quoteLiteral } from './duck.js'
import { ROW_GROUP_ROWS } from './parquet-transcode.js'

/** The flat columns of `columns` whose every value in the (transcoded) file at `path` is a whole microsecond. */
export async function wholeMicrosecondColumns(duck: Duck, path: string, columns: string[]): Promise<string[]> {
  // DuckDB names a nested leaf by its path joined with ', ': only top-level columns can be narrowed by a cast
  const flat = columns.filter((c) => !c.includes(', '))
  if (!flat.length) return []
  const counts = flat.map((c, i) => `count(*) FILTER (WHERE epoch_ns(${quoteIdent(c)}) % 1000 <> 0) AS n${i}`)
  const [row] = await duck.all(`SELECT ${counts.join(', ')} FROM read_parquet(${quoteLiteral(path)})`)
  return flat.filter((_, i) => Number(row?.[`n${i}`]) === 0)
}

/** Rewrites the file at `input` to `output` with `columns` (timestamp[ns], every value whole microseconds) as microsecond timestamps. */
export async function narrowToMicroseconds(duck: Duck, input: string, output: string, columns: string[]): Promise<void> {
  const casts = columns.map((c) => `CAST(${quoteIdent(c)} AS TIMESTAMP) AS ${quoteIdent(c)}`).join(', ')
  await duck.run(
    `COPY (SELECT * REPLACE (${casts}) FROM read_parquet(${quoteLiteral(input)})) TO ${quoteLiteral(output)} ` +
      `(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_ROWS})`,
  )
}
