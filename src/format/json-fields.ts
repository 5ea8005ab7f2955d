/**
 * Reading fields out of parsed JSON with the JSON path of every problem.
 * Decoders throw FieldProblem; decodeObject() turns it into a DvError that
 * names the object (CORRUPT when reading, INVALID_ARGUMENT when writing).
 */
import { DvError } from '../errors.js'
import { isObjectId, type ObjectId } from '../ids.js'
import { childPath } from './canonical-json.js'

export class FieldProblem extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`)
    this.name = 'FieldProblem'
  }
}

export function fail(path: string, problem: string): never {
  throw new FieldProblem(path, problem)
}

export type JsonObject = Record<string, unknown>

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v)
  return String(v)
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A JSON object with exactly the `required` keys plus any of the `optional` ones. */
export function readObject(v: unknown, path: string, required: readonly string[], optional: readonly string[] = []): JsonObject {
  if (!isJsonObject(v)) fail(path, `expected an object, found ${describe(v)}`)
  for (const key of required) if (!Object.hasOwn(v, key)) fail(childPath(path, key), 'required field is missing')
  for (const key of Object.keys(v)) {
    if (!required.includes(key) && !optional.includes(key)) fail(childPath(path, key), 'unknown field')
  }
  return v
}

export function readArray(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, `expected an array, found ${describe(v)}`)
  return v
}

export function readString(v: unknown, path: string, options: { nonEmpty?: boolean } = {}): string {
  if (typeof v !== 'string') fail(path, `expected a string, found ${describe(v)}`)
  if (options.nonEmpty && v.length === 0) fail(path, 'must not be empty')
  return v
}

export function readBoolean(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, `expected true or false, found ${describe(v)}`)
  return v
}

/** A safe integer in [min, max] (both inclusive). */
export function readInteger(v: unknown, path: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(path, `expected an integer, found ${describe(v)}`)
  if (v < min || v > max) fail(path, `${v} is out of range [${min}, ${max}]`)
  return v
}

/** A non-negative safe integer (rows, bytes, files, counts). */
export function readCount(v: unknown, path: string): number {
  return readInteger(v, path, 0)
}

/** True for what readCount takes, without a path (a decoder's fast path). */
export function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0
}

export function readObjectId(v: unknown, path: string): ObjectId {
  const s = readString(v, path)
  if (!isObjectId(s)) fail(path, `expected 64 lowercase hex digits, found ${describe(s)}`)
  return s
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function readUuid(v: unknown, path: string): string {
  const s = readString(v, path)
  if (!UUID.test(s)) fail(path, `expected a lowercase uuid, found ${describe(s)}`)
  return s
}

/** A JSON object used as a map; entries built with Object.fromEntries, so keys like "__proto__" stay plain data. */
export function readMap<T>(v: unknown, path: string, readEntry: (value: unknown, path: string, key: string) => T): Record<string, T> {
  if (!isJsonObject(v)) fail(path, `expected an object, found ${describe(v)}`)
  return Object.fromEntries(Object.entries(v).map(([key, value]) => [key, readEntry(value, childPath(path, key), key)]))
}

/** True for a field id used as a map key: decimal, no leading zeros, within [min, 2^31-1]. */
export function isIdKey(key: string, min: number): boolean {
  return /^[1-9][0-9]{0,9}$/.test(key) && Number(key) >= min && Number(key) <= 2 ** 31 - 1
}

/** A field id used as a map key (isIdKey), as a number. */
export function readIdKey(key: string, path: string, min: number): number {
  if (!isIdKey(key, min)) fail(path, `key ${JSON.stringify(key)} is not a field id >= ${min}`)
  return Number(key)
}

export type Direction = 'read' | 'write'

/**
 * Runs a decoder and turns a FieldProblem into a DvError naming `what` and
 * the path: CORRUPT when reading an object, INVALID_ARGUMENT when asked to
 * write an invalid one.
 */
export function decodeObject<T>(what: string, direction: Direction, decode: () => T): T {
  try {
    return decode()
  } catch (e) {
    if (!(e instanceof FieldProblem)) throw e
    if (direction === 'write') {
      throw new DvError('INVALID_ARGUMENT', `cannot write ${what}: ${e.path}: ${e.problem}`, { details: { object: what, path: e.path } })
    }
    throw new DvError('CORRUPT', `${what} is corrupt: ${e.path}: ${e.problem}`, {
      hint: "the object is damaged or was not written by dv; run 'dv fsck' to find every damaged object",
      details: { object: what, path: e.path },
    })
  }
}

const KNOWN_KINDS = new Set(['config', 'snapshot', 'table', 'manifest', 'reflog', 'settings'])
const KIND = /^dv:([a-z][a-z0-9-]*):v([0-9]+)$/

/**
 * Checks `$.kind` before anything else: another version of the expected kind,
 * or a kind this dv has never heard of, is UNSUPPORTED; a known kind other
 * than the expected one is CORRUPT (the wrong object). `expected` lists every
 * version this dv reads, newest last.
 */
export function checkKind(json: unknown, expected: string | readonly string[], what: string): JsonObject {
  const kinds = typeof expected === 'string' ? [expected] : expected
  const newest = kinds.at(-1)!
  return decodeObject(what, 'read', () => {
    if (!isJsonObject(json)) fail('$', `expected an object, found ${describe(json)}`)
    if (!Object.hasOwn(json, 'kind')) fail('$.kind', 'required field is missing')
    const kind = readString(json.kind, '$.kind')
    if (kinds.includes(kind)) return json
    const found = KIND.exec(kind)
    const wanted = KIND.exec(newest)!
    if (found && (found[1] === wanted[1] || !KNOWN_KINDS.has(found[1]!))) {
      const reads = kinds.map((k) => `'${k}'`).join(' and ')
      throw new DvError('UNSUPPORTED', `${what} has kind '${kind}', which this version of dv cannot read (it reads ${reads})`, {
        hint: 'it was probably written by a newer dv; upgrade dv',
        details: { object: what, kind },
      })
    }
    return fail('$.kind', `expected ${kinds.map((k) => `'${k}'`).join(' or ')}, found ${describe(kind)}`)
  })
}
