/**
 * NDJSON that is not a table, refused before anything is written.
 *
 * - Records that are not objects (`5`, `"x"`, `[1, 2]`): DuckDB reads them as
 *   one column named `json`, which no key of the input named.
 * - A key or nested field whose values have different JSON types
 *   (`{"p": {"x": 1}}` on one line, `{"p": {"x": "a"}}` on another): DuckDB
 *   types it JSON, and a JSON value read as text keeps its quotes (the string
 *   `a` would be stored as `"a"`) while a top-level one read as a string
 *   column would store the number 1 as the text `1` and an object as its JSON
 *   text: a type changed silently. A column holds one type, so dv names the
 *   key, the types and the lines where each first occurs; a late one is found
 *   when the sample missed it (sample-check.ts). A key or field with one type
 *   of value, or none (only nulls, or empty arrays and objects), is read as
 *   before. A column the table's schema declares (a string column reads any
 *   value as its JSON text) is not checked here.
 */
import type { DuckDBType } from '@duckdb/node-api'
import { DvError } from '../errors.js'
import type { ReadableFile } from './readers.js'
import { textLines } from './text-lines.js'

/** How many records DuckDB detects NDJSON column types from (its sample_size default). */
const SAMPLE_RECORDS = 20_480

/** A step from a value to one inside it: an object's key, a list's elements, or a map's values. */
type Step = { key: string } | 'element' | 'value'

interface RawColumn {
  name: string
  duckType: string
  structured?: DuckDBType
}

/** Refuses NDJSON whose records are not objects, or whose nested fields mix JSON types (see the top of this file). */
export async function checkNdjsonShape(file: ReadableFile, raw: RawColumn[]): Promise<void> {
  if (raw.length === 1 && raw[0].name === 'json') await refuseNonObjects(file)
  const paths = raw.flatMap((c) => (c.structured ? jsonPaths(c.structured, [{ key: c.name }]) : c.duckType === 'JSON' ? [[{ key: c.name }]] : []))
  if (paths.length === 0) return
  const mixed = await firstMixedPath(file, paths)
  if (!mixed) return
  const { path, kinds } = mixed
  const name = describePath(path)
  const [a, b] = kinds
  const column = path.length === 1 && typeof path[0] === 'object' ? path[0].key : undefined
  // past the sample (the records DuckDB chose the column's type from), the first type is the one it chose
  const late = b.line > SAMPLE_RECORDS ? ` (after the first ${SAMPLE_RECORDS.toLocaleString('en-US')} records, from which the column's type was chosen: ${a.kind})` : ''
  throw new DvError('INVALID_ARGUMENT', `${file.name}: ${name} ${typeof path[path.length - 1] === 'object' ? 'holds' : 'hold'} ${article(a.kind)} on line ${a.line} and ${article(b.kind)} on line ${b.line}${late}; a column holds values of one type, and dv does not convert one to another`, {
    hint: column === undefined
      ? 'make it one type in the input (e.g. quote the numbers)'
      : `make the values of '${column}' one JSON type in the input, or declare '${column}' a string column to keep each value's JSON text: a new table with --schema "${column} string, ..." (or write to a table whose '${column}' is a string)`,
    details: { file: file.name, path: name, lines: [a.line, b.line], types: [a.kind, b.kind], ...(column === undefined ? {} : { column }) },
  })
}

/** The paths below the nested DuckDB type `type` whose leaves DuckDB typed JSON. */
function jsonPaths(type: DuckDBType, path: Step[]): Step[][] {
  const t = type as unknown as { entryNames?: readonly string[]; entryTypes?: readonly DuckDBType[]; keyType?: DuckDBType; valueType?: DuckDBType }
  const text = type.toString()
  if (t.entryNames && t.entryTypes && text.startsWith('STRUCT')) {
    const types = t.entryTypes
    return t.entryNames.flatMap((key, i) => jsonPaths(types[i]!, [...path, { key }]))
  }
  if (t.keyType && t.valueType) return jsonPaths(t.valueType, [...path, 'value'])
  if (t.valueType) return jsonPaths(t.valueType, [...path, 'element'])
  // inside a nested type JSON is VARCHAR with the alias JSON
  return text === 'JSON' || (type as { alias?: string }).alias === 'JSON' ? [path] : []
}

