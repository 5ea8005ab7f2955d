/**
 * dv's canonical value texts (format-spec/values.md) in Iceberg's forms:
 * statistics as Iceberg's single-value binary serialization (Iceberg spec,
 * Appendix D), and partition values as the Avro values of the manifest's
 * `partition` record. Pure: no I/O.
 */
import { decimalParams, fixedLength } from '../../format/primitive-type.js'
import { dateToDays, decimalToUnscaled, timestampToMicros, timeToMicros } from '../../format/value-text.js'
import { widenValue } from '../../format/values.js'
import type { PrimitiveType, Transform } from '../../format/types.js'

/**
 * The Appendix D bytes of a statistic of `type`, or undefined when Iceberg
 * has no bound for it (dv exports no other types). A statistic written
 * before a promotion keeps its file's form in dv; it is widened first, so the
 * bytes always have the width of the current type.
 */
export function boundBytes(type: PrimitiveType, text: string): Buffer | undefined {
  const value = widenValue(type, text)
  switch (type) {
    case 'boolean':
      return Buffer.from([value === 'true' ? 1 : 0])
    case 'int':
      return int32(Number(value))
    case 'date':
      return int32(dateToDays(value))
    case 'long':
      return int64(BigInt(value))
    case 'time':
      return int64(timeToMicros(value))
    case 'timestamp':
    case 'timestamptz':
      return int64(timestampToMicros(value))
    case 'float': {
      const b = Buffer.alloc(4)
      b.writeFloatLE(Number(value))
      return b
    }
    case 'double': {
      const b = Buffer.alloc(8)
      b.writeDoubleLE(Number(value))
      return b
    }
    case 'string':
      return Buffer.from(value, 'utf8')
    case 'binary':
      return Buffer.from(value, 'hex')
    case 'uuid':
      return Buffer.from(value.replaceAll('-', ''), 'hex')
    default:
      if (type.startsWith('fixed(')) return Buffer.from(value, 'hex')
      if (type.startsWith('decimal(')) return twosComplement(decimalToUnscaled(value))
      return undefined
  }
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32LE(n)
  return b
}

function int64(n: bigint): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigInt64LE(n)
  return b
}

/** The minimal big-endian two's-complement bytes of `n` (Iceberg's decimal form; Avro's decimal bytes too). */
export function twosComplement(n: bigint): Buffer {
  let length = 1
  while (n < -(1n << BigInt(8 * length - 1)) || n >= 1n << BigInt(8 * length - 1)) length++
  return fixedTwosComplement(n, length)
}

function fixedTwosComplement(n: bigint, length: number): Buffer {
  const b = Buffer.alloc(length)
  let v = BigInt.asUintN(8 * length, n)
  for (let i = length - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return b
}

/** Bytes of Avro's `fixed` that holds a decimal of `precision` digits (Iceberg's manifest form of decimals). */
export function decimalFixedSize(precision: number): number {
  let size = 1
  while (10n ** BigInt(precision) > 1n << BigInt(8 * size - 1)) size++
  return size
}

/** The Avro type (without the null branch) of a partition field: Iceberg's transform result type. */
export function partitionAvroType(transform: Transform, source: PrimitiveType, fieldId: number): unknown {
  if (transform === 'day') return { type: 'int', logicalType: 'date' }
  if (transform === 'month' || transform === 'year') return 'int'
  switch (source) {
    case 'boolean': case 'int': case 'long': case 'string':
      return source
    case 'binary':
      return 'bytes'
    case 'date':
      return { type: 'int', logicalType: 'date' }
    case 'time':
      return { type: 'long', logicalType: 'time-micros' }
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false }
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true }
    case 'uuid':
      return { type: 'fixed', name: `uuid_fixed_${fieldId}`, size: 16, logicalType: 'uuid' }
    default: {
      const decimal = decimalParams(source)
      if (decimal) return { type: 'fixed', name: `decimal_${fieldId}`, size: decimalFixedSize(decimal.precision), logicalType: 'decimal', precision: decimal.precision, scale: decimal.scale }
      return { type: 'fixed', name: `fixed_${fieldId}`, size: fixedLength(source) }
    }
  }
}

/**
 * A dv partition value as the Avro value of its partition field: days since
 * the epoch for `day`, months since 1970-01 for `month`, years since 1970 for
 * `year` (Iceberg's transform results), the source value for `identity`.
 */
export function partitionAvroValue(transform: Transform, source: PrimitiveType, text: string | null): unknown {
  if (text === null) return null
  if (transform === 'day') return dateToDays(text)
  if (transform === 'month') return (Number(text.slice(0, 4)) - 1970) * 12 + Number(text.slice(5, 7)) - 1
  if (transform === 'year') return Number(text.slice(0, 4)) - 1970
  switch (source) {
    case 'boolean':
      return text === 'true'
    case 'int':
      return Number(text)
    case 'long':
      return BigInt(text)
    case 'string':
      return text
    case 'date':
      return dateToDays(text)
    case 'time':
      return timeToMicros(text)
    case 'timestamp':
    case 'timestamptz':
      return timestampToMicros(text)
    case 'binary':
    case 'uuid':
      return Buffer.from(text.replaceAll('-', ''), 'hex')
    default: {
      const decimal = decimalParams(source)
      if (decimal) return fixedTwosComplement(decimalToUnscaled(text), decimalFixedSize(decimal.precision))
      return Buffer.from(text, 'hex')
    }
  }
}
