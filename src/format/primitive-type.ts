/**
 * Primitive column types as written in table metadata
 * (format-spec/table-metadata.md#types).
 */
import type { PrimitiveType } from './types.js'

/** The types of table kind v1; a table using only these is written as `dv:table:v1`. */
const V1_TYPES: ReadonlySet<string> = new Set([
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'string',
  'binary',
  'date',
  'timestamp',
  'timestamptz',
])

/** Added with table kind v2 (Iceberg v2/v3 types); decimal keeps its v1 form. */
const V2_TYPES: ReadonlySet<string> = new Set(['time', 'timestamp_ns', 'timestamptz_ns', 'uuid'])

/**
 * Iceberg v3 types that dv has planned but cannot store yet. Nothing on disk
 * may use them; the schema text parser and the io layer refuse them as
 * UNSUPPORTED naming the column.
 */
export const PLANNED_TYPES: readonly string[] = ['geometry', 'geography', 'variant']

const DECIMAL = /^decimal\(([1-9][0-9]?),(0|[1-9][0-9]?)\)$/
const FIXED = /^fixed\(([1-9][0-9]{0,9})\)$/
/** Longest fixed(L): a Parquet FIXED_LEN_BYTE_ARRAY length is an int32. */
export const MAX_FIXED_LENGTH = 2 ** 31 - 1

export interface DecimalParams {
  precision: number
  scale: number
}

/** Precision and scale of `decimal(P,S)`, or undefined for any other text. */
export function decimalParams(type: string): DecimalParams | undefined {
  const m = DECIMAL.exec(type)
  if (!m) return undefined
  const precision = Number(m[1])
  const scale = Number(m[2])
  if (precision > 38 || scale > precision) return undefined
  return { precision, scale }
}

/** The length L of `fixed(L)` (1 <= L <= 2^31-1), or undefined for any other text. */
export function fixedLength(type: string): number | undefined {
  const m = FIXED.exec(type)
  if (!m) return undefined
  const length = Number(m[1])
  return length <= MAX_FIXED_LENGTH ? length : undefined
}

/** True when `text` is a primitive type, spelled canonically. */
export function isPrimitiveType(text: string): text is PrimitiveType {
  return V1_TYPES.has(text) || V2_TYPES.has(text) || decimalParams(text) !== undefined || fixedLength(text) !== undefined
}

/** True for the primitive types of table kind v1 (the types every dv reads). */
export function isV1PrimitiveType(type: PrimitiveType): boolean {
  return V1_TYPES.has(type) || decimalParams(type) !== undefined
}

/** Every primitive type name, for messages ("expected one of ..."). */
export const PRIMITIVE_TYPE_NAMES = [...V1_TYPES, ...V2_TYPES, 'decimal(P,S)', 'fixed(L)'].join(', ')
