/**
 * Lossless inference for CSV and NDJSON columns the table does not type.
 * DuckDB's sniffer reads an integer beyond int64 as DOUBLE (rounding it),
 * `1e400` as infinity, and picks one of `%d/%m/%Y` and `%m/%d/%Y` for
 * `01/02/2026` even when no value decides between them. One pass over the
 * suspect columns, read as text, settles each case:
 * - integers beyond int64 make the column decimal(38,0) (beyond 38 digits:
 *   refused naming the line);
 * - a number beyond the range of a double is refused naming the line;
 * - a day/month order no value decides is refused, asking for --date-format
 *   (or --timestamp-format); a decided one is kept (for the table's properties).
 * Only columns DuckDB typed DOUBLE, DATE or TIMESTAMP cost this pass. The
 * day/month check also covers the date and timestamp columns the table
 * types: an append reads them with the date format DuckDB sniffs from the
 * file, which for `01/02/2026` alone is a guess.
 */
import { DvError } from '../errors.js'
import { Duck, quoteIdent, quoteLiteral } from './duck.js'
import { csvDialectSql, explainReadError, lineOf, readerSql, type DuckColumn, type ReadableFile } from './readers.js'

const INTEGER = `'[+-]?[0-9]+'`
const MAX_DECIMAL_DIGITS = 38

export interface Suspects {
  doubles: DuckColumn[]
  dates: DuckColumn[]
  stamps: DuckColumn[]
  dateSwap?: { format: string; swapped: string }
  stampSwap?: { format: string; swapped: string }
}

/**
 * What the inference scan of `columns` would count (the suspect columns, after a
 * sniff of the file's date formats), or undefined when no column is suspect. The
 * counting expressions read each suspect column as text, as the late-value scan's
 * reader does (sample-check.ts): that scan can count them on its way.
 */
export async function planInference(duck: Duck, file: ReadableFile, columns: DuckColumn[]): Promise<InferencePlan | undefined> {
  const free = columns.filter((c) => !c.typed)
  const s: Suspects = {
    doubles: free.filter((c) => c.duckType === 'DOUBLE'),
    // the table's own date and timestamp columns too: the engine reads them with the format it sniffs from the file
    dates: file.format === 'csv' && file.csv?.dateFormat === undefined ? columns.filter((c) => c.duckType === 'DATE') : [],
    stamps: file.format === 'csv' && file.csv?.timestampFormat === undefined ? columns.filter((c) => c.duckType === 'TIMESTAMP') : [],
  }
  if (s.dates.length || s.stamps.length) {
    const [sniff] = await duck.all(`SELECT DateFormat AS d, TimestampFormat AS t FROM sniff_csv(${quoteLiteral(file.path)}, ${sniffArgs(file)})`)
    s.dateSwap = swapOf(sniff?.d)
    s.stampSwap = swapOf(sniff?.t)
    if (!s.dateSwap) s.dates = []
    if (!s.stampSwap) s.stamps = []
  }
  if (!s.doubles.length && !s.dates.length && !s.stamps.length) return undefined
  return { suspects: s, counting: suspectExprs(s, false) }
}

export interface InferencePlan {
  suspects: Suspects
  /** The counting scan's SELECT list, over the suspect columns read as text. */
  counting: string[]
}

/**
 * `columns` as the write reads them, learnt losslessly. `counted`: the plan
 * for these very columns and the values of its counting expressions, taken by
 * another scan of the file (the late-value scan); without it this scans.
 */
