/**
 * `dv export TABLE --format iceberg --to DIR`: Iceberg format-version 2
 * metadata over dv's own Parquet objects (format-spec/iceberg-export.md).
 * Reads the table's first-parent history, refuses what Iceberg v2 cannot
 * hold before writing anything, writes manifests and manifest lists of new
 * commits only (names derive from content, so a re-export reuses what is
 * there), then the next `v<N>.metadata.json` exclusively, and moves
 * `metadata/version-hint.text`; with `--catalog sql:PATH` the catalog's
 * pointer moves after that, last.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ExportOptions, ExportResult } from '../../api-types.js'
import { DvError } from '../../errors.js'
import { asTableName, shortId } from '../../ids.js'
import { readManifest, readSnapshot } from '../context.js'
import { tableAt } from '../read.js'
import { resolveAt, type ActionContext } from './context.js'
import { icebergSnapshotId, tableHistory, type TableCommit } from '../iceberg/history.js'
import { checkIcebergV2, icebergSchema, nameMapping, type NameMappingField } from '../iceberg/schema.js'
import { openTarget, type ExportTarget } from '../iceberg/target.js'
import { icebergOperation, icebergTableMetadata, type ExportedSnapshot } from '../iceberg/table-metadata.js'
import { writeSnapshotFiles, type CarriedManifests } from '../iceberg/snapshot-files.js'
import { exportRefs, type ExportedRefs } from '../iceberg/refs.js'
import { catalogTargetOf, ownExportCheck } from '../iceberg/catalog-target.js'
import { expiredTest } from '../expiry.js'

export const DEFAULT_EXPORT_HISTORY = 100

interface Previous {
  version: number
  metadata: PreviousMetadata
}

interface PreviousMetadata {
  'table-uuid': string
  schemas: Array<Record<string, unknown>>
  snapshots?: Array<{ 'snapshot-id': number; 'manifest-list': string; 'timestamp-ms': number }>
  properties?: Record<string, string>
  'metadata-log'?: Array<{ 'timestamp-ms': number; 'metadata-file': string }>
  'last-updated-ms': number
}

export async function exportTable(ctx: ActionContext, name: string, options: ExportOptions): Promise<ExportResult> {
  asTableName(name)
  if ((options.format ?? 'iceberg') !== 'iceberg') {
    throw new DvError('INVALID_ARGUMENT', `unknown export format '${options.format}'`, { hint: 'the export format is iceberg' })
  }
  const catalog = catalogTargetOf(name, options)
  const at = await resolveAt(ctx, options.at)
  const { table } = await tableAt(ctx, await readSnapshot(ctx, at), at, name)
  const limit = options.allHistory ? Number.POSITIVE_INFINITY : options.limit ?? DEFAULT_EXPORT_HISTORY
  // the history stops at a snapshot retention expired: gc may have deleted its table's objects, or will
  const history = await tableHistory(ctx, at, name, limit, await expiredTest(ctx.storage))
  const commits = history.commits.reverse()
  for (const c of commits) checkIcebergV2(c.table.schema, name, c === commits.at(-1) ? '' : ` at snapshot ${shortId(c.id)}`)
  const uriOf = dataFileUris(ctx)
  const target = openTarget(options.to)
  const previous = await readPrevious(target, table.tableId, name)
  // the catalog is checked before anything is written: a row it would refuse refuses the whole export
  const sqlCatalog = catalog && await import('../iceberg/sql-catalog.js')
  if (catalog && sqlCatalog) await sqlCatalog.checkCatalog(catalog, ownExportCheck(target.uri, table.tableId, (previous?.version ?? 0) + 1))

  // schema ids: those of the previous export, then new ones in order of first use
  const schemas = [...(previous?.metadata.schemas ?? [])]
  const schemaKey = (s: Record<string, unknown>) => JSON.stringify({ ...s, 'schema-id': 0 })
  const schemaIdOf = (c: TableCommit): number => {
    const json = icebergSchema(c.table.schema, 0, c.table.identifierFieldIds)
    const found = schemas.findIndex((s) => schemaKey(s) === schemaKey(json))
    if (found >= 0) return Number(schemas[found]['schema-id'])
    const id = schemas.reduce((m, s) => Math.max(m, Number(s['schema-id']) + 1), 0)
    schemas.push(icebergSchema(c.table.schema, id, c.table.identifierFieldIds))
    return id
  }

  const before = new Map((previous?.metadata.snapshots ?? []).map((s) => [s['snapshot-id'], s]))
  const physicalNames = previousNames(previous?.metadata.properties?.['schema.name-mapping.default'])
  const exported: ExportedSnapshot[] = []
  let carried: CarriedManifests | undefined
  let manifestsWritten = 0
  let newSnapshots = 0
  for (const c of commits) {
    const snapshotId = icebergSnapshotId(c.id)
    const parent = exported.at(-1)
    const schemaId = schemaIdOf(c)
    const old = before.get(snapshotId)
    let manifestList: string
    if (old && (parent?.snapshotId ?? null) === (exportedParentOf(previous, snapshotId) ?? null)) {
      manifestList = old['manifest-list']
      carried = { fromList: manifestList }
    } else {
      newSnapshots++
      for (const ref of c.table.manifests) {
        for (const file of (await readManifest(ctx, ref.id)).files) {
          for (const [key, col] of Object.entries(file.columns)) addName(physicalNames, Number(key), col.name)
        }
      }
      const written = await writeSnapshotFiles(ctx, target, {
        commit: c, snapshotId, parentId: parent?.snapshotId, sequenceNumber: c.snapshot.timestampMs, schemaId,
        schemaJson: schemas.find((s) => s['schema-id'] === schemaId)!, carried, uriOf,
      })
      manifestList = written.manifestList
      manifestsWritten += written.manifestsWritten
      carried = { records: written.records }
    }
    exported.push({
      snapshotId, ...(parent ? { parentId: parent.snapshotId } : {}), sequenceNumber: c.snapshot.timestampMs, timestampMs: c.snapshot.timestampMs,
      manifestList, schemaId, summary: summaryOf(c, name),
    })
  }
  const current = commits.at(-1)!
  const refs: ExportedRefs = options.branchRefs ? await exportRefs(ctx, name, commits, exported) : { refs: {}, skipped: [] }
  const mapping: NameMappingField[] = nameMapping(current.table.schema, physicalNames)
  const metadata = icebergTableMetadata({
    tableUuid: table.tableId, location: target.uri, lastColumnId: table.lastColumnId, schemas,
    currentSchemaId: exported.at(-1)!.schemaId, spec: table.partitionSpec,
    properties: { ...table.properties, 'schema.name-mapping.default': JSON.stringify(mapping) },
    snapshots: exported, refs: refs.refs, metadataLog: [],
  })
  const result = async (version: number, upToDate: boolean): Promise<ExportResult> => ({
    table: name, format: 'iceberg', location: target.uri, metadata: target.metadataUri(`v${version}.metadata.json`), version,
    snapshot: current.id, icebergSnapshotId: String(exported.at(-1)!.snapshotId), snapshots: exported.length,
    newSnapshots, manifestsWritten, upToDate, refs: Object.keys(refs.refs), skippedRefs: refs.skipped,
    ...(history.expiredAt === undefined ? {} : { expiredAt: history.expiredAt }),
    ...(catalog && sqlCatalog ? {
      catalog: await sqlCatalog.registerExport(catalog, target.metadataUri(`v${version}.metadata.json`), ownExportCheck(target.uri, table.tableId, version)),
    } : {}),
  })
  if (previous && sameContent(previous.metadata, metadata)) return result(previous.version, true)
  const version = (previous?.version ?? 0) + 1
  if (previous) {
    metadata['metadata-log'] = [...(previous.metadata['metadata-log'] ?? []),
      { 'timestamp-ms': previous.metadata['last-updated-ms'], 'metadata-file': target.metadataUri(`v${previous.version}.metadata.json`) }]
  }
  await target.writeExclusive(`v${version}.metadata.json`, Buffer.from(`${JSON.stringify(metadata, null, 2)}\n`))
  await target.replace('version-hint.text', Buffer.from(String(version)))
  return result(version, false)

  function exportedParentOf(prev: Previous | undefined, id: number): number | undefined {
    const list = prev?.metadata.snapshots ?? []
    const i = list.findIndex((s) => s['snapshot-id'] === id)
    return i > 0 ? list[i - 1]['snapshot-id'] : undefined
  }
}

function summaryOf(c: TableCommit, name: string): Record<string, string> {
  const change = c.snapshot.summary[name]
  const totals = c.table.manifests.reduce((t, m) => ({ rows: t.rows + m.rows, files: t.files + m.files, bytes: t.bytes + m.bytes }), { rows: 0, files: 0, bytes: 0 })
  return {
    operation: icebergOperation(change),
    ...(change ? {
      'added-data-files': String(change.addedFiles), 'deleted-data-files': String(change.removedFiles),
      'added-records': String(change.addedRows), 'deleted-records': String(change.removedRows),
      'added-files-size': String(change.addedBytes), 'removed-files-size': String(change.removedBytes),
    } : {}),
    'total-records': String(totals.rows), 'total-data-files': String(totals.files), 'total-files-size': String(totals.bytes),
    'total-delete-files': '0', 'total-position-deletes': '0', 'total-equality-deletes': '0',
    'dv.snapshot-id': c.id, 'dv.message': c.snapshot.message,
    ...lineageSummary(c.snapshot.lineage, name),
  }
}

/**
 * The commit's lineage as summary properties (format-spec/iceberg-export.md): the code version, the inputs
 * this table read (`dv.input.N.*`, numbered from 0 in commit order) and the meta pairs, so an engine's
 * `snapshots` table shows what made each snapshot.
 */
