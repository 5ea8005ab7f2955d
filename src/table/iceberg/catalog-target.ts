/**
 * Which catalog row an export is registered under, and which rows count as
 * an earlier dv export of the same table (format-spec/iceberg-export.md#sql-catalog).
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { ExportOptions } from '../../api-types.js'
import { checkIdentifier, parseCatalogUri, type IsOwnExport, type SqlCatalogTarget } from './sql-catalog.js'

export const DEFAULT_CATALOG_NAME = 'dv'
export const DEFAULT_NAMESPACE = 'default'

/**
 * The catalog identifier of dv table `name`: a dv name's '.' already
 * separates a namespace ('sales.orders' -> namespace sales, table orders),
 * as PyIceberg reads 'sales.orders'; a bare name goes to namespace 'default'.
 */
export function catalogTargetOf(name: string, options: ExportOptions): SqlCatalogTarget | undefined {
  if (options.catalog === undefined) return undefined
  const path = parseCatalogUri(options.catalog)
  const dot = name.lastIndexOf('.')
  const namespace = options.namespace ?? (dot > 0 ? name.slice(0, dot) : DEFAULT_NAMESPACE)
  const tableName = options.tableName ?? name.slice(dot + 1)
  checkIdentifier(namespace, tableName)
  return { path, catalogName: options.catalogName ?? DEFAULT_CATALOG_NAME, namespace, tableName }
}

const DV_METADATA = /\/metadata\/v(\d+)\.metadata\.json$/

/**
 * A row is an earlier dv export of this table when it points at a
 * `v<N>.metadata.json` of this export's location (version at most `maxVersion`;
 * the location was checked to hold this table), or at one elsewhere on the
 * local file system whose `table-uuid` is the table's id. PyIceberg names the
 * metadata files of its own commits otherwise (`00001-<uuid>.metadata.json`),
 * so a commit made through the catalog is never taken for dv's.
 */
export function ownExportCheck(location: string, tableId: string, maxVersion: number): IsOwnExport {
  return async (metadataLocation) => {
    const m = DV_METADATA.exec(metadataLocation)
    if (!m) return false
    if (metadataLocation.startsWith(`${location}/metadata/`)) return Number(m[1]) <= maxVersion
    if (!metadataLocation.startsWith('file://')) return false
    try {
      const json = JSON.parse(await readFile(fileURLToPath(metadataLocation), 'utf8')) as { 'table-uuid'?: unknown }
      return json['table-uuid'] === tableId
    } catch {
      return false
    }
  }
}
