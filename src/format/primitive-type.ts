/**
 * Primitive column types as written in table metadata
 * (format-spec/table-metadata.md#types).
 */
import type { PrimitiveType } from './types.js'

const SIMPLE_TYPES: ReadonlySet<string> = new Set([
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

const DECIMAL = /^decimal\(([1-9][0-9]?),(0|[1-9][0-9]?)\)$/

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

/** True when `text` is one of the v1 primitive types, spelled canonically. */
export function isPrimitiveType(text: string): text is PrimitiveType {
  return SIMPLE_TYPES.has(text) || decimalParams(text) !== undefined
}

/** Every primitive type name, for messages ("expected one of ..."). */
export const PRIMITIVE_TYPE_NAMES = [...SIMPLE_TYPES, 'decimal(P,S)'].join(', ')
