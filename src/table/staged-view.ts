/** How a table looks to a new write: the branch head plus the changes already staged for it. */
import type { Snapshot, TableMetadata } from '../format/types.js'
import { readTableMetadata, type RepoContext } from './context.js'
import type { PendingChange } from './changes.js'
import type { WriteBase } from './write.js'

export async function stagedView(ctx: RepoContext, head: Snapshot, table: string, staged: PendingChange[]): Promise<WriteBase> {
  const headTableId = head.tables[table] ?? null
  let view: TableMetadata | null = headTableId ? await readTableMetadata(ctx, headTableId) : null
  for (const c of staged) {
    if (c.table !== table) continue
    if (view === null || c.creates) {
      view = { tableId: c.tableId, schema: c.schema, lastColumnId: c.lastColumnId, partitionSpec: c.partitionSpec, manifests: [], properties: { ...c.properties } }
    } else if (c.lastColumnId > view.lastColumnId) {
      view = { ...view, schema: c.schema, lastColumnId: c.lastColumnId }
    }
  }
  return { headTableId, table: view }
}
