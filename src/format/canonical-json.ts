/**
 * Canonical JSON (format-spec/objects.md#canonical-json): the one byte form
 * of every metadata object, so equal content always hashes to the same id.
 *
 * - keys sorted by UTF-16 code units, no duplicates, no whitespace;
 * - strings escaped exactly as JSON.stringify does, lone surrogates invalid;
 * - numbers are integers with |n| <= 2^53-1 in plain decimal, never -0.
 *
 * parseCanonical accepts only bytes that equal the canonical serialization
 * of what they parse to.
 */
import { DvError } from '../errors.js'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const LONE_SURROGATE = /\p{Cs}/u

/** A value that canonicalize() cannot write, with the JSON path where it was found. */
export class CanonicalJsonError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`)
    this.name = 'CanonicalJsonError'
  }
}

/** JSON path of a child: `$.a.b`, `$.files[3]`, `$.tables["x-y"]`. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`
  return /^[A-Za-z0-9_-]+$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
}

function writeString(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) throw new CanonicalJsonError(path, 'string contains a lone surrogate')
  return JSON.stringify(s)
}

/** Deeper than any dv object; bounds recursion on hostile input. */
const MAX_DEPTH = 32

function writeValue(value: unknown, path: string, out: string[], depth = 0): void {
  if (value === null) return void out.push('null')
  switch (typeof value) {
    case 'boolean':
      return void out.push(value ? 'true' : 'false')
    case 'string':
      return void out.push(writeString(value, path))
    case 'number':
      if (!Number.isInteger(value)) throw new CanonicalJsonError(path, `${value} is not an integer (write fractions as strings)`)
      if (!Number.isSafeInteger(value)) {
        throw new CanonicalJsonError(path, `${value} is outside the safe integer range ±(2^53-1) (write 64-bit values as strings)`)
      }
      if (Object.is(value, -0)) throw new CanonicalJsonError(path, '-0 is not allowed')
      return void out.push(String(value))
    case 'object':
      break
    default:
      throw new CanonicalJsonError(path, `a ${typeof value} cannot be written as JSON`)
  }
  if (depth >= MAX_DEPTH) throw new CanonicalJsonError(path, `nested deeper than ${MAX_DEPTH} levels`)
  if (Array.isArray(value)) {
    out.push('[')
    value.forEach((item, i) => {
      if (i > 0) out.push(',')
      writeValue(item, childPath(path, i), out, depth + 1)
    })
    return void out.push(']')
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) {
    throw new CanonicalJsonError(path, 'only plain objects, arrays, strings, integers, booleans and null are allowed')
  }
  const record = value as Record<string, unknown>
  const keys = Object.keys(record).sort()
  out.push('{')
  keys.forEach((key, i) => {
    const child = childPath(path, key)
    if (record[key] === undefined) throw new CanonicalJsonError(child, 'undefined is not allowed (omit the field)')
    if (i > 0) out.push(',')
    out.push(writeString(key, child), ':')
    writeValue(record[key], child, out, depth + 1)
  })
  out.push('}')
}

/** Thrown by fastText on anything it cannot write: writeValue then finds the path and the reason. One instance: no stack per failure. */
const NOT_CANONICAL = new Error('not canonical')

/** Node 20 has String.prototype.isWellFormed (ES2024); the lib this project compiles against (ES2023) does not type it. */
type WellFormed = string & { isWellFormed(): boolean }

/**
 * The same rules as writeValue without the JSON path of every node: reading
 * a manifest re-serializes every value it parsed (parseCanonical), and
 * building a path string for each of its thousands of nodes cost more than
 * the parse itself. Only a failure needs the path, and writeValue computes it.
 */
function fastText(value: unknown, depth: number): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'string':
      if (!(value as WellFormed).isWellFormed()) throw NOT_CANONICAL
      return JSON.stringify(value)
    case 'number':
      if (!Number.isSafeInteger(value) || Object.is(value, -0)) throw NOT_CANONICAL
      return String(value)
    case 'object':
      break
    default:
      throw NOT_CANONICAL
  }
  if (depth >= MAX_DEPTH) throw NOT_CANONICAL
  if (Array.isArray(value)) {
    let text = '['
    for (let i = 0; i < value.length; i++) text += (i > 0 ? ',' : '') + fastText(value[i], depth + 1)
    return text + ']'
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) throw NOT_CANONICAL
  const record = value as Record<string, unknown>
  const keys = Object.keys(record).sort()
  let text = '{'
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    const child = record[key]
    if (child === undefined || !(key as WellFormed).isWellFormed()) throw NOT_CANONICAL
    text += (i > 0 ? ',' : '') + JSON.stringify(key) + ':' + fastText(child, depth + 1)
  }
  return text + '}'
}

