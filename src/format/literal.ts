/**
 * Lenient literals typed by people (predicates, CLI options) turned into the
 * canonical text of format-spec/values.md. Never rounds: a literal that the
 * type cannot hold exactly is an error.
 */
import { DvError } from '../errors.js'
import { decimalParams } from './primitive-type.js'
import type { PrimitiveType } from './types.js'
import { formatDecimal, formatFloat, formatTimestamp, timestampToMicros } from './value-text.js'
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

function parseTimestampLiteral(type: 'timestamp' | 'timestamptz', text: string): string {
  const m = LOOSE_TIMESTAMP.exec(text)
  if (!m) throw invalid(type, text, 'expected YYYY-MM-DD[THH:MM[:SS[.ffffff]]]' + (type === 'timestamptz' ? '[Z|+HH:MM]' : ''))
  const [, date, hh = '00', mm = '00', ss = '00', fraction = '', zone] = m
  if (zone !== undefined && type === 'timestamp') {
    throw invalid(type, text, 'a timestamp has no time zone; drop the offset or use a timestamptz column')
  }
  if (fraction.length > 6 && /[^0]/.test(fraction.slice(6))) throw invalid(type, text, 'more precise than microseconds')
  const wall = `${date}T${hh}:${mm}:${ss}.${fraction.slice(0, 6).padEnd(6, '0')}`
  const problem = valueProblem('timestamp', wall)
  if (problem) throw invalid(type, text, problem)
  if (type === 'timestamp') return wall
  const micros = timestampToMicros(wall) - zoneOffsetMicros(zone ?? 'Z')
  try {
    return formatTimestamp(micros, true)
  } catch {
    throw invalid(type, text, 'outside years 0000-9999 in UTC')
  }
}

/**
 * The canonical text of a literal typed by a person: integers may carry '+'
 * or leading zeros, decimals may have fewer fraction digits, booleans any
 * case, binary any-case hex, timestamps may omit seconds or fraction and use
 * ' ' for 'T'. A timestamptz literal without an offset is UTC; with one it is
 * converted to UTC. Throws INVALID_ARGUMENT naming the literal.
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
    case 'timestamp':
    case 'timestamptz':
      return parseTimestampLiteral(type, t)
    default: {
      const params = decimalParams(type)
      if (!params) throw invalid(type, text, 'unknown type')
      return checked(type, text, parseDecimalLiteral(type, t, params.scale))
    }
  }
}
