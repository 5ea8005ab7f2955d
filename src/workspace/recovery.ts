/**
 * Recovery of staging (format-spec/workspace.md, "Commit from staging"): a
 * commit renames the branch's staged changes to `staging/taken/<branch>.<pid>.<rand>/`
 * and writes the snapshot it is about to publish into `SNAPSHOT` there. If
 * that process died, the changes landed exactly when that snapshot is on the
 * branch now: then they are forgotten, otherwise they go back to staging, so
 * a crash never loses a staged change nor commits it twice.
 */
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { SnapshotId } from '../ids.js'
import { asSnapshotId, isObjectId } from '../ids.js'
import type { Taken } from './workspace.js'

interface TakenArea {
  readonly takenDir: string
  release(taken: Taken, landed: boolean): Promise<void>
}

/**
 * Settles every taken directory whose process is gone, or is this process.
 * A directory without a readable SNAPSHOT never reached the ref update: back
 * to staging.
 */
export async function settleTaken(
  workspace: TakenArea, isLanded: (branch: string, snapshot: SnapshotId) => Promise<boolean>, alive: (pid: number) => boolean,
): Promise<void> {
  let entries: string[]
  try {
    entries = await readdir(workspace.takenDir)
  } catch {
    return
  }
  for (const entry of entries) {
    const [encBranch, pidText] = entry.split('.')
    if (alive(Number(pidText)) && Number(pidText) !== process.pid) continue // a commit in progress
    const dir = join(workspace.takenDir, entry)
    const branch = decodeURIComponent(encBranch)
    let landed = false
    try {
      const snap = (await readFile(join(dir, 'SNAPSHOT'), 'utf8')).trim()
      landed = isObjectId(snap) && (await isLanded(branch, asSnapshotId(snap)))
    } catch {
      landed = false
    }
    await workspace.release({ branch, dir, changes: [] }, landed)
  }
}

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
