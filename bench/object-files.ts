/**
 * The object files behind a table at a snapshot, found by reading the
 * repository's metadata objects straight from disk (what a DuckDB baseline
 * reads: the same Parquet files dv scans).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseManifest, parseSnapshot, parseTableMetadata, type DataFile, type TableMetadata } from '../src/format/index.js'

export function objectPath(dvDir: string, id: string): string {
  return join(dvDir, 'objects', id.slice(0, 2), id)
}

export async function tableFiles(dvDir: string, snapshotId: string, table: string): Promise<{ meta: TableMetadata; files: DataFile[] }> {
  const snapshot = parseSnapshot(await readFile(objectPath(dvDir, snapshotId)))
  const tableId = snapshot.tables[table]
  if (!tableId) throw new Error(`table ${table} is not in snapshot ${snapshotId}`)
  const meta = parseTableMetadata(await readFile(objectPath(dvDir, tableId)))
  const files: DataFile[] = []
  for (const ref of meta.manifests) files.push(...parseManifest(await readFile(objectPath(dvDir, ref.id))).files)
  return { meta, files }
}

export async function dataFilePaths(dvDir: string, snapshotId: string, table: string): Promise<string[]> {
  return (await tableFiles(dvDir, snapshotId, table)).files.map((f) => objectPath(dvDir, f.id))
}