export async function inferLosslessly(
  duck: Duck, file: ReadableFile, columns: DuckColumn[], counted?: { plan: InferencePlan; counts: Record<string, unknown> },
): Promise<{ file: ReadableFile; columns: DuckColumn[] }> {
  const plan = counted ? counted.plan : await planInference(duck, file, columns)
  if (!plan) return { file, columns }
  const s = plan.suspects
  // counts decide; the first record a refusal names comes from a second, numbering scan, run only then
  const counts = counted ? counted.counts : await scanSuspects(duck, file, columns, s, false)
  let located: Promise<Record<string, unknown>> | undefined
  const firstRecords = () => (located ??= scanSuspects(duck, file, columns, s, true))
  const decimals = new Set<string>()
  for (const [i, c] of s.doubles.entries()) {
    if (Number(counts[`inf${i}`]) > 0) {
      const row = await firstRecords()
      const line = lineOf(file, Number(row[`inf${i}`]))
      throw new DvError('INVALID_ARGUMENT', `${file.name} line ${line}: value ${String(row[`infv${i}`])} of column '${c.name}' is beyond the range of a double`, {
        hint: `fix the value, or read the column as text: create the table with --schema "${c.name} string, ..."`,
        details: { file: file.name, line, column: c.name },
      })
    }
    if (Number(counts[`nonint${i}`]) > 0 || Number(counts[`n${i}`]) === 0) continue
    if (Number(counts[`big${i}`]) > 0) {
      const row = await firstRecords()
      const line = lineOf(file, Number(row[`big${i}`]))
      throw new DvError('INVALID_ARGUMENT', `${file.name} line ${line}: integer ${String(row[`bigv${i}`])} of column '${c.name}' has more than ${MAX_DECIMAL_DIGITS} digits`, {
        hint: `fix the value, or read the column as text: create the table with --schema "${c.name} string, ..."`,
        details: { file: file.name, line, column: c.name },
      })
    }
    decimals.add(c.name)
  }
  const csv = { ...file.csv }
  if (s.dateSwap && s.dates.length) csv.dateFormat = await decide(file, s.dates, s.dateSwap, counts, firstRecords, 'd', '--date-format')
  if (s.stampSwap && s.stamps.length) csv.timestampFormat = await decide(file, s.stamps, s.stampSwap, counts, firstRecords, 't', '--timestamp-format')
  const out = columns.map((c): DuckColumn => decimals.has(c.name) ? { ...c, duckType: 'DECIMAL(38,0)', type: 'decimal(38,0)', typed: true } : c)
  return { file: file.format === 'csv' ? { ...file, csv } : file, columns: out }
}

/** The format when some value of `columns` refutes its day/month swap; else refuses the write, naming the first value. */
async function decide(
  file: ReadableFile, columns: DuckColumn[], swap: { format: string; swapped: string },
  counts: Record<string, unknown>, firstRecords: () => Promise<Record<string, unknown>>, key: string, option: string,
): Promise<string> {
  if (columns.some((_, i) => Number(counts[`${key}${i}`]) > 0)) return swap.format
  const column = columns[0]!
  const example = String((await firstRecords())[`${key}v0`])
  throw new DvError('INVALID_ARGUMENT', `${file.name}: column '${column.name}' has values like '${example}' that read both as ${swap.format} and as ${swap.swapped}, and no value decides`, {
    hint: `name the format with ${option} '${swap.format}' (or '${swap.swapped}')`,
    details: { file: file.name, column: column.name, formats: [swap.format, swap.swapped] },
  })
}

/** A format with day and month in a non-ISO order, and the same with them swapped; undefined when unambiguous. */
function swapOf(format: unknown): { format: string; swapped: string } | undefined {
  if (typeof format !== 'string' || !format.includes('%d') || !format.includes('%m') || /^%[Yy]/.test(format)) return undefined
  return { format, swapped: format.replace(/%d|%m/g, (m) => (m === '%d' ? '%m' : '%d')) }
}

/** sniff_csv takes the dialect options of read_csv but not all of them. */
function sniffArgs(file: ReadableFile): string {
  return csvDialectSql(file).split(', ').filter((a) => !/^(strict_mode|names|nullstr)=/.test(a)).join(', ')
}

