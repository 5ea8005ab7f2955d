/**
 * The workspace (format-spec/workspace.md): HEAD and the staging area, local
 * files in `.dv/` next to (or instead of) the store. Each staged change is its
 * own file with a unique name, published by rename, so concurrent `dv write`s
 * never lose each other's changes. A commit takes the branch's staging
 * directory by renaming it away (only one commit can win that rename), and
 * removes it once the ref update landed; if the commit failed it puts the
 * changes back; recovery.ts settles what a crashed commit left taken.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { SnapshotId } from '../ids.js'
import { asSnapshotId, isObjectId } from '../ids.js'
import { DvError } from '../errors.js'
import type { PendingChange } from '../table/changes.js'
import type { Head, TakenChanges, WorkspacePort } from '../table/actions/context.js'
import { listTemp, ownedName, sweepTemp, type TempEntry } from '../store/owner.js'
import { hasErrno, storageError } from '../store/fs-errors.js'
import { writeDurably } from './durable.js'
import { processAlive, settleTaken } from './recovery.js'

export class Workspace implements WorkspacePort {
  constructor(readonly root: string, readonly dvDir: string) {}

  /** A workspace on `dvDir`, with its `tmp/` (temporary files on the store's filesystem) created. */
  static async prepare(at: { root: string; dvDir: string }): Promise<Workspace> {
    const workspace = new Workspace(at.root, at.dvDir)
    await mkdir(workspace.tmpDir, { recursive: true })
    return workspace
  }

  get tmpDir(): string {
    return join(this.dvDir, 'tmp')
  }

  /** A scratch directory for this process under tmp/ (not created yet), named after its owner. */
  newScratchDir(): string {
    return join(this.tmpDir, ownedName('proc'))
  }

  /** Removes what processes that are gone left in tmp/ (their scratch directories, temporary objects). */
  async sweepTemp(): Promise<TempEntry[]> {
    return sweepTemp(this.tmpDir)
  }

  /** Everything in tmp/, with sizes and owners (`dv fsck`). */
  async temporaryFiles(): Promise<TempEntry[]> {
    return listTemp(this.tmpDir)
  }

  /**
   * Every staged change of every branch and every change a commit holds
   * taken: garbage collection's roots. Listed branches, taken, branches again
   * (format-spec/gc.md#live-objects-mark), so that a change moving between
   * the two during the listing is seen in one of them.
   */
  async allStaged(): Promise<PendingChange[]> {
    const branches = join(this.dvDir, 'staging', 'branches')
    const out = await changesBelow(branches)
    for (const d of await subdirectories(this.takenDir)) out.push(...(await readChangesOrFail(join(this.takenDir, d))))
    out.push(...(await changesBelow(branches)))
    return out
  }

  private get headPath(): string {
    return join(this.dvDir, 'HEAD')
  }

  private stagingDir(branch: string): string {
    return join(this.dvDir, 'staging', 'branches', branch)
  }

  /** Where commits keep the changes they took: `<urlencoded branch>.<pid>.<random>/` each. */
  get takenDir(): string {
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
    await mkdir(this.tmpDir, { recursive: true })
    const tmp = join(this.tmpDir, ownedName('staged', change.id))
    await writeDurably(this.tmpDir, tmp, JSON.stringify(change))
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
   * Unstages changes by id: each change's file is renamed out of the
   * branch's staging directory into `tmp/` (one atomic rename per change, so
   * a concurrent commit either took the change or never sees it, and a
   * concurrent `dv write` adds files this never touches), then deleted.
   */
  async unstage(branch: string, ids: readonly string[]): Promise<string[]> {
    const dir = this.stagingDir(branch)
    const wanted = new Set(ids)
    let names: string[]
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.json') && wanted.has(changeIdOf(n)))
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw e
    }
    const trash = join(this.tmpDir, `unstaged-${process.pid}-${randomBytes(4).toString('hex')}`)
    await mkdir(trash, { recursive: true })
    const removed: string[] = []
    try {
      for (const name of names) {
        try {
          await rename(join(dir, name), join(trash, name))
          removed.push(changeIdOf(name))
        } catch (e) {
          // taken by a concurrent commit (the directory was renamed away), or already gone
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
        }
      }
    } finally {
      await rm(trash, { recursive: true, force: true })
    }
    return removed
  }

  /**
   * Settles changes taken by a commit that crashed (recovery.ts): landed if
   * the snapshot it was about to publish is on the branch (`isLanded`),
   * otherwise back to staging. `alive` tells a commit in progress (tests pass their own).
   */
  async recover(isLanded: (branch: string, snapshot: SnapshotId) => Promise<boolean>, alive = processAlive): Promise<void> {
    await settleTaken(this, isLanded, alive)
  }
}

/** Changes a commit took: the branch and the directory they were renamed to. */
export interface Taken extends TakenChanges {
  branch: string
  dir: string
}

/** A staged change's file is `<15-digit ms>-<change id>.json`. */
function changeIdOf(fileName: string): string {
  return fileName.slice(fileName.indexOf('-') + 1, -'.json'.length)
}

async function subdirectories(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()
  } catch (e) {
    if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return []
    throw storageError(e, 'cannot list', dir)
  }
}

/** The changes in `dir` and every directory below it (branch names may contain '/'). */
async function changesBelow(dir: string): Promise<PendingChange[]> {
  const out = await readChangesOrFail(dir)
  for (const sub of await subdirectories(dir)) out.push(...(await changesBelow(join(dir, sub))))
  return out
}

async function readChangesOrFail(dir: string): Promise<PendingChange[]> {
  try {
    return await readChanges(dir)
  } catch (e) {
    throw storageError(e, 'cannot read staged changes in', dir)
  }
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
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (e) {
      // taken by a concurrent commit (its directory renamed away) or unstaged since the listing: not staged any more
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw e
    }
    try {
      out.push(JSON.parse(text) as PendingChange)
    } catch (e) {
      throw new DvError('CORRUPT', `staged change ${path} is unreadable: ${(e as Error).message}`, {
        hint: `remove it to drop that staged change`, cause: e,
      })
    }
  }
  return out
}
