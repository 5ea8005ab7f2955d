/**
 * A Parquet file's layout from its footer alone (row groups, and each column
 * chunk's physical type, codec and encodings), and which column chunks DuckDB
 * cannot decode. DuckDB reads every scan, so a file it cannot decode must be
 * rewritten before it is stored (see parquet-transcode.ts).
 *
 * What DuckDB 1.5.6 decodes, measured on the files of
 * test/fixtures/parquet/make-corpus.py (pyarrow, fastparquet, polars and
 * parquet-wasm writers): every codec but LZ4 (codec 5, in any of its three
 * framings: Hadoop, raw block, LZ4 frame) and LZO; every encoding, but
 * BYTE_STREAM_SPLIT only on FLOAT and DOUBLE columns ("BYTE_STREAM_SPLIT
 * encoding is only supported for FLOAT or DOUBLE data" on INT32, INT64 and
 * FIXED_LEN_BYTE_ARRAY). An allow-list: a codec or encoding DuckDB has not
 * been shown to decode is not trusted to. INT96 timestamps (Spark, Impala,
 * pyarrow's use_deprecated_int96_timestamps) are decoded but cut to
 * microseconds, so they take the same way round and become timestamp_ns.
 *
 * One legacy list layout is misread rather than refused: a LIST group whose
 * repeated child is a group of one field named `array` or `<list>_tuple`
 * (parquet-mr's Avro and Thrift bindings). The Parquet format's
 * backward-compatibility rules (LogicalTypes.md, "Lists") make that repeated
 * group the element, a struct of one field; DuckDB 1.5.6 takes the field
 * itself as the element, so list<struct<x int>> would become list<int>.
 * arrow-rs and pyarrow follow the rule, so such a file takes the same way
 * round as an undecodable one.
 */
import { DvError } from '../errors.js'
import { DAMAGED_HINT, Duck, quoteLiteral } from './duck.js'

