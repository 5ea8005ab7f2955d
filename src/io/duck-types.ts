/**
 * DuckDB type names <-> dv PrimitiveType, and which conversions a write may
 * apply on its own (lossless ones only). Unsigned integers map to the
 * smallest signed type that holds every value (UBIGINT to decimal(20,0)).
 * DuckDB has no nanosecond TIMESTAMPTZ: a timestamptz_ns column is stored
 * as TIMESTAMP_NS holding the UTC reading (format-spec/table-metadata.md#types),
 * and fixed(L) as BLOB, its length checked on write.
 */
import { DvError } from '../errors.js'
import { fixedLength } from '../format/primitive-type.js'
import type { PrimitiveType, Type } from '../format/types.js'
import { isLosslessNested, nestedDuckType } from './duck-nested.js'

const DIRECT: Record<string, PrimitiveType> = {
  BOOLEAN: 'boolean',
  TINYINT: 'int',
  SMALLINT: 'int',
  INTEGER: 'int',
  UTINYINT: 'int',
  USMALLINT: 'int',
  BIGINT: 'long',
  UINTEGER: 'long',
  UBIGINT: 'decimal(20,0)',
  FLOAT: 'float',
  DOUBLE: 'double',
  VARCHAR: 'string',
  UUID: 'uuid',
  JSON: 'string',
  BLOB: 'binary',
  DATE: 'date',
  TIME: 'time',
  TIMESTAMP: 'timestamp',
  TIMESTAMP_S: 'timestamp',
  TIMESTAMP_MS: 'timestamp',
  TIMESTAMP_NS: 'timestamp_ns',
  'TIMESTAMP WITH TIME ZONE': 'timestamptz',
  TIMESTAMPTZ: 'timestamptz',
}

/** Types dv refuses by name: the Iceberg v3 types it has planned, and DuckDB's names for them. */
const PLANNED: Array<[RegExp, string]> = [[/^GEOMETRY\b/, 'geometry'], [/^GEOGRAPHY\b/, 'geography'], [/^VARIANT\b/, 'variant']]

/** DuckDB types a dv type would hold only with loss, and what to do instead. */
const LOSSY: Record<string, string> = {
  TIME_NS: 'a time of day in nanoseconds (dv time has microseconds): cast it to time or string in the source',
  'TIME WITH TIME ZONE': 'a time of day with an offset: cast it to time (in UTC) or string in the source',
  HUGEINT: 'a 128-bit integer: cast it to decimal(38,0) in the source',
  UHUGEINT: 'a 128-bit unsigned integer: cast it to decimal(38,0) in the source',
  INTERVAL: 'an interval: cast it to a string or a number of seconds in the source',
}

/** Maps the type DuckDB reports for an input column; anything else is UNSUPPORTED naming the column and the type. */
export function toPrimitiveType(column: string, duckType: string, source: string): PrimitiveType {
  const direct = DIRECT[duckType]
  if (direct) return direct
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(duckType)
  if (dec) return `decimal(${Number(dec[1])},${Number(dec[2])})`
  const planned = PLANNED.find(([re]) => re.test(duckType))?.[1]
  if (planned) {
    throw new DvError('UNSUPPORTED', `column '${column}' of ${source} has type ${planned}, which dv tables cannot store yet`, {
      hint: `convert it in the source (e.g. ${planned === 'variant' ? 'to a JSON string' : 'to WKB binary or WKT text'}), or leave the column out`,
      details: { column, type: planned, source },
    })
  }
  throw new DvError('UNSUPPORTED', `column '${column}' of ${source} has type ${duckType}, which dv tables cannot store`, {
    hint: LOSSY[duckType] ?? 'cast it to a string (or a supported type) in the source',
    details: { column, type: duckType, source },
  })
}

/** The DuckDB type a table column is stored as (nested types: STRUCT(...), T[], MAP(K, V)). */
export function toDuckType(type: Type): string {
  if (typeof type !== 'string') return nestedDuckType(type, toDuckType)
  switch (type) {
    case 'boolean': return 'BOOLEAN'
    case 'int': return 'INTEGER'
    case 'long': return 'BIGINT'
    case 'float': return 'FLOAT'
    case 'double': return 'DOUBLE'
    case 'string': return 'VARCHAR'
    case 'binary': return 'BLOB'
    case 'date': return 'DATE'
    case 'time': return 'TIME'
    case 'timestamp': return 'TIMESTAMP'
    case 'timestamptz': return 'TIMESTAMP WITH TIME ZONE'
    case 'timestamp_ns': return 'TIMESTAMP_NS'
    // the UTC reading of the instant: DuckDB has no TIMESTAMPTZ in nanoseconds
    case 'timestamptz_ns': return 'TIMESTAMP_NS'
    case 'uuid': return 'UUID'
    default: {
      if (fixedLength(type) !== undefined) return 'BLOB'
      const d = parseDecimal(type)
      if (!d) throw new DvError('UNSUPPORTED', `columns of type ${type} cannot be read or written by this version of dv`, { details: { type } })
      return `DECIMAL(${d.precision},${d.scale})`
    }
  }
}

export function parseDecimal(type: string): { precision: number; scale: number } | undefined {
  const m = /^decimal\((\d+),(\d+)\)$/.exec(type)
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined
}

const INTEGER_DIGITS: Partial<Record<PrimitiveType, number>> = { int: 10, long: 19 }
const NUMERIC = new Set(['int', 'long', 'float', 'double'])

export function isNumeric(type: PrimitiveType): boolean {
  return NUMERIC.has(type) || parseDecimal(type) !== undefined
}

/**
 * True when every value of `from` converts to `to` without loss (the write
 * casts on its own): int->long, int/long->double, float->double, integers
 * into decimals wide enough, and decimals into wider decimals. long->double
 * rounds beyond 2^53; it is accepted as a numeric widening all the same.
 */
export function isLosslessCast(from: Type, to: Type): boolean {
  if (typeof from !== 'string' || typeof to !== 'string') return isLosslessNested(from, to, isLosslessCast)
  if (from === to) return true
  if (from === 'date' && (to === 'timestamp' || to === 'timestamp_ns')) return true
  if (from === 'binary' && fixedLength(to) !== undefined) return true
  if (from === 'int' && (to === 'long' || to === 'double')) return true
  if (from === 'long' && to === 'double') return true
  if (from === 'float' && to === 'double') return true
  const target = parseDecimal(to)
  if (!target) return false
  const intDigits = INTEGER_DIGITS[from]
  if (intDigits !== undefined) return target.precision - target.scale >= intDigits
  const source = parseDecimal(from)
  return source !== undefined && target.scale >= source.scale && target.precision - target.scale >= source.precision - source.scale
}
