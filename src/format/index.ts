/** The format layer: pure parse/serialize/validate of every on-disk object (format-spec/ is normative). */
export * from './types.js'
export { canonicalize, canonicalText, parseCanonical } from './canonical-json.js'
export { hashBytes } from './hash.js'
export { decimalParams, isPrimitiveType, type DecimalParams } from './primitive-type.js'
export {
  applyTransform,
  compareCodePoints,
  compareValues,
  isTransformAllowed,
  partitionValueType,
  transformResultType,
  validateValue,
  valueProblem,
  type ValidateValueOptions,
  type ValueType,
} from './values.js'
export {
  civilFromDays,
  MICROS_PER_DAY,
  dateToDays,
  daysFromCivil,
  decimalToUnscaled,
  formatBinary,
  formatDate,
  formatDecimal,
  formatFloat,
  formatTimestamp,
  timestampToMicros,
} from './value-text.js'
export { parseLiteral } from './literal.js'
export { parseConfig, serializeConfig } from './config.js'
export { OPERATIONS, parseSnapshot, serializeSnapshot } from './snapshot.js'
export { FIRST_PARTITION_FIELD_ID, formatPartitionBy, parsePartitionBy, TRANSFORMS } from './schema.js'
export { parseTableMetadata, serializeTableMetadata } from './table-metadata.js'
export { parseManifest, serializeManifest, summarizeManifest, summarizePartitions, validateManifest } from './manifest.js'
