/**
 * Conversions between engine values (numbers, bigints, days, microseconds,
 * bytes) and the canonical text forms of format-spec/values.md. Years are
 * limited to 0000-9999 (proleptic Gregorian calendar).
 */
import { DvError } from '../errors.js'

export const MICROS_PER_DAY = 86_400_000_000n
export const NANOS_PER_DAY = 86_400_000_000_000n
const MIN_DAYS = daysFromCivil(0, 1, 1)
const MAX_DAYS = daysFromCivil(9999, 12, 31)

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
}

export function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeapYear(y) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** [year, month, day] of a day number (days since 1970-01-01). */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d]
}

const pad = (n: number | bigint, width: number): string => String(n).padStart(width, '0')

function outOfRange(what: string, value: unknown): DvError {
  return new DvError('INVALID_ARGUMENT', `${what} ${String(value)} is outside years 0000-9999`, {
    hint: 'dv metadata represents dates and timestamps from 0000-01-01 to 9999-12-31',
  })
}

/** "YYYY-MM-DD" for a day number (days since 1970-01-01). */
export function formatDate(days: number): string {
  if (!Number.isSafeInteger(days) || days < MIN_DAYS || days > MAX_DAYS) throw outOfRange('date', days)
  const [y, m, d] = civilFromDays(days)
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`
}

/** "HH:MM:SS" followed by "." and the sub-second `fraction` padded to `digits` digits. */
function timeOfDay(seconds: bigint, fraction: bigint, digits: number): string {
  return `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}.${pad(fraction, digits)}`
}

/** Timestamp text for `ticks` since the epoch, `perSecond` ticks a second (10^6 or 10^9, giving 6 or 9 digits). */
function formatTicks(ticks: bigint, perSecond: bigint, zone: boolean, original: unknown): string {
  const perDay = perSecond * 86_400n
  let days = ticks / perDay
  let rest = ticks % perDay
  if (rest < 0n) {
    rest += perDay
    days -= 1n
  }
  if (days < BigInt(MIN_DAYS) || days > BigInt(MAX_DAYS)) throw outOfRange('timestamp', original)
  const time = timeOfDay(rest / perSecond, rest % perSecond, perSecond === 1_000_000n ? 6 : 9)
  return `${formatDate(Number(days))}T${time}${zone ? 'Z' : ''}`
}

/**
 * "YYYY-MM-DDTHH:MM:SS.ffffff" (timestamp) or the same with a trailing "Z"
 * (timestamptz, `zone` true) for microseconds since 1970-01-01T00:00:00.
 */
export function formatTimestamp(micros: bigint | number, zone: boolean): string {
  return formatTicks(typeof micros === 'bigint' ? micros : BigInt(micros), 1_000_000n, zone, micros)
}

/**
 * "YYYY-MM-DDTHH:MM:SS.fffffffff" (timestamp_ns) or the same with a trailing
 * "Z" (timestamptz_ns) for nanoseconds since the epoch. A bigint: nanoseconds
 * exceed 2^53 within days of 1970, so JS numbers would round them.
 */
export function formatTimestampNanos(nanos: bigint, zone: boolean): string {
  return formatTicks(nanos, 1_000_000_000n, zone, nanos)
}

/** Seconds since the epoch of the date and time-of-day fields of a canonical timestamp text. */
function epochSeconds(text: string): bigint {
  const days = daysFromCivil(Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10)))
  const seconds = Number(text.slice(11, 13)) * 3600 + Number(text.slice(14, 16)) * 60 + Number(text.slice(17, 19))
  return BigInt(days) * 86_400n + BigInt(seconds)
}

/** Digits of the fraction of a canonical timestamp or time text (after the '.', without a trailing 'Z'). */
function fractionDigits(text: string, from: number): string {
  const end = text.endsWith('Z') ? text.length - 1 : text.length
  return text.slice(from, end)
}

/** Microseconds since the epoch of a canonical timestamp or timestamptz text (not validated here). */
export function timestampToMicros(text: string): bigint {
  return epochSeconds(text) * 1_000_000n + BigInt(text.slice(20, 26))
}

/**
 * Nanoseconds since the epoch of a canonical timestamp text of any precision
 * (timestamp, timestamptz, timestamp_ns, timestamptz_ns; not validated here).
 */
export function timestampToNanos(text: string): bigint {
  return epochSeconds(text) * 1_000_000_000n + BigInt(fractionDigits(text, 20).padEnd(9, '0'))
}

/** "HH:MM:SS.ffffff" for microseconds since midnight, 0 <= micros < 86400 * 10^6. */
export function formatTime(micros: bigint | number): string {
  const us = typeof micros === 'bigint' ? micros : BigInt(micros)
  if (us < 0n || us >= MICROS_PER_DAY) {
    throw new DvError('INVALID_ARGUMENT', `time ${String(micros)} is not a time of day`, {
      hint: 'a time is microseconds since midnight, from 0 to 86399999999',
    })
  }
  return timeOfDay(us / 1_000_000n, us % 1_000_000n, 6)
}

/** Microseconds since midnight of a canonical time text (not validated here). */
export function timeToMicros(text: string): bigint {
  const seconds = Number(text.slice(0, 2)) * 3600 + Number(text.slice(3, 5)) * 60 + Number(text.slice(6, 8))
  return BigInt(seconds) * 1_000_000n + BigInt(text.slice(9, 15))
}

/** Days since the epoch of a canonical date text (not validated here). */
export function dateToDays(text: string): number {
  return daysFromCivil(Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10)))
}

/** Plain decimal with exactly `scale` fraction digits, e.g. (1230n, 2) -> "12.30". */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0')
  const whole = digits.slice(0, digits.length - scale)
  const text = scale === 0 ? whole : `${whole}.${digits.slice(digits.length - scale)}`
  return negative ? `-${text}` : text
}

/** The unscaled integer of a canonical decimal text, e.g. "-0.50" -> -50n. */
export function decimalToUnscaled(text: string): bigint {
  return BigInt(text.replace('.', ''))
}

/** JS shortest round-trip form; -0 is "-0". */
export function formatFloat(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n)
}

/** Lowercase hex of bytes. */
export function formatBinary(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Lowercase 8-4-4-4-12 text of 16 bytes (big-endian, as RFC 9562 and Parquet's UUID write them). */
export function formatUuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new DvError('INVALID_ARGUMENT', `a uuid has 16 bytes, not ${bytes.length}`)
  const h = formatBinary(bytes)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