const CODECS = new Set(['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'BROTLI', 'ZSTD', 'LZ4_RAW'])
const ENCODINGS = new Set(['PLAIN', 'PLAIN_DICTIONARY', 'RLE_DICTIONARY', 'RLE', 'BIT_PACKED', 'DELTA_BINARY_PACKED', 'DELTA_LENGTH_BYTE_ARRAY', 'DELTA_BYTE_ARRAY'])
const BYTE_STREAM_SPLIT_TYPES = new Set(['FLOAT', 'DOUBLE'])

/** A column whose chunks DuckDB cannot decode, and why (its codec, or an encoding on its physical type). */
export interface Undecodable {
  column: string
  physicalType: string
  codec?: string
  encoding?: string
  /** Decoded, but not exactly: INT96 timestamps, which DuckDB cuts to microseconds (arrow-rs keeps nanoseconds). */
  inexact?: boolean
  /** A list in the legacy layout DuckDB misreads: the name of its repeated one-field group. */
  legacyList?: string
}

export interface ParquetLayout {
  /** Rows of each row group, in file order, as the footer says. */
  rowGroupRows: number[]
  undecodable: Undecodable[]
  /**
   * Where the footer contradicts itself: a column chunk whose value count
   * (nulls included) is not its row group's row count: fewer in any column,
   * or another count in a flat column (only repeated columns hold several
   * values per row). Readers then disagree on the rows (DuckDB trusts the row
   * group, pyarrow the chunk, arrow-rs the pages), so such a file is damaged.
   */
  shortChunks: Array<{ column: string; rowGroup: number; values: number; rows: number }>
}

/** Reads the footer of the Parquet file at `path` (DuckDB errors are thrown as they are). */
export async function readParquetLayout(duck: Duck, path: string): Promise<ParquetLayout> {
  const chunks = await duck.all(
    `SELECT row_group_id AS rg, row_group_num_rows AS n, path_in_schema AS col, type, compression, encodings, num_values FROM parquet_metadata(${quoteLiteral(path)})`,
  )
  const schema = await duck.all(`SELECT name, repetition_type, num_children, converted_type FROM parquet_schema(${quoteLiteral(path)})`)
  const repeated = new Set(schema.filter((r) => r.repetition_type === 'REPEATED').map((r) => String(r.name)))
  const rowGroupRows: number[] = []
  const undecodable = new Map<string, Undecodable>(misreadLists(schema).map((u) => [u.column, u]))
  const shortChunks: ParquetLayout['shortChunks'] = []
  for (const c of chunks) {
    rowGroupRows[Number(c.rg)] = Number(c.n)
    const column = String(c.col)
    const values = Number(c.num_values)
    const rows = Number(c.n)
    // DuckDB joins the path of a nested leaf with ', ' ("tags, list, element")
    const flat = !column.includes(', ') && !repeated.has(column)
    if (flat ? values !== rows : values < rows) shortChunks.push({ column, rowGroup: Number(c.rg), values, rows })
    if (undecodable.has(column)) continue
    const reason = whyUndecodable(String(c.type), String(c.compression), String(c.encodings ?? ''))
    if (reason) undecodable.set(column, { column, physicalType: String(c.type), ...reason })
  }
  return { rowGroupRows: Array.from(rowGroupRows, (n) => n ?? 0), undecodable: [...undecodable.values()], shortChunks }
}

/**
 * The lists of a file's schema (parquet_schema rows, depth first) whose
 * repeated child is a one-field group named `array` or `<list>_tuple`: the
 * backward-compatibility rule DuckDB does not follow (see the top of this file).
 */
export function misreadLists(schema: Array<Record<string, unknown>>): Undecodable[] {
  const found: Undecodable[] = []
  let at = 0
  // walks one node and its subtree; `path` is DuckDB's path_in_schema style ("a, b")
  const walk = (path: string[]): void => {
    const node = schema[at++]
    const children = Number(node.num_children ?? 0)
    const own = at === 1 ? [] : [...path, String(node.name)]
    const first = schema[at]
    if (node.converted_type === 'LIST' && children === 1 && first?.repetition_type === 'REPEATED' && Number(first.num_children ?? 0) === 1) {
      const element = String(first.name)
      if (element === 'array' || element === `${String(node.name)}_tuple`) found.push({ column: own.join(', '), physicalType: 'GROUP', legacyList: element })
    }
    for (let i = 0; i < children && at < schema.length; i++) walk(own)
  }
  if (schema.length) walk([])
  return found
}

function whyUndecodable(type: string, codec: string, encodings: string): { codec?: string; encoding?: string; inexact?: boolean } | undefined {
  // legacy Spark/Impala timestamps hold nanoseconds; DuckDB reads them as microseconds (int96.ts)
  const inexact = type === 'INT96' ? { inexact: true } : {}
  if (!CODECS.has(codec)) return { codec, ...inexact }
  for (const encoding of encodings.split(',').map((e) => e.trim()).filter(Boolean)) {
    if (encoding === 'BYTE_STREAM_SPLIT' ? !BYTE_STREAM_SPLIT_TYPES.has(type) : !ENCODINGS.has(encoding)) return { encoding, ...inexact }
  }
  return type === 'INT96' ? inexact : undefined
}

/** A CORRUPT error naming the first contradiction of the footer of `name`, if there is one. */
export function footerContradiction(layout: ParquetLayout, name: string): DvError | undefined {
  const short = layout.shortChunks[0]
  if (!short) return undefined
  return new DvError('CORRUPT', `${name} is damaged: column '${short.column}' holds ${short.values} values in row group ${short.rowGroup}, which has ${short.rows} rows`, {
    hint: DAMAGED_HINT,
    details: { file: name, ...short },
  })
}

/** "codec LZ4 in column 'a'", "encoding BYTE_STREAM_SPLIT on INT32 in columns 'a', 'b' and 3 more", for messages. */
export function describeUndecodable(u: Undecodable[]): string {
  const byReason = new Map<string, string[]>()
  for (const c of u) {
    const reason = c.legacyList !== undefined
      ? `the legacy list layout (a one-field repeated group named ${c.legacyList}, which is the element)`
      : c.codec ? `codec ${c.codec}` : c.inexact ? `nanosecond ${c.physicalType} timestamps` : `encoding ${c.encoding} on ${c.physicalType}`
    byReason.set(reason, [...(byReason.get(reason) ?? []), `'${c.column}'`])
  }
  return [...byReason].map(([reason, columns]) => {
    const named = columns.length > 3 ? `${columns.slice(0, 3).join(', ')} and ${columns.length - 3} more` : columns.join(', ')
    return `${reason} in column${columns.length > 1 ? 's' : ''} ${named}`
  }).join('; ')
}
