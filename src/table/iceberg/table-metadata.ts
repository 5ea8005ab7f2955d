/**
 * The Iceberg v2 table metadata JSON of an export (format-spec/iceberg-export.md):
 * schemas (one per distinct dv schema, ids kept from the previous export),
 * the partition spec, one snapshot per exported dv commit with its manifest
 * list, the snapshot log, refs and the metadata log. Pure.
 */
import type { PartitionField, TableChange } from '../../format/types.js'
import { partitionSpecJson } from './manifest.js'

export interface ExportedSnapshot {
  snapshotId: number
  parentId?: number
  sequenceNumber: number
  timestampMs: number
  manifestList: string
  schemaId: number
  summary: Record<string, string>
}

export interface MetadataInput {
  tableUuid: string
  location: string
  lastColumnId: number
  schemas: Array<Record<string, unknown>>
  currentSchemaId: number
  spec: readonly PartitionField[]
  properties: Record<string, string>
  /** Oldest first; the last is current. */
  snapshots: ExportedSnapshot[]
  refs: Record<string, { 'snapshot-id': number; type: 'branch' | 'tag' }>
  metadataLog: Array<{ 'timestamp-ms': number; 'metadata-file': string }>
}

export function icebergTableMetadata(input: MetadataInput): Record<string, unknown> {
  const current = input.snapshots.at(-1)
  const lastPartitionId = Math.max(999, ...input.spec.map((p) => p.fieldId))
  return {
    'format-version': 2,
    'table-uuid': input.tableUuid,
    location: input.location,
    'last-sequence-number': Math.max(0, ...input.snapshots.map((s) => s.sequenceNumber)),
    'last-updated-ms': current?.timestampMs ?? 0,
    'last-column-id': input.lastColumnId,
    'current-schema-id': input.currentSchemaId,
    schemas: input.schemas,
    'default-spec-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: partitionSpecJson(input.spec) }],
    'last-partition-id': lastPartitionId,
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: input.properties,
    'current-snapshot-id': current?.snapshotId ?? -1,
    refs: { ...input.refs, ...(current ? { main: { 'snapshot-id': current.snapshotId, type: 'branch' } } : {}) },
    snapshots: input.snapshots.map((s) => ({
      'snapshot-id': s.snapshotId,
      ...(s.parentId === undefined ? {} : { 'parent-snapshot-id': s.parentId }),
      'sequence-number': s.sequenceNumber,
      'timestamp-ms': s.timestampMs,
      'manifest-list': s.manifestList,
      summary: s.summary,
      'schema-id': s.schemaId,
    })),
    'snapshot-log': input.snapshots.map((s) => ({ 'timestamp-ms': s.timestampMs, 'snapshot-id': s.snapshotId })),
    'metadata-log': input.metadataLog,
  }
}

/** Iceberg's operation for a dv table change: appends append, deletes delete, schema changes and compactions replace (data unchanged). */
export function icebergOperation(change: TableChange | undefined): string {
  switch (change?.operation) {
    case undefined: case 'create': case 'append':
      return 'append'
    case 'delete':
      return 'delete'
    case 'schema': case 'replace':
      return 'replace'
    default:
      return 'overwrite'
  }
}
