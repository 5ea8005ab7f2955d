/**
 * Stat and partition values (format-spec/values.md): every value is a string
 * in the canonical text form of its type, or null.
 */
import { DvError, type DvErrorCode } from '../errors.js'
import { decimalParams, fixedLength } from './primitive-type.js'
import type { PrimitiveType, Transform, Type, Value } from './types.js'
import { daysInMonth, decimalToUnscaled, timestampToNanos } from './value-text.js'

/** A column type, or the result type of the month/year transforms ("YYYY-MM" / "YYYY"). */
export type ValueType = PrimitiveType | 'month' | 'year'

const INTEGER = /^-?(0|[1-9][0-9]*)$/
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/
const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/
const TIMESTAMP = /^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.[0-9]{6}$/
const TIMESTAMP_NS = /^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.[0-9]{9}$/
const TIME = /^([0-9]{2}):([0-9]{2}):([0-9]{2})\.[0-9]{6}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
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

function clockProblem(h: string, m: string, s: string): string | undefined {
  return Number(h) > 23 || Number(m) > 59 || Number(s) > 59 ? 'no such time of day' : undefined
}

function timestampProblem(text: string, zone: boolean, nanos: boolean): string | undefined {
  const fraction = nanos ? 'fffffffff' : 'ffffff'
  const expected = zone ? `expected YYYY-MM-DDTHH:MM:SS.${fraction}Z (UTC)` : `expected YYYY-MM-DDTHH:MM:SS.${fraction} (no zone)`
  if (zone !== text.endsWith('Z')) return expected
  const m = (nanos ? TIMESTAMP_NS : TIMESTAMP).exec(zone ? text.slice(0, -1) : text)
  if (!m) return expected
  if (dateProblem(m[1]!)) return 'no such date'
  const problem = clockProblem(m[2]!, m[3]!, m[4]!)
  if (problem) return problem
  // Nanosecond timestamps are stored as int64 nanoseconds: 1677-09-21 to 2262-04-11.
  if (!nanos) return undefined
  const ns = timestampToNanos(text)
  return ns < LONG_MIN || ns > LONG_MAX ? 'outside the int64 nanosecond range (1677-09-21 to 2262-04-11)' : undefined
}

function timeProblem(text: string): string | undefined {
  const m = TIME.exec(text)
  return m ? clockProblem(m[1]!, m[2]!, m[3]!) : 'expected HH:MM:SS.ffffff'
}

function fixedProblem(text: string, type: string): string | undefined {
  const length = fixedLength(type)
  if (length === undefined) return `unknown type '${type}'`
  return HEX.test(text) && text.length === 2 * length ? undefined : `expected lowercase hex of exactly ${length} bytes`
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
    case 'time':
      return timeProblem(text)
    case 'timestamp':
    case 'timestamptz':
      return timestampProblem(text, type === 'timestamptz', false)
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return timestampProblem(text, type === 'timestamptz_ns', true)
    case 'uuid':
      return UUID.test(text) ? undefined : 'expected a lowercase uuid (8-4-4-4-12 hex digits)'
    case 'month':
      return MONTH.test(text) ? undefined : 'expected YYYY-MM'
    case 'year':
      return YEAR.test(text) ? undefined : 'expected YYYY'
    default:
      return type.startsWith('fixed(') ? fixedProblem(text, type) : decimalProblem(text, type)
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
 * code point order for strings; byte order for binary, fixed and uuid;
 * chronological for dates, times and timestamps. Null sorts before every value. Both texts MUST be
 * canonical for `type` (see valueProblem); other input gives no meaningful order.
 */
export function compareValues(type: ValueType, a: Value, b: Value): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1
  return compareTexts(type, widenValue(type, a), widenValue(type, b))
}

function compareTexts(type: ValueType, a: string, b: string): number {
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
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
    case 'uuid':
    case 'month':
    case 'year':
      // Lowercase hex and fixed-width forms (4-digit years, zero-padded fields) sort as text.
      return a < b ? -1 : a > b ? 1 : 0
    default:
      if (type.startsWith('fixed(')) return a < b ? -1 : a > b ? 1 : 0
      return sign(decimalToUnscaled(a) - decimalToUnscaled(b))
  }
}

const DATE_ONLY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/

/**
 * A statistic as a value of `type`. Statistics keep the form of the type a
 * file was written with; after a promotion every old form is already a
 * valid text of the new type (int -> long, float -> double, wider decimals),
 * except a date in a column promoted to timestamp or timestamp_ns: it means
 * midnight and becomes `YYYY-MM-DDT00:00:00.000000[000]`
 * (format-spec/values.md#statistics). Other texts are returned unchanged.
 */
export function widenValue(type: ValueType, text: string): string {
  if ((type === 'timestamp' || type === 'timestamp_ns') && DATE_ONLY.test(text)) {
    return `${text}T00:00:00.${type === 'timestamp' ? '000000' : '000000000'}`
  }
  return text
}

const CALENDAR_SOURCES: ReadonlySet<string> = new Set(['date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns'])

/**
 * True when `transform` may be applied to a column of `sourceType`
 * (format-spec/values.md#partition-transforms): identity to every primitive
 * but float and double; day, month and year to dates and timestamps of both
 * precisions; nothing to a nested type.
 */
export function isTransformAllowed(transform: Transform, sourceType: Type): boolean {
  if (typeof sourceType !== 'string') return false
  if (transform === 'identity') return sourceType !== 'float' && sourceType !== 'double'
  return CALENDAR_SOURCES.has(sourceType)
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
 * instants, timestamp values wall-clock times (either precision); all are cut
 * from their canonical text. Throws INVALID_ARGUMENT for a transform not allowed on the
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