interface Seen { kind: string; line: number }

/** The first path whose values have two JSON types, with where each first occurs; one pass, stopping there. */
async function firstMixedPath(file: ReadableFile, paths: Step[][]): Promise<{ path: Step[]; kinds: Seen[] } | undefined> {
  const seen = paths.map(() => new Map<string, number>())
  let found: { path: Step[]; kinds: Seen[] } | undefined
  await forEachLine(file, (text, line) => {
    let record: unknown
    try {
      record = JSON.parse(text)
    } catch {
      return true // the engine read it, so it is not damage dv must name here
    }
    paths.forEach((path, i) => {
      if (found) return
      for (const value of valuesAt(record, path)) {
        const kind = kindOf(value)
        if (kind === undefined || seen[i].has(kind)) continue
        seen[i].set(kind, line)
        if (seen[i].size === 2) {
          found = { path, kinds: [...seen[i]].map(([k, l]) => ({ kind: k, line: l })) }
          return
        }
      }
    })
    return found === undefined
  })
  return found
}

function* valuesAt(value: unknown, path: Step[], from = 0): Generator<unknown> {
  if (from === path.length) {
    yield value
    return
  }
  if (value === null || typeof value !== 'object') return
  const step = path[from]
  if (step === 'element') {
    if (Array.isArray(value)) for (const v of value) yield* valuesAt(v, path, from + 1)
  } else if (step === 'value') {
    if (!Array.isArray(value)) for (const v of Object.values(value)) yield* valuesAt(v, path, from + 1)
  } else if (!Array.isArray(value) && Object.hasOwn(value, step.key)) {
    yield* valuesAt((value as Record<string, unknown>)[step.key], path, from + 1)
  }
}

/** The JSON type of a value; null (no type) and empty arrays and objects (no values) decide nothing. */
function kindOf(value: unknown): string | undefined {
  if (value === null) return undefined
  if (Array.isArray(value)) return value.length ? 'array' : undefined
  if (typeof value === 'object') return Object.keys(value).length ? 'object' : undefined
  return typeof value
}

function article(kind: string): string {
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`
}

/** "key 'a.b'", "the elements of key 'tags'", "key 'points[].x'", for messages. */
function describePath(path: Step[]): string {
  const last = path[path.length - 1]
  const inner = typeof last === 'object' ? path : path.slice(0, -1)
  const name = inner.map((s) => (s === 'element' || s === 'value' ? '[]' : `.${s.key}`)).join('').slice(1)
  return `${last === 'element' ? 'the elements of ' : last === 'value' ? 'the values of ' : ''}key '${name}'`
}

async function refuseNonObjects(file: ReadableFile): Promise<void> {
  let first: { text: string; line: number } | undefined
  await forEachLine(file, (text, line) => {
    first = { text, line }
    return false
  })
  if (!first || first.text.trimStart().startsWith('{')) return
  let kind = 'value'
  try {
    kind = kindOf(JSON.parse(first.text)) ?? (first.text.trim() === 'null' ? 'null' : 'empty value')
  } catch {
    // the engine read it; name it by its look
  }
  throw new DvError('INVALID_ARGUMENT', `${file.name} line ${first.line} is ${article(kind)}, not a JSON object: each NDJSON record is an object whose keys are the columns`, {
    hint: 'write one object per line, e.g. {"value": 5}',
    details: { file: file.name, line: first.line },
  })
}

/** Calls `fn` with each non-blank line (1-based numbers) of a plain or gzip NDJSON file until it returns false. */
async function forEachLine(file: ReadableFile, fn: (text: string, line: number) => boolean): Promise<void> {
  const lines = textLines(file)
  if (!lines) return
  let line = 0
  for await (const bytes of lines) {
    line++
    const text = bytes.toString('utf8')
    if (text.trim() !== '' && !fn(text, line)) return
  }
}
