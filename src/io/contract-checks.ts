/**
 * A data contract's row-level tests and uniqueness, evaluated in the
 * sandbox over data files read as scans read them (by field id, cast to the
 * table's types). Every bound, value and pattern comes from the contract
 * file and is quoted as a SQL literal here: the contract's text never
 * becomes SQL (only a `type: sql` rule is SQL, and contract-sql.ts checks it).
 * All tests over one set of files run as one aggregate pass; only a failing
 * test pays for a second query, for its sample rows.
 */
import { DvError } from '../errors.js'
import type { Field, Schema } from '../format/types.js'
import type { RepeatedValues, RepeatProbe, RowCounts, RowTest, RowTestResult, ScanFile } from './types.js'
import { duckMessage, quoteIdent, quoteLiteral, toDvError } from './duck.js'
import { toDuckType } from './duck-types.js'
import { filesRelation } from './scan.js'
import type { Sandbox } from './sandbox.js'

function fieldOf(schema: Schema, column: string): Field {
  const field = schema.fields.find((f) => f.name === column)
  if (!field) throw new DvError('INVALID_ARGUMENT', `the contract names column '${column}', which the table does not have`, { hint: `columns: ${schema.fields.map((f) => f.name).join(', ')}` })
  return field
}

/**
 * `text` has a match of `regex` somewhere (a partial match, as JSON
 * Schema's `pattern`), written as a FULL match of the regex between two
 * runs of anything. The same strings match: `^` and `$` still bind to the
 * ends of the text, `\b` sees the same neighbours, and a flag group of the
 * regex ends with the group that wraps it. The point is the engine:
 * regexp_full_match is evaluated once per dictionary entry of a
 * dictionary-encoded column and regexp_matches once per row (a pattern on a
 * 2,000,000-row column of 5 values: 3 ms against 30 ms, DuckDB 1.5).
 * The regex was checked on its own (contract set), so the wrapping group
 * cannot pair with a parenthesis of it; only `\Q` could quote the closing
 * one, and such a regex keeps regexp_matches.
 */
export function partialMatch(text: string, regex: string): string {
  if (regex.includes('\\Q')) return `regexp_matches(${text}, ${quoteLiteral(regex)})`
  return `regexp_full_match(${text}, ${quoteLiteral(`(?s:.*?)(?:${regex})(?s:.*)`)})`
}

/** The column's value, as text, is one of `values` (NULL for a null value). */
function textIn(col: string, values: readonly string[]): string {
  return `list_contains([${values.map(quoteLiteral).join(', ')}], CAST(${col} AS VARCHAR))`
}

/** The SQL condition true for a row that FAILS `test` (never NULL: a null value fails only notNull and missing). */
export function failingCondition(test: RowTest, schema: Schema): string {
  const field = fieldOf(schema, test.column)
  const col = quoteIdent(field.name)
  const type = toDuckType(field.type)
  switch (test.kind) {
    case 'notNull':
      return `${col} IS NULL`
    case 'range': {
      const parts = [
        ...(test.min !== undefined ? [`${col} < CAST(${quoteLiteral(test.min)} AS ${type})`] : []),
        ...(test.max !== undefined ? [`${col} > CAST(${quoteLiteral(test.max)} AS ${type})`] : []),
      ]
      return parts.length ? `coalesce(${parts.join(' OR ')}, false)` : 'false'
    }
    case 'length': {
      const text = `CAST(${col} AS VARCHAR)`
      const len = `length(${text})`
      const parts = [...(test.min !== undefined ? [`${len} < ${test.min}`] : []), ...(test.max !== undefined ? [`${len} > ${test.max}`] : [])]
      if (!parts.length) return 'false'
      // length() decodes UTF-8 to count code points; a value has between a quarter of its bytes (strlen,
      // read from the string's header) and all of them, so the bytes settle most rows and only the
      // rest are decoded (CASE evaluates its THEN for those rows alone)
      const bytes = `strlen(${text})`
      const maybe = [...(test.min !== undefined ? [`${bytes} < ${4 * test.min}`] : []), ...(test.max !== undefined ? [`${bytes} > ${test.max}`] : [])]
      return `CASE WHEN ${maybe.join(' OR ')} THEN coalesce(${parts.join(' OR ')}, false) ELSE false END`
    }
    case 'pattern':
      return `coalesce(NOT ${partialMatch(`CAST(${col} AS VARCHAR)`, test.regex)}, false)`
    // list_contains rather than IN: the engine evaluates it once per dictionary entry (5 values over
    // 2,000,000 rows: 5 ms against 15 ms); NULL for a null value, as IN, so a null fails neither test
    case 'in':
      return test.values.length ? `coalesce(NOT ${textIn(col, test.values)}, false)` : 'false'
    case 'missing':
      return test.values.length ? `(${col} IS NULL OR coalesce(${textIn(col, test.values)}, false))` : `${col} IS NULL`
  }
}

/** Every column of a row as text (nested values as DuckDB prints them), for sample rows. */
function textColumns(schema: Schema): string {
  return schema.fields.map((f) => `CAST(${quoteIdent(f.name)} AS VARCHAR) AS ${quoteIdent(f.name)}`).join(', ')
}

function asText(row: Record<string, unknown>): Record<string, string | null> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]))
}

function checkError(e: unknown, doing: string): DvError {
  const message = duckMessage(e)
  if (/regex|regular expression/i.test(message)) {
    return new DvError('INVALID_ARGUMENT', `a pattern of the contract is not a valid regular expression: ${message}`, { hint: 'patterns use RE2 syntax (no lookaround or backreferences)' })
  }
  return toDvError(e, doing, { hint: 'a data file may be missing from the store; run dv fsck' })
}