function lineageSummary(lineage: TableCommit['snapshot']['lineage'], table: string): Record<string, string> {
  if (!lineage) return {}
  const out: Record<string, string> = {}
  const code = lineage.code
  if (code) {
    out['dv.code.commit'] = code.commit
    if (code.branch !== undefined) out['dv.code.branch'] = code.branch
    if (code.repository !== undefined) out['dv.code.repository'] = code.repository
    if (code.dirty !== undefined) out['dv.code.dirty'] = String(code.dirty)
  }
  ;(lineage.inputs ?? []).filter((i) => i.table === table).forEach((input, n) => {
    out[`dv.input.${n}.name`] = input.name
    out[`dv.input.${n}.bytes`] = String(input.bytes)
    out[`dv.input.${n}.sha256`] = input.sha256
  })
  for (const [key, value] of Object.entries(lineage.meta ?? {})) out[`dv.meta.${key}`] = value
  return out
}

/** The absolute URI of a data object: `file://` for a local store, `s3://` for an S3 one (format-spec/layout.md). */
function dataFileUris(ctx: ActionContext): (id: string) => string {
  const location = ctx.storage.location
  if (location.startsWith('s3://')) return (id) => `${location.replace(/\/$/, '')}/objects/${id.slice(0, 2)}/${id}`
  if (location.startsWith('/')) return (id) => pathToFileURL(join(location, 'objects', id.slice(0, 2), id)).href
  throw new DvError('UNSUPPORTED', `the repository at '${location}' has no data file URIs to export`, {
    hint: 'export from a repository in a local directory or on S3',
  })
}

