/** The format layer: pure parse/serialize/validate of every on-disk object (format-spec/ is normative). */
export * from './types.js'
export { canonicalize, canonicalText, parseCanonical } from './canonical-json.js'
export { hashBytes } from '../ids.js'
export { decimalParams, fixedLength, isPrimitiveType, isV1PrimitiveType, PLANNED_TYPES, type DecimalParams } from './primitive-type.js'
export {
  allFields,
  childFields,
  fieldById,
  findField,
  isNested,
  isPrimitive,
  isV2Type,
  leafFields,
  maxFieldId,
  parseFieldPath,
  primitiveTypeOf,
  sameType,
  type FieldEntry,
  type FieldRole,
} from './fields.js'
export { assignFreshIds, assignSchemaIds, idCounter } from './field-ids.js'
export { formatFieldPath, formatType, printSchema, quoteName } from './type-text.js'
export { parseSchema, parseType } from './schema-text.js'
export {
  addColumn,
  canPromote,
  dropColumn,
  makeOptional,
  promoteColumn,
  renameColumn,
  type AddColumnOptions,
  type TableSchema,
} from './schema-evolution.js'
export { canWidenOnWrite, unionSchema } from './schema-union.js'
export { schemaDiff, type SchemaChange } from './schema-diff.js'
export {
  applyTransform,
  compareCodePoints,
  compareValues,
  isTransformAllowed,
  partitionValueType,
  transformResultType,
  validateValue,
  valueProblem,
  widenValue,
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
  formatTime,
  formatTimestamp,
  formatTimestampNanos,
  formatUuid,
  NANOS_PER_DAY,
  timestampToMicros,
  timestampToNanos,
  timeToMicros,
} from './value-text.js'
export { parseLiteral } from './literal.js'
export { parseConfig, serializeConfig } from './config.js'
export { OPERATIONS, parseSnapshot, serializeSnapshot } from './snapshot.js'
export { FIRST_PARTITION_FIELD_ID, formatPartitionBy, parsePartitionBy, TRANSFORMS } from './schema.js'
export { parseTableMetadata, serializeTableMetadata, tableKind } from './table-metadata.js'
export { parseManifest, serializeManifest, summarizeManifest, summarizePartitions, validateManifest } from './manifest.js'
export { parseReflogEntry, serializeReflogEntry } from './reflog.js'
export { parseSettings, readRetentionPolicy, serializeSettings, SETTINGS_REF } from './settings.js'
export { parseExpiry, serializeExpiry, EXPIRY_REF } from './expiry.js'
export { LEASE_TTL_MS, leaseName, parseLease, serializeLease, type Lease } from './lease.js'
