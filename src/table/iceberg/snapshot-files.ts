/**
 * The Avro files of one exported snapshot: a manifest for each dv manifest
 * the snapshot adds, and its manifest list. A manifest the parent snapshot
 * already listed is carried over with its original list entry (its adding
 * snapshot and sequence number), as Iceberg's own writers do, so a commit
 * costs new files only. File names end in a hash of their bytes: a re-export
 * finds them in place and writes nothing.
 */
import { createHash } from 'node:crypto'
import { fieldById, isPrimitive } from '../../format/fields.js'
import type { ManifestRef, PartitionField, Schema } from '../../format/types.js'
import { readManifest, type RepoContext } from '../context.js'
import { decodeManifestList, encodeAvro, MANIFEST_FILE_SCHEMA, type ManifestFileRecord } from './avro.js'
import type { TableCommit } from './history.js'
import { encodeManifest } from './manifest.js'
import type { ExportTarget } from './target.js'
import { boundBytes } from './values.js'

/** The parent's manifest list entries: built in this run, or in a previous export's file. */
export type CarriedManifests = { records: ManifestFileRecord[] } | { fromList: string }

export interface SnapshotFilesInput {
  commit: TableCommit
  snapshotId: number
  parentId?: number
  sequenceNumber: number
  schemaId: number
  schemaJson: Record<string, unknown>
  carried?: CarriedManifests
  uriOf: (id: string) => string
}

const DV_MANIFEST = /\/m-([0-9a-f]{64})-[0-9a-f]{16}\.avro$/

export async function writeSnapshotFiles(
  ctx: RepoContext, target: ExportTarget, input: SnapshotFilesInput,
): Promise<{ manifestList: string; manifestsWritten: number; records: ManifestFileRecord[] }> {
  const { table } = input.commit
  const available = await carriedRecords(target, input.carried)
  const records: ManifestFileRecord[] = []
  let manifestsWritten = 0
  for (const ref of table.manifests) {
    const i = available.findIndex((r) => DV_MANIFEST.exec(r.manifest_path)?.[1] === ref.id)
    if (i >= 0) {
      records.push(available.splice(i, 1)[0])
      continue
    }
    const bytes = await encodeManifest({
      manifest: await readManifest(ctx, ref.id), schema: table.schema, schemaJson: input.schemaJson, schemaId: input.schemaId,
      spec: table.partitionSpec, uriOf: input.uriOf, name: ref.id,
    })
    const name = `m-${ref.id}-${hash16(bytes)}.avro`
    if (await target.writeOnce(name, bytes)) manifestsWritten++
    records.push({
      manifest_path: target.metadataUri(name), manifest_length: bytes.length, partition_spec_id: 0, content: 0,
      sequence_number: input.sequenceNumber, min_sequence_number: input.sequenceNumber, added_snapshot_id: input.snapshotId,
      added_files_count: ref.files, existing_files_count: 0, deleted_files_count: 0,
      added_rows_count: ref.rows, existing_rows_count: 0, deleted_rows_count: 0,
      partitions: partitionSummaries(ref, table.partitionSpec, table.schema), key_metadata: null,
    })
  }
  const list = await encodeAvro(MANIFEST_FILE_SCHEMA, records, {
    'snapshot-id': String(input.snapshotId),
    ...(input.parentId === undefined ? {} : { 'parent-snapshot-id': String(input.parentId) }),
    'sequence-number': String(input.sequenceNumber),
    'format-version': '2',
  }, String(input.snapshotId))
  const name = `snap-${input.snapshotId}-${hash16(list)}.avro`
  await target.writeOnce(name, list)
  return { manifestList: target.metadataUri(name), manifestsWritten, records }
}

async function carriedRecords(target: ExportTarget, carried: CarriedManifests | undefined): Promise<ManifestFileRecord[]> {
  if (!carried) return []
  if ('records' in carried) return [...carried.records]
  const bytes = await target.read(carried.fromList.slice(carried.fromList.lastIndexOf('/') + 1))
  return bytes === undefined ? [] : decodeManifestList(bytes)
}

/** The manifest list's per-partition-field summary, from dv's manifest bounds, in Appendix D bytes. */
function partitionSummaries(ref: ManifestRef, spec: readonly PartitionField[], schema: Schema): ManifestFileRecord['partitions'] {
  if (spec.length === 0) return []
  return spec.map((p) => {
    const bounds = ref.partitions[String(p.fieldId)]
    const source = fieldById(schema, p.sourceId)
    const encode = (v: string | null): Buffer | null => {
      if (v === null || !source || !isPrimitive(source.type)) return null
      if (p.transform === 'day') return boundBytes('date', v) ?? null
      if (p.transform === 'month') return int32((Number(v.slice(0, 4)) - 1970) * 12 + Number(v.slice(5, 7)) - 1)
      if (p.transform === 'year') return int32(Number(v.slice(0, 4)) - 1970)
      return boundBytes(source.type, v) ?? null
    }
    return { contains_null: bounds?.containsNull ?? true, contains_nan: null, lower_bound: encode(bounds?.lower ?? null), upper_bound: encode(bounds?.upper ?? null) }
  })
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32LE(n)
  return b
}

function hash16(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16)
}
