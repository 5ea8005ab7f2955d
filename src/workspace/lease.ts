/**
 * The lease of a workspace whose store is remote (format-spec/gc.md#leases):
 * after every change to the staging area, and whenever what is staged is
 * listed, the workspace writes what its staged changes build on and add to
 * `gc/leases/<16 hex>` in the store (deleting it when nothing is staged), so
 * that a dv gc run from another machine keeps them live.
 */
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import type { ObjectId, SnapshotId } from '../ids.js'
import { LEASE_TTL_MS, leaseName, serializeLease, type Lease } from '../format/index.js'
import type { LeaseStore } from '../store/types.js'
import type { PendingChange } from '../table/changes.js'
import type { WorkspacePort } from '../table/actions/context.js'

/** The lease's name: 16 hex digits of the SHA-256 of `<host> <absolute .dv path>`. */
export function leaseHolder(dvDir: string): { name: string; holder: string } {
  const holder = `${hostname()} ${resolve(dvDir)}`
  return { name: leaseName(holder), holder }
}

export function leaseOf(holder: string, staged: readonly PendingChange[]): Lease {
  const snapshots: SnapshotId[] = []
  const tables: ObjectId[] = []
  const manifests: ObjectId[] = []
  const objects: ObjectId[] = []
  for (const change of staged) {
    snapshots.push(change.baseSnapshot)
    if (change.baseTable !== null) tables.push(change.baseTable)
    for (const f of change.files) objects.push(f.id)
    for (const r of change.removes) {
      objects.push(r.id)
      manifests.push(r.manifest)
    }
  }
  return { holder, ttlMs: LEASE_TTL_MS, snapshots, tables, manifests, objects }
}

/** The workspace on `dvDir`, writing its lease to `leases` after each change to what is staged. */
export function leasedWorkspace(workspace: WorkspacePort, dvDir: string, leases: LeaseStore): WorkspacePort {
  const { name, holder } = leaseHolder(dvDir)
  const keyOf = (staged: readonly PendingChange[]): string => staged.map((c) => c.id).sort().join(',')
  /**
   * Writes the lease for what is staged now, then checks that nothing
   * changed meanwhile (another dv process of this workspace may have written
   * an older view last), writing again until it holds.
   */
  const publish = async (): Promise<void> => {
    let staged = await workspace.allStaged()
    for (let attempt = 0; attempt < 5; attempt++) {
      if (staged.length === 0) await leases.delete(name)
      else await leases.put(name, serializeLease(leaseOf(holder, staged)))
      const now = await workspace.allStaged()
      if (keyOf(now) === keyOf(staged)) return
      staged = now
    }
  }
  return {
    readHead: () => workspace.readHead(),
    writeHead: (head) => workspace.writeHead(head),
    async listStaged(branch) {
      const staged = await workspace.listStaged(branch)
      // listing what is staged (dv status, a write planning on it) renews the lease
      if (staged.length > 0) await publish()
      return staged
    },
    async stage(branch, change) {
      await workspace.stage(branch, change)
      await publish()
    },
    take: (branch) => workspace.take(branch),
    markTaken: (taken, snapshot) => workspace.markTaken(taken, snapshot),
    async release(taken, landed) {
      await workspace.release(taken, landed)
      await publish()
    },
    recover: (isLanded) => workspace.recover(isLanded),
    async unstage(branch, ids) {
      const removed = await workspace.unstage(branch, ids)
      await publish()
      return removed
    },
    allStaged: () => workspace.allStaged(),
  }
}