async function readPrevious(target: ExportTarget, tableId: string, name: string): Promise<Previous | undefined> {
  const hint = await target.read('version-hint.text')
  if (hint === undefined) {
    if (await target.isEmpty()) return undefined
    throw new DvError('INVALID_ARGUMENT', `export target ${target.uri} is not empty and holds no Iceberg table`, {
      hint: 'export to an empty directory, or to the one this table was exported to before',
    })
  }
  const version = Number(Buffer.from(hint).toString('utf8').trim())
  const bytes = Number.isInteger(version) && version > 0 ? await target.read(`v${version}.metadata.json`) : undefined
  if (bytes === undefined) {
    throw new DvError('CORRUPT', `export target ${target.uri}: version-hint.text names no metadata file`, {
      hint: 'export to an empty directory, or repair the target',
    })
  }
  const metadata = JSON.parse(Buffer.from(bytes).toString('utf8')) as PreviousMetadata
  if (metadata['table-uuid'] !== tableId) {
    throw new DvError('INVALID_ARGUMENT', `export target ${target.uri} holds another table (uuid ${metadata['table-uuid']}), not '${name}' (uuid ${tableId})`, {
      hint: 'export to an empty directory, or to the one this table was exported to before',
      details: { target: target.uri, uuid: metadata['table-uuid'] },
    })
  }
  return { version, metadata }
}

function previousNames(json: string | undefined): Map<number, Set<string>> {
  const names = new Map<number, Set<string>>()
  const visit = (fields: NameMappingField[]) => {
    for (const f of fields) {
      for (const n of f.names) addName(names, f['field-id'], n)
      if (f.fields) visit(f.fields)
    }
  }
  if (json) visit(JSON.parse(json) as NameMappingField[])
  return names
}

function addName(names: Map<number, Set<string>>, id: number, name: string): void {
  let set = names.get(id)
  if (!set) names.set(id, (set = new Set()))
  set.add(name)
}

/** Whether a re-export would write the same table state (ignoring the metadata log). */
function sameContent(previous: PreviousMetadata, next: Record<string, unknown>): boolean {
  const strip = (m: object) => JSON.stringify({ ...m, 'metadata-log': [] })
  return strip(previous) === strip(next)
}
