/**
 * DuckDB type names <-> dv PrimitiveType, and which conversions a write may
 * apply on its own (lossless ones only).
 */
import { DvError } from '../errors.js'
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
  FLOAT: 'float',
  DOUBLE: 'double',
  VARCHAR: 'string',
  UUID: 'string',
  JSON: 'string',
  BLOB: 'binary',
  DATE: 'date',
  TIMESTAMP: 'timestamp',
  TIMESTAMP_S: 'timestamp',
  TIMESTAMP_MS: 'timestamp',
  TIMESTAMP_NS: 'timestamp',
  'TIMESTAMP WITH TIME ZONE': 'timestamptz',
  TIMESTAMPTZ: 'timestamptz',
}

/** Maps the type DuckDB reports for an input column; anything else is UNSUPPORTED. */
export function toPrimitiveType(column: string, duckType: string, source: string): PrimitiveType {
  const direct = DIRECT[duckType]
  if (direct) return direct
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(duckType)
  if (dec) return `decimal(${Number(dec[1])},${Number(dec[2])})`
  throw new DvError('UNSUPPORTED', `column '${column}' of ${source} has type ${duckType}, which dv tables cannot store`, {
    hint: `cast it to a string (or a supported type) in the source; supported: boolean, int, long, float, double, decimal(p,s), string, binary, date, timestamp, timestamptz`,
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
    case 'timestamp': return 'TIMESTAMP'
    case 'timestamptz': return 'TIMESTAMP WITH TIME ZONE'
    default: {
      const d = parseDecimal(type)
      // Types of table kind v2 (time, timestamp_ns, uuid, fixed(L), ...) have no DuckDB mapping here yet.
      if (!d) throw new DvError('UNSUPPORTED', `columns of type ${type} cannot be read or written by this version of dv yet`, { details: { type } })
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
