/**
 * DuckDB's text form of a value (a VARCHAR cast, a Parquet footer statistic or
 * a COPY ... RETURN_STATS statistic) -> the canonical text form of the dv type
 * (format-spec/values.md). Returns undefined when the value cannot serve as a
 * min/max (NaN, strings that may have been truncated, unparseable text).
 */
import type { PrimitiveType } from '../format/types.js'
import { parseDecimal } from './duck-types.js'
import { fixedLength } from '../format/primitive-type.js'

/** 'stats' = COPY RETURN_STATS, which prints booleans as 1/0 and blobs as uppercase hex. */
export type TextFlavor = 'text' | 'stats'

/** DuckDB truncates string statistics at 256 bytes; longer-looking values are not exact. */
const MAX_STRING_STAT_BYTES = 255

const TIMESTAMP = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(\+00(?::?00)?|Z)?$/
const DATE = /^\d{4,}-\d\d-\d\d$/
const TIME = /^(\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?$/
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

export function canonicalFromDuck(type: PrimitiveType, text: string, flavor: TextFlavor = 'text'): string | undefined {
  switch (type) {
    case 'boolean':
      if (text === 'true' || text === '1') return 'true'
      if (text === 'false' || text === '0') return 'false'
      return undefined
    case 'int':
    case 'long':
      return /^-?\d+$/.test(text) ? BigInt(text).toString() : undefined
    case 'float':
    case 'double':
      return canonicalFloat(type, text)
    case 'string':
      return Buffer.byteLength(text) > MAX_STRING_STAT_BYTES ? undefined : text
    case 'binary':
      return flavor === 'stats' ? (/^[0-9A-Fa-f]*$/.test(text) ? text.toLowerCase() : undefined) : unescapeBlob(text)
    case 'date':
      return DATE.test(text) ? text : undefined
    case 'timestamp':
    case 'timestamptz':
      return canonicalTimestamp(type, text, 6)
    // timestamptz_ns is stored as TIMESTAMP_NS holding the UTC reading (duck-types.ts)
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return canonicalTimestamp(type, text, 9)
    case 'time': {
      const m = TIME.exec(text)
      return m ? `${m[1]}.${(m[2] ?? '').padEnd(6, '0')}` : undefined
    }
    case 'uuid':
      return UUID.test(text) ? text.toLowerCase() : undefined
    default: {
      const length = fixedLength(type)
      if (length !== undefined) {
        const hex = canonicalFromDuck('binary', text, flavor)
        return hex !== undefined && hex.length === 2 * length ? hex : undefined
      }
      const d = parseDecimal(type)
      return d ? canonicalDecimal(text, d.scale) : undefined
    }
  }
}

function canonicalFloat(type: 'float' | 'double', text: string): string | undefined {
  const lower = text.toLowerCase()
  let n: number
  if (lower === 'inf' || lower === 'infinity' || lower === '+inf') n = Infinity
  else if (lower === '-inf' || lower === '-infinity') n = -Infinity
  else if (lower === 'nan' || lower === '-nan') return undefined
  else n = Number(text)
  if (Number.isNaN(n) || text.trim() === '') return undefined
  // A float is a float32: its canonical text is that exact value's shortest double form.
  if (type === 'float') n = Math.fround(n)
  if (Object.is(n, -0)) return '-0'
  return String(n)
}

function canonicalTimestamp(type: 'timestamp' | 'timestamptz' | 'timestamp_ns' | 'timestamptz_ns', text: string, digits: 6 | 9): string | undefined {
  const m = TIMESTAMP.exec(text)
  if (!m) return undefined
  const zoned = m[8] !== undefined
  // DuckDB prints timestamptz with an offset; timestamptz_ns is stored zone-less (as its UTC reading)
  if (zoned !== (type === 'timestamptz')) return undefined
  const fraction = (m[7] ?? '').padEnd(digits, '0').slice(0, digits)
  const z = type === 'timestamptz' || type === 'timestamptz_ns' ? 'Z' : ''
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${fraction}${z}`
}

function canonicalDecimal(text: string, scale: number): string | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text)
  if (!m) return undefined
  const fraction = m[3] ?? ''
  if (fraction.length > scale && /[1-9]/.test(fraction.slice(scale))) return undefined
  const digits = m[2].replace(/^0+(?=\d)/, '')
  const frac = fraction.padEnd(scale, '0').slice(0, scale)
  const zero = /^0*$/.test(digits + frac)
  return `${m[1] && !zero ? '-' : ''}${digits}${scale > 0 ? '.' + frac : ''}`
}

/** DuckDB prints blobs with printable ASCII as-is and every other byte as \xHH. */
function unescapeBlob(text: string): string | undefined {
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === 'x' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 2, i + 4))) {
      bytes.push(parseInt(text.slice(i + 2, i + 4), 16))
      i += 3
    } else {
      const code = text.charCodeAt(i)
      if (code > 0x7f) return undefined
      bytes.push(code)
    }
  }
  return Buffer.from(bytes).toString('hex')
}

/** The partition value of `transform` applied to a canonical value of a date/timestamp/timestamptz column. */
export function applyTimeTransform(transform: 'day' | 'month' | 'year', canonical: string): string {
  const len = transform === 'day' ? 10 : transform === 'month' ? 7 : 4
  return canonical.slice(0, len)
}

/** Orders two canonical values of one type (as Parquet statistics order them). */
export function compareCanonical(type: PrimitiveType, a: string, b: string): number {
  switch (type) {
    case 'int':
    case 'long':
      return cmp(BigInt(a), BigInt(b))
    case 'float':
    case 'double':
      return cmp(Number(a), Number(b))
    case 'string':
      return cmp(Buffer.from(a), Buffer.from(b))
    default: {
      const d = parseDecimal(type)
      if (d) return cmp(BigInt(a.replace('.', '')), BigInt(b.replace('.', '')))
      // boolean, binary (hex), date and timestamps order as their canonical text
      return a < b ? -1 : a > b ? 1 : 0
    }
  }
}

function cmp<T extends number | bigint | Buffer>(a: T, b: T): number {
  if (Buffer.isBuffer(a)) return Buffer.compare(a, b as Buffer)
  return a < b ? -1 : a > b ? 1 : 0
}
