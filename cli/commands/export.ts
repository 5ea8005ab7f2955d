/** `dv export TABLE --format iceberg --to DIR`: Iceberg v2 metadata over the table's Parquet objects. */
import { parseCount, usageError, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import type { ExportResult } from '../../src/index.js'

export interface ExportInput {
  table: string
  format?: string
  to?: string
  at?: string
  allHistory?: boolean
  history?: string
  branchRefs?: boolean
  catalog?: string
  catalogName?: string
  namespace?: string
  tableName?: string
}

export async function runExport(ctx: CliContext, input: ExportInput): Promise<void> {
  if (input.format !== 'iceberg') return usageError(`dv export needs --format iceberg${input.format === undefined ? '' : ` (got '${input.format}')`}`, 'dv export TABLE --format iceberg --to DIR')
  if (input.to === undefined) return usageError('dv export needs --to DIR: where to write the Iceberg metadata')
  if (input.allHistory && input.history !== undefined) return usageError('--all-history and --history N cannot be combined')
  const orphan = (['catalogName', 'namespace', 'tableName'] as const).find((k) => input[k] !== undefined && input.catalog === undefined)
  if (orphan) return usageError(`--${orphan.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} names a catalog entry: it needs --catalog sql:PATH`)
  const limit = await parseCount(input.history, '--history')
  if (limit === 0) return usageError('--history must be at least 1')
  const to = input.to
  const result = await withRepository(ctx, (repo) => repo.exportTable(input.table, {
    format: 'iceberg', to,
    ...(input.at === undefined ? {} : { at: input.at }),
    ...(input.allHistory ? { allHistory: true } : {}),
    ...(limit === undefined ? {} : { limit }),
    ...(input.branchRefs ? { branchRefs: true } : {}),
    ...(input.catalog === undefined ? {} : { catalog: input.catalog }),
    ...(input.catalogName === undefined ? {} : { catalogName: input.catalogName }),
    ...(input.namespace === undefined ? {} : { namespace: input.namespace }),
    ...(input.tableName === undefined ? {} : { tableName: input.tableName }),
  }))
  await emit(ctx, result, { text: formatExport })
}

function formatExport(r: ExportResult): string[] {
  const lines = [r.upToDate
    ? `${r.table}: ${r.metadata} is up to date (snapshot ${r.snapshot.slice(0, 12)})`
    : `exported ${r.table} at ${r.snapshot.slice(0, 12)} to ${r.metadata} (${r.snapshots} snapshots, ${r.newSnapshots} new, ${r.manifestsWritten} manifests written)`]
  if (r.refs.length) lines.push(`refs: ${r.refs.join(', ')}`)
  if (r.catalog) {
    const c = r.catalog
    const where = `${c.namespace}.${c.tableName} in catalog '${c.catalogName}' (${c.catalog})`
    lines.push(c.action === 'unchanged' ? `catalog: ${where} already points at it` : `catalog: ${c.action === 'created' ? 'registered' : 'moved'} ${where}`)
  }
  if (r.expiredAt) lines.push(`history stops at ${r.expiredAt.slice(0, 12)}, expired by retention: it and the commits before it are not exported`)
  if (r.skippedRefs.length) lines.push(`skipped refs (their table state is not in the export): ${r.skippedRefs.join(', ')}`)
  return lines
}
