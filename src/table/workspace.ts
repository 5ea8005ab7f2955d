/**
 * The workspace (format-spec/workspace.md): HEAD and the staging area, local
 * files next to the store. Each staged change is its own file with a unique
 * name, published by rename, so concurrent `dv write`s never lose each
 * other's changes. A commit takes the branch's staging directory by renaming
 * it away (only one commit can win that rename), and removes it once the
 * ref update landed; if the commit failed it puts the changes back.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, readdir, rename, rm, open } from 'node:fs/promises'
import { join } from 'node:path'
import type { SnapshotId } from '../ids.js'
import { asSnapshotId, isObjectId } from '../ids.js'
import { DvError } from '../errors.js'
import type { PendingChange } from './changes.js'

export type Head = { branch: string } | { detached: SnapshotId }

export class Workspace {
  constructor(readonly root: string, readonly dvDir: string) {}

  private get headPath(): string {
    return join(this.dvDir, 'HEAD')
  }

  private stagingDir(branch: string): string {
    return join(this.dvDir, 'staging', 'branches', branch)
  }

  private get takenDir(): string {
    return join(this.dvDir, 'staging', 'taken')
  }

  async readHead(): Promise<Head> {
    let text: string
    try {
      text = (await readFile(this.headPath, 'utf8')).trim()
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { branch: 'main' }
      throw new DvError('STORAGE', `cannot read ${this.headPath}: ${(e as Error).message}`, { cause: e })
    }
    if (text.startsWith('ref: branches/')) return { branch: text.slice('ref: branches/'.length) }
    if (isObjectId(text)) return { detached: asSnapshotId(text) }
    throw new DvError('CORRUPT', `${this.headPath} is corrupt: expected 'ref: branches/<name>' or a snapshot id, found '${text.slice(0, 80)}'`, {
      hint: `repair it with \`dv checkout main\` or write 'ref: branches/main' into ${this.headPath}`,
    })
  }

  async writeHead(head: Head): Promise<void> {
    const text = 'branch' in head ? `ref: branches/${head.branch}\n` : `${head.detached}\n`
    await writeDurably(this.dvDir, this.headPath, text)
  }

  /** Stages a change for `branch`; durable when the promise resolves. */
  async stage(branch: string, change: PendingChange): Promise<void> {
    const name = `${String(change.createdMs).padStart(15, '0')}-${change.id}.json`
    const tmpDir = join(this.dvDir, 'tmp')
    await mkdir(tmpDir, { recursive: true })
    const tmp = join(tmpDir, `staged-${change.id}`)
    await writeDurably(tmpDir, tmp, JSON.stringify(change))
    for (let attempt = 0; ; attempt++) {
      const dir = this.stagingDir(branch)
      await mkdir(dir, { recursive: true })
      try {
        await rename(tmp, join(dir, name))
        return
      } catch (e) {
        // a commit took the directory between mkdir and rename: make it again
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 20) throw e
      }
    }
  }

  /** The staged changes of `branch`, oldest first. */
  async listStaged(branch: string): Promise<PendingChange[]> {
    return readChanges(this.stagingDir(branch))
  }

  /**
   * Takes all staged changes of `branch` for one commit. Returns undefined if
   * nothing is staged. The caller must call `release(taken, landed)`.
   */
  async take(branch: string): Promise<Taken | undefined> {
    await mkdir(this.takenDir, { recursive: true })
    const dir = join(this.takenDir, `${encodeURIComponent(branch)}.${process.pid}.${randomBytes(4).toString('hex')}`)
    try {
      await rename(this.stagingDir(branch), dir)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw e
    }
    const changes = await readChanges(dir)
    if (changes.length === 0) {
      await rm(dir, { recursive: true, force: true })
      return undefined
    }
    return { branch, dir, changes }
  }

  /** Records the snapshot a taken set is about to become (for recovery after a crash). */
  async markTaken(taken: Taken, snapshot: SnapshotId): Promise<void> {
    await writeDurably(taken.dir, join(taken.dir, 'SNAPSHOT'), `${snapshot}\n`)
  }

  /** After the commit: landed → forget the changes; not landed → put them back. */
  async release(taken: Taken, landed: boolean): Promise<void> {
    if (landed) {
      await rm(taken.dir, { recursive: true, force: true })
      return
    }
    const dest = this.stagingDir(taken.branch)
    await mkdir(dest, { recursive: true })
    for (const f of await readdir(taken.dir)) {
      if (f.endsWith('.json')) await rename(join(taken.dir, f), join(dest, f))
    }
    await rm(taken.dir, { recursive: true, force: true })
  }

  /**
   * Settles changes taken by a commit that crashed: if the snapshot it was
   * about to publish is in the branch's history they landed; otherwise they
   * go back to staging. `isLanded` answers for a snapshot id.
   */
  async recover(isLanded: (branch: string, snapshot: SnapshotId) => Promise<boolean>, alive: (pid: number) => boolean): Promise<void> {
    let entries: string[]
    try {
      entries = await readdir(this.takenDir)
    } catch {
      return
    }
    for (const entry of entries) {
      const [encBranch, pidText] = entry.split('.')
      if (alive(Number(pidText)) && Number(pidText) !== process.pid) continue // a commit in progress
      const dir = join(this.takenDir, entry)
      const branch = decodeURIComponent(encBranch)
      let landed = false
      try {
        const snap = (await readFile(join(dir, 'SNAPSHOT'), 'utf8')).trim()
        landed = isObjectId(snap) && (await isLanded(branch, asSnapshotId(snap)))
      } catch {
        landed = false
      }
      await this.release({ branch, dir, changes: [] }, landed)
    }
  }
}

export interface Taken {
  branch: string
  dir: string
  changes: PendingChange[]
}

async function readChanges(dir: string): Promise<PendingChange[]> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
  const out: PendingChange[] = []
  for (const n of names) {
    const path = join(dir, n)
    try {
      out.push(JSON.parse(await readFile(path, 'utf8')) as PendingChange)
    } catch (e) {
      throw new DvError('CORRUPT', `staged change ${path} is unreadable: ${(e as Error).message}`, {
        hint: `remove it to drop that staged change`, cause: e,
      })
    }
  }
  return out
}

/** tmp file + fsync + rename + fsync(dir). */
async function writeDurably(dir: string, path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`
  const fh = await open(tmp, 'w')
  try {
    await fh.writeFile(text)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
  const d = await open(dir, 'r')
  try {
    await d.sync()
  } finally {
    await d.close()
  }
}

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
