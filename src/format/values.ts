/**
 * Stat and partition values (format-spec/values.md): every value is a string
 * in the canonical text form of its type, or null.
 */
import { DvError, type DvErrorCode } from '../errors.js'
import { decimalParams } from './primitive-type.js'
import type { PrimitiveType, Transform, Value } from './types.js'
import { daysInMonth, decimalToUnscaled } from './value-text.js'

/** A column type, or the result type of the month/year transforms ("YYYY-MM" / "YYYY"). */
export type ValueType = PrimitiveType | 'month' | 'year'

const INTEGER = /^-?(0|[1-9][0-9]*)$/
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/
const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/
const TIMESTAMP = /^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.[0-9]{6}$/
const MONTH = /^[0-9]{4}-(0[1-9]|1[0-2])$/
const YEAR = /^[0-9]{4}$/
const HEX = /^(?:[0-9a-f]{2})*$/
const INT_MIN = -(2n ** 31n)
const INT_MAX = 2n ** 31n - 1n
const LONG_MIN = -(2n ** 63n)
const LONG_MAX = 2n ** 63n - 1n

function integerProblem(text: string, min: bigint, max: bigint): string | undefined {
  if (!INTEGER.test(text) || text === '-0') return 'expected a plain decimal integer'
  const n = BigInt(text)
  return n < min || n > max ? `out of range [${min}, ${max}]` : undefined
}

function floatProblem(text: string, single: boolean): string | undefined {
  const n = Number(text)
  if (text !== '-0' && (text === '' || String(n) !== text)) return 'expected the shortest round-trip form, e.g. 1.5, 1e+21, NaN, -Infinity'
  if (single && !Number.isNaN(n) && Math.fround(n) !== n) return 'not a 32-bit float value'
  return undefined
}

function decimalProblem(text: string, type: string): string | undefined {
  const params = decimalParams(type)
  if (!params) return `unknown type '${type}'`
  const m = DECIMAL.exec(text)
  const fraction = m?.[2] === undefined ? 0 : m[2].length - 1
  if (!m || fraction !== params.scale) return `expected a plain decimal with exactly ${params.scale} fraction digits`
  if (/^-0(\.0*)?$/.test(text)) return 'zero has no sign'
  const whole = m[1] === '0' ? 0 : m[1]!.length
  if (whole + params.scale > params.precision) return `more than ${params.precision} digits`
  return undefined
}

function dateProblem(text: string): string | undefined {
  const m = DATE.exec(text)
  if (!m) return 'expected YYYY-MM-DD'
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return 'no such date'
  return undefined
}

function timestampProblem(text: string, zone: boolean): string | undefined {
  const expected = zone ? 'expected YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC)' : 'expected YYYY-MM-DDTHH:MM:SS.ffffff (no zone)'
  if (zone !== text.endsWith('Z')) return expected
  const m = TIMESTAMP.exec(zone ? text.slice(0, -1) : text)
  if (!m) return expected
  if (dateProblem(m[1]!)) return 'no such date'
  if (Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4]) > 59) return 'no such time of day'
  return undefined
}

/** Why `text` is not the canonical text of a `type` value, or undefined when it is. */
export function valueProblem(type: ValueType, text: string): string | undefined {
  switch (type) {
    case 'boolean':
      return text === 'true' || text === 'false' ? undefined : 'expected true or false'
    case 'int':
      return integerProblem(text, INT_MIN, INT_MAX)
    case 'long':
      return integerProblem(text, LONG_MIN, LONG_MAX)
    case 'float':
    case 'double':
      return floatProblem(text, type === 'float')
    case 'string':
      return undefined
    case 'binary':
      return HEX.test(text) ? undefined : 'expected lowercase hex'
    case 'date':
      return dateProblem(text)
    case 'timestamp':
    case 'timestamptz':
      return timestampProblem(text, type === 'timestamptz')
    case 'month':
      return MONTH.test(text) ? undefined : 'expected YYYY-MM'
    case 'year':
      return YEAR.test(text) ? undefined : 'expected YYYY'
    default:
      return decimalProblem(text, type)
  }
}

export interface ValidateValueOptions {
  /** Error code to throw: CORRUPT when reading metadata, INVALID_ARGUMENT for input (the default). */
  code?: DvErrorCode
  /** What the value is, for the message (e.g. "min of column amount"). */
  what?: string
}

