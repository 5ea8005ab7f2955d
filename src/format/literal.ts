/**
 * Lenient literals typed by people (predicates, CLI options) turned into the
 * canonical text of format-spec/values.md. Never rounds: a literal that the
 * type cannot hold exactly is an error.
 */
import { DvError } from '../errors.js'
import { decimalParams, fixedLength } from './primitive-type.js'
import type { PrimitiveType } from './types.js'
import { formatDecimal, formatFloat, formatTimestamp, formatTimestampNanos, timestampToMicros, timestampToNanos } from './value-text.js'
import { valueProblem } from './values.js'

const LOOSE_INTEGER = /^[+-]?[0-9]+$/
const FLOAT = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/
const SPECIAL_FLOATS = new Map<string, number>([
  ['nan', NaN],
  ['inf', Infinity],
  ['+inf', Infinity],
  ['infinity', Infinity],
  ['+infinity', Infinity],
  ['-inf', -Infinity],
  ['-infinity', -Infinity],
])
const LOOSE_DECIMAL = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/
const LOOSE_TIME = /^([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?$/
const LOOSE_UUID = /^\{?([0-9a-fA-F]{8})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{12})\}?$/
const LOOSE_TIMESTAMP =
  /^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?)?\s*(Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?$/

function invalid(type: string, text: string, problem: string): DvError {
  return new DvError('INVALID_ARGUMENT', `invalid ${type} literal ${JSON.stringify(text)}: ${problem}`)
}

function checked(type: PrimitiveType, text: string, canonical: string): string {
  const problem = valueProblem(type, canonical)
  if (problem) throw invalid(type, text, problem)
  return canonical
}

function parseDecimalLiteral(type: string, text: string, scale: number): string {
  const m = LOOSE_DECIMAL.exec(text)
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw invalid(type, text, 'expected a decimal number such as 12.30')
  const fraction = m[3] ?? ''
  if (fraction.length > scale && /[^0]/.test(fraction.slice(scale))) {
    throw invalid(type, text, `more than ${scale} fraction digits`)
  }
  const digits = `${m[2] || '0'}${fraction.slice(0, scale).padEnd(scale, '0')}`
  const unscaled = BigInt(digits) * (m[1] === '-' ? -1n : 1n)
  return formatDecimal(unscaled, scale)
}

function zoneOffsetMicros(zone: string): bigint {
  if (zone === 'Z' || zone === 'z') return 0n
  const digits = zone.slice(1).replace(':', '')
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')
  return BigInt(minutes) * 60_000_000n * (zone.startsWith('-') ? -1n : 1n)
}

type TimestampType = 'timestamp' | 'timestamptz' | 'timestamp_ns' | 'timestamptz_ns'

/** Keeps `digits` fraction digits of `fraction`; more precise non-zero digits are an error, never rounded. */
function exactFraction(type: string, text: string, fraction: string, digits: number): string {
  if (fraction.length > digits && /[^0]/.test(fraction.slice(digits))) {
    throw invalid(type, text, `more precise than ${digits === 6 ? 'microseconds' : 'nanoseconds'}`)
  }
  return fraction.slice(0, digits).padEnd(digits, '0')
}

function parseTimestampLiteral(type: TimestampType, text: string): string {
  const nanos = type.endsWith('_ns')
  const zoned = type.startsWith('timestamptz')
  const m = LOOSE_TIMESTAMP.exec(text)
  if (!m) throw invalid(type, text, `expected YYYY-MM-DD[THH:MM[:SS[.${nanos ? 'fffffffff' : 'ffffff'}]]]` + (zoned ? '[Z|+HH:MM]' : ''))
  const [, date, hh = '00', mm = '00', ss = '00', fraction = '', zone] = m
  if (zone !== undefined && !zoned) {
    throw invalid(type, text, `a ${type} has no time zone; drop the offset or use a ${nanos ? 'timestamptz_ns' : 'timestamptz'} column`)
  }
  const wall = `${date}T${hh}:${mm}:${ss}.${exactFraction(type, text, fraction, nanos ? 9 : 6)}`
  const problem = valueProblem(nanos ? 'timestamp_ns' : 'timestamp', wall)
  if (problem && !(zoned && problem.startsWith('outside'))) throw invalid(type, text, problem)
  if (!zoned) return wall
  let canonical: string
  try {
    const offset = zoneOffsetMicros(zone ?? 'Z')
    canonical = nanos ? formatTimestampNanos(timestampToNanos(wall) - offset * 1000n, true) : formatTimestamp(timestampToMicros(wall) - offset, true)
  } catch {
    throw invalid(type, text, 'outside years 0000-9999 in UTC')
  }
  return checked(type, text, canonical)
}

function parseTimeLiteral(text: string): string {
  const m = LOOSE_TIME.exec(text)
  if (!m) throw invalid('time', text, 'expected HH:MM[:SS[.ffffff]]')
  const [, hh, mm, ss = '00', fraction = ''] = m
  return checked('time', text, `${hh}:${mm}:${ss}.${exactFraction('time', text, fraction, 6)}`)
}

function parseUuidLiteral(text: string): string {
  const m = LOOSE_UUID.exec(text)
  if (!m) throw invalid('uuid', text, 'expected 32 hex digits as 8-4-4-4-12')
  return m.slice(1).join('-').toLowerCase()
}

function parseFixedLiteral(type: string, text: string): string {
  const length = fixedLength(type)
  if (length === undefined) throw invalid(type, text, 'unknown type')
  const hex = text.toLowerCase()
  if (!/^(?:[0-9a-f]{2})*$/.test(hex) || hex.length !== 2 * length) throw invalid(type, text, `expected ${2 * length} hex digits (${length} bytes)`)
  return hex
}

/**
 * The canonical text of a literal typed by a person: integers may carry '+'
 * or leading zeros, decimals may have fewer fraction digits, booleans any
 * case, binary any-case hex, timestamps may omit seconds or fraction and use
 * ' ' for 'T'. A timestamptz literal without an offset is UTC; with one it is
 * converted to UTC. Times may omit seconds or fraction; uuids may be in any
 * case, without hyphens or in braces; fixed is hex of exactly L bytes in any
 * case. Throws INVALID_ARGUMENT naming the literal.
 */
export function parseLiteral(type: PrimitiveType, text: string): string {
  const t = text.trim()
  switch (type) {
    case 'boolean': {
      const lower = t.toLowerCase()
      if (lower !== 'true' && lower !== 'false') throw invalid(type, text, 'expected true or false')
      return lower
    }
    case 'int':
    case 'long':
      if (!LOOSE_INTEGER.test(t)) throw invalid(type, text, 'expected an integer')
      return checked(type, text, BigInt(t).toString())
    case 'float':
    case 'double': {
      const special = SPECIAL_FLOATS.get(t.toLowerCase())
      const n = special ?? (FLOAT.test(t) ? Number(t) : NaN)
      if (Number.isNaN(n) && special === undefined) throw invalid(type, text, 'expected a number')
      return formatFloat(type === 'float' ? Math.fround(n) : n)
    }
    case 'string':
      return text
    case 'binary':
      return checked(type, text, t.toLowerCase())
    case 'date':
      return checked(type, text, t)
    case 'time':
      return parseTimeLiteral(t)
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return parseTimestampLiteral(type, t)
    case 'uuid':
      return parseUuidLiteral(t)
    default: {
      if (type.startsWith('fixed(')) return parseFixedLiteral(type, t)
      const params = decimalParams(type)
      if (!params) throw invalid(type, text, 'unknown type')
      return checked(type, text, parseDecimalLiteral(type, t, params.scale))
    }
  }
}