/**
 * One scan of the suspect columns, read as text, with keys numbered per list: n and nonint
 * (doubles: values, non-integers), big and inf (doubles), d and t (dates, timestamps: values
 * that refute the swapped format). Counting, each key is a count. Locating numbers the records
 * (row_number over the whole input, which doubles the scan's cost, so only a refusal asks for
 * it): big and inf are then the first such record, bigv and infv its value, and dv and tv the
 * column's first value.
 */
async function scanSuspects(duck: Duck, file: ReadableFile, columns: DuckColumn[], s: Suspects, locate: boolean): Promise<Record<string, unknown>> {
  const asText = Object.fromEntries([...s.doubles, ...s.dates, ...s.stamps].map((c) => [c.name, 'VARCHAR']))
  const reader = readerSql(file, columns, asText)
  const from = locate ? `(SELECT row_number() OVER () AS __dv_rn, * FROM ${reader}) AS i` : reader
  try {
    const [row] = await duck.all(`SELECT ${suspectExprs(s, locate).join(', ')} FROM ${from}`)
    return row ?? {}
  } catch (e) {
    throw await explainReadError(e, file)
  }
}

/** The SELECT list of scanSuspects, over the suspect columns read as text (and `__dv_rn` when locating). */
function suspectExprs(s: Suspects, locate: boolean): string[] {
  const exprs: string[] = []
  // where (the first record number) and which (its value) of the records `test` holds for; counted when not locating
  const first = (test: string, key: string, i: number, valueOf: string) => locate
    ? [`min(__dv_rn) FILTER (WHERE ${test}) AS ${key}${i}`, `arg_min(${valueOf}, __dv_rn) FILTER (WHERE ${test}) AS ${key}v${i}`]
    : [`count(*) FILTER (WHERE ${test}) AS ${key}${i}`]
  s.doubles.forEach((c, i) => {
    const raw = quoteIdent(c.name)
    const v = `trim(${raw})`
    const isInt = `regexp_full_match(${v}, ${INTEGER})`
    // Each test starts with a cheap one on the raw text, in a CASE, which DuckDB evaluates only for the rows
    // that reach its branch (a FILTER's AND runs both sides on every value): a value with a '.' is no integer,
    // one of 38 bytes or fewer has no more than 38 digits, and only an exponent or more than 308 digits
    // overflows a double. On bench.csv's double column (2M values) the scan took 319 ms instead of 1,018.
    const nonInt = `CASE WHEN contains(${raw}, '.') THEN true ELSE NOT ${isInt} END`
    const tooBig = `CASE WHEN strlen(${raw}) > ${MAX_DECIMAL_DIGITS} THEN ${isInt} AND length(ltrim(ltrim(${v}, '+-'), '0')) > ${MAX_DECIMAL_DIGITS} ELSE false END`
    const inf = `CASE WHEN strlen(${raw}) > 308 OR contains(${raw}, 'e') OR contains(${raw}, 'E') THEN isinf(TRY_CAST(${v} AS DOUBLE)) AND NOT regexp_matches(lower(${v}), 'inf') ELSE false END`
    exprs.push(`count(${raw}) AS n${i}`, `count(*) FILTER (WHERE ${nonInt}) AS nonint${i}`, ...first(tooBig, 'big', i, v), ...first(inf, 'inf', i, v))
  })
  const refuted = (list: DuckColumn[], key: string, swapped: string | undefined): void => list.forEach((c, i) => {
    const v = `trim(${quoteIdent(c.name)})`
    exprs.push(`count(*) FILTER (WHERE ${v} IS NOT NULL AND try_strptime(${v}, ${quoteLiteral(swapped!)}) IS NULL) AS ${key}${i}`)
    if (locate) exprs.push(`arg_min(${v}, __dv_rn) AS ${key}v${i}`)
  })
  refuted(s.dates, 'd', s.dateSwap?.swapped)
  refuted(s.stamps, 't', s.stampSwap?.swapped)
  return exprs
}