/** The canonical JSON text of `value`; throws CanonicalJsonError for anything not canonicalisable. */
export function canonicalText(value: unknown): string {
  try {
    return fastText(value, 0)
  } catch (e) {
    if (e !== NOT_CANONICAL) throw e
  }
  // not canonicalisable: the path-tracking writer names where and why
  const out: string[] = []
  writeValue(value, '$', out)
  return out.join('')
}

/**
 * The canonical JSON bytes of `value`. Throws DvError INVALID_ARGUMENT naming
 * the JSON path for floats, unsafe integers, -0, undefined, lone surrogates,
 * and anything that is not a plain object, array, string, boolean or null.
 */
export function canonicalize(value: unknown): Uint8Array {
  try {
    return encoder.encode(canonicalText(value))
  } catch (e) {
    if (e instanceof CanonicalJsonError) {
      throw new DvError('INVALID_ARGUMENT', `cannot write canonical json: ${e.message}`, {
        details: { path: e.path },
      })
    }
    throw e
  }
}

function corrupt(what: string, problem: string, details: Record<string, unknown> = {}): DvError {
  return new DvError('CORRUPT', `${what} is corrupt: ${problem}`, {
    hint: "the object is damaged or was not written by dv; run 'dv fsck' to find every damaged object",
    details: { object: what, ...details },
  })
}

/** Describes the first difference between the input and its canonical form. */
function describeDifference(text: string, canonical: string): string {
  let i = 0
  while (i < text.length && i < canonical.length && text[i] === canonical[i]) i++
  const found = text[i]
  const at = `at character ${i}`
  if (found === undefined) return `not canonical json: it ends early ${at}`
  if (i === canonical.length) {
    return /^\s+$/.test(text.slice(i)) ? `not canonical json: trailing whitespace ${at}` : `not canonical json: extra text ${at}`
  }
  if (/\s/.test(found)) return `not canonical json: insignificant whitespace ${at}`
  const context = JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))
  return `not canonical json ${at} near ${context} (key order, duplicate keys, string escapes or number form differ)`
}

/**
 * For a value parsed from `text`, with JSON.stringify(value) === text: true
 * only when canonicalText(value) === text as well. JSON.stringify writes what
 * canonicalText does (no whitespace, its escapes, integers in plain decimal)
 * except for what is checked here, by fastText's rules: keys in its sorted
 * order (strictly ascending: JSON.parse already kept one of duplicates, so
 * the text would differ), safe integers and no -0, well-formed strings and
 * keys, and the depth. False sends the caller to the full check, which
 * accepts or names the problem exactly as before.
 */
function keepsRules(value: unknown, depth: number): boolean {
  if (value === null) return true
  switch (typeof value) {
    case 'boolean':
      return true
    case 'string':
      return (value as WellFormed).isWellFormed()
    case 'number':
      return Number.isSafeInteger(value) && !Object.is(value, -0)
    case 'object':
      break
    default:
      return false
  }
  if (depth >= MAX_DEPTH) return false
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!keepsRules(value[i], depth + 1)) return false
    return true
  }
  const record = value as Record<string, unknown>
  let previous: string | undefined
  for (const key in record) {
    if ((previous !== undefined && !(previous < key)) || !(key as WellFormed).isWellFormed() || !keepsRules(record[key], depth + 1)) return false
    previous = key
  }
  return true
}

/**
 * Parses canonical JSON bytes. Throws DvError CORRUPT naming `what` when the
 * bytes are not UTF-8, not JSON, or not byte-identical to the canonical
 * serialization of the parsed value.
 */
export function parseCanonical(bytes: Uint8Array, what: string): unknown {
  if (bytes.length === 0) throw corrupt(what, 'it is empty')
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) throw corrupt(what, 'not canonical json: it starts with a byte order mark')
  let text: string
  try {
    text = decoder.decode(bytes)
  } catch {
    throw corrupt(what, 'it is not valid utf-8')
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e)
    throw corrupt(what, `it is not valid json (${reason.toLowerCase()})`)
  }
  // the common case, without building the canonical text again (read cold, once per process, that cost more
  // than the parse): the value keeps the rules JSON.stringify does not check, and the bytes are what it writes
  // back (the rules first: they bound the depth JSON.stringify recurses to)
  if (keepsRules(value, 0) && JSON.stringify(value) === text) return value
  let canonical: string
  try {
    canonical = canonicalText(value)
  } catch (e) {
    if (e instanceof CanonicalJsonError) {
      throw corrupt(what, `not canonical json: ${e.message}`, { path: e.path })
    }
    throw e
  }
  if (canonical !== text) throw corrupt(what, describeDifference(text, canonical))
  return value
}