/** Throws DvError (INVALID_ARGUMENT by default) unless `text` is the canonical text of a `type` value. */
export function validateValue(type: ValueType, text: string, options: ValidateValueOptions = {}): void {
  const problem = valueProblem(type, text)
  if (problem) {
    throw new DvError(options.code ?? 'INVALID_ARGUMENT', `invalid ${type} ${options.what ?? 'value'} ${JSON.stringify(text)}: ${problem}`)
  }
}

/** Orders strings by Unicode code point (the order of their UTF-8 bytes). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y)
  }
  return a.length - b.length
}

/** Moves surrogates above U+E000-U+FFFF, turning UTF-16 order into code point order. */
function codeUnitRank(c: number): number {
  return c >= 0xe000 ? c - 0x800 : c >= 0xd800 ? c + 0x2000 : c
}

function sign(n: number | bigint): number {
  return n > 0 ? 1 : n < 0 ? -1 : 0
}

/** Total order on floats: -Infinity < ... < -0 < 0 < ... < Infinity < NaN. */
function compareFloats(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number(Number.isNaN(a)) - Number(Number.isNaN(b))
  if (a === 0 && b === 0) return Number(!Object.is(a, -0)) - Number(!Object.is(b, -0))
  return sign(a - b)
}

/**
 * Compares two canonical texts of one type: -1, 0 or 1. Exact for int, long
 * and decimal (BigInt); a total order for floats (-0 before 0, NaN last);
 * code point order for strings; byte order for binary; chronological for
 * dates and timestamps. Null sorts before every value. Both texts MUST be
 * canonical for `type` (see valueProblem); other input gives no meaningful order.
 */
export function compareValues(type: ValueType, a: Value, b: Value): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1
  switch (type) {
    case 'boolean':
      return Number(a === 'true') - Number(b === 'true')
    case 'int':
    case 'long':
      return sign(BigInt(a) - BigInt(b))
    case 'float':
    case 'double':
      return compareFloats(Number(a), Number(b))
    case 'string':
      return sign(compareCodePoints(a, b))
    case 'binary':
    case 'date':
    case 'timestamp':
    case 'timestamptz':
    case 'month':
    case 'year':
      // Fixed-width forms (lowercase hex, 4-digit years, zero-padded fields) sort as text.
      return a < b ? -1 : a > b ? 1 : 0
    default:
      return sign(decimalToUnscaled(a) - decimalToUnscaled(b))
  }
}

/** True when `transform` may be applied to a column of `sourceType` (format-spec/table-metadata.md#transforms). */
export function isTransformAllowed(transform: Transform, sourceType: PrimitiveType): boolean {
  if (transform === 'identity') return sourceType !== 'float' && sourceType !== 'double'
  return sourceType === 'date' || sourceType === 'timestamp' || sourceType === 'timestamptz'
}

/**
 * The type of a transform's result: identity keeps the source type; day ->
 * date; month and year -> string ("YYYY-MM" and "YYYY", which sort as text).
 */
export function transformResultType(transform: Transform, sourceType: PrimitiveType): PrimitiveType {
  const type = partitionValueType(transform, sourceType)
  return type === 'month' || type === 'year' ? 'string' : type
}

/** Like transformResultType, but month and year keep their own forms, for validation. */
export function partitionValueType(transform: Transform, sourceType: PrimitiveType): ValueType {
  switch (transform) {
    case 'identity':
      return sourceType
    case 'day':
      return 'date'
    case 'month':
      return 'month'
    case 'year':
      return 'year'
  }
}

/**
 * The partition value of one source value. Timestamptz values are UTC
 * instants, timestamp values wall-clock times; both are cut from their
 * canonical text. Throws INVALID_ARGUMENT for a transform not allowed on the
 * type or a value that is not canonical.
 */
export function applyTransform(transform: Transform, sourceType: PrimitiveType, value: string): string
export function applyTransform(transform: Transform, sourceType: PrimitiveType, value: Value): Value
export function applyTransform(transform: Transform, sourceType: PrimitiveType, value: Value): Value {
  if (!isTransformAllowed(transform, sourceType)) {
    throw new DvError('INVALID_ARGUMENT', `transform ${transform} does not apply to type ${sourceType}`)
  }
  if (value === null) return null
  validateValue(sourceType, value, { what: 'partition source value' })
  switch (transform) {
    case 'identity':
      return value
    case 'day':
      return value.slice(0, 10)
    case 'month':
      return value.slice(0, 7)
    case 'year':
      return value.slice(0, 4)
  }
}