export async function countFailingRows(sandbox: Sandbox, files: ScanFile[], schema: Schema, tests: RowTest[], samples: number): Promise<RowTestResult[]> {
  return (await countRows(sandbox, files, schema, tests, [], samples)).tests
}

/**
 * A probe's two counts: rows in [min, max] minus the bits they set (one bit
 * per distinct value: bitstring_agg, no hash table), and rows outside the
 * range, which make the first count unusable. Nulls are in neither.
 */
function probeCounts(probe: RepeatProbe, schema: Schema, i: number): string[] {
  const v = `CAST(${quoteIdent(fieldOf(schema, probe.column).name)} AS BIGINT)`
  const [lo, hi] = [probe.min, probe.max].map((x) => `CAST(${quoteLiteral(x)} AS BIGINT)`)
  const inRange = `${v} BETWEEN ${lo} AND ${hi}`
  return [
    `count_if(${inRange}) - coalesce(bit_count(bitstring_agg(${v}, ${lo}, ${hi}) FILTER (WHERE ${inRange})), 0) AS r${i}`,
    `count_if(${v} < ${lo} OR ${v} > ${hi}) AS o${i}`,
  ]
}

export async function countRows(sandbox: Sandbox, files: ScanFile[], schema: Schema, tests: RowTest[], probes: RepeatProbe[], samples: number): Promise<RowCounts> {
  if (tests.length + probes.length === 0) return { tests: [], repeatingRows: [] }
  if (files.length === 0) return { tests: tests.map(() => ({ rows: 0, samples: [] })), repeatingRows: probes.map(() => 0) }
  const conditions = tests.map((t) => failingCondition(t, schema))
  const relation = `(${filesRelation(files, schema.fields)})`
  const counts = [...conditions.map((c, i) => `count_if(${c}) AS f${i}`), ...probes.flatMap((p, i) => probeCounts(p, schema, i))]
  try {
    // every test and probe in ONE aggregate over one read of the files
    const [row] = await sandbox.all(`SELECT ${counts.join(', ')} FROM ${relation} AS t`)
    const results: RowTestResult[] = []
    for (const [i, c] of conditions.entries()) {
      const rows = Number(row?.[`f${i}`] ?? 0)
      const sampleRows = rows > 0 && samples > 0 ? await sandbox.all(`SELECT ${textColumns(schema)} FROM ${relation} AS t WHERE ${c} LIMIT ${samples}`) : []
      results.push({ rows, samples: sampleRows.map(asText) })
    }
    const repeatingRows = probes.map((_, i) => (Number(row?.[`o${i}`] ?? 0) > 0 ? undefined : Number(row?.[`r${i}`] ?? 0)))
    return { tests: results, repeatingRows }
  } catch (e) {
    throw checkError(e, 'cannot evaluate the contract over the data files')
  }
}

export async function findRepeatedValues(sandbox: Sandbox, added: ScanFile[], others: ScanFile[], schema: Schema, column: string, samples: number): Promise<RepeatedValues> {
  if (added.length === 0) return { values: 0, samples: [] }
  const col = quoteIdent(fieldOf(schema, column).name)
  const fresh = `(${filesRelation(added, schema.fields)})`
  // the rest of the table contributes only the values the new rows also have (a semi-join), so it is never grouped whole
  const old = others.length
    ? ` UNION ALL SELECT o.${col} AS v FROM (${filesRelation(others, schema.fields)}) AS o SEMI JOIN (SELECT ${col} FROM ${fresh} AS n0) AS n ON o.${col} = n.${col}`
    : ''
  const repeated = `SELECT v FROM (SELECT ${col} AS v FROM ${fresh} AS n1 WHERE ${col} IS NOT NULL${old}) AS a GROUP BY v HAVING count(*) > 1`
  try {
    const [row] = await sandbox.all(`SELECT count(*) AS n FROM (${repeated}) AS r`)
    const values = Number(row?.n ?? 0)
    if (values === 0 || samples === 0) return { values, samples: [] }
    const rows = await sandbox.all(`SELECT ${textColumns(schema)} FROM ${fresh} AS t WHERE ${col} IN (SELECT v FROM (${repeated}) AS r) LIMIT ${samples}`)
    return { values, samples: rows.map(asText) }
  } catch (e) {
    throw checkError(e, `cannot check column '${column}' for repeated values`)
  }
}

export async function countDuplicateValues(sandbox: Sandbox, files: ScanFile[], schema: Schema, column: string): Promise<number> {
  if (files.length === 0) return 0
  const col = quoteIdent(fieldOf(schema, column).name)
  try {
    const [row] = await sandbox.all(`SELECT count(${col}) - count(DISTINCT ${col}) AS n FROM (${filesRelation(files, schema.fields)}) AS t`)
    return Number(row?.n ?? 0)
  } catch (e) {
    throw checkError(e, `cannot count duplicate values of column '${column}'`)
  }
}

export async function checkPattern(sandbox: Sandbox, regex: string): Promise<void> {
  try {
    await sandbox.all(`SELECT regexp_matches('', ${quoteLiteral(regex)}) AS m`)
  } catch (e) {
    throw new DvError('INVALID_ARGUMENT', `invalid regular expression ${JSON.stringify(regex)}: ${duckMessage(e)}`, { hint: 'patterns use RE2 syntax (no lookaround or backreferences)' })
  }
}
