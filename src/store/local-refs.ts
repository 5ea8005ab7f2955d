/**
 * Refs on a local disk: `refs/<name>` holding `<64 hex snapshot id>\n`,
 * updated git-style under an exclusive `<ref>.lock`: create the lock
 * (O_EXCL) -> verify the expected value -> write and fsync the lock -> rename
 * it over the ref -> fsync the directory. A held lock is waited for about a
 * second and is never broken automatically.
 */
import type { Dirent } from 'node:fs'
import { lstat, mkdir, open, readFile, readdir, rename, rmdir, unlink, type FileHandle } from 'node:fs/promises'
import { dirname, join, sep } from 'node:path'
import { DvError } from '../errors.js'
import type { SnapshotId } from '../ids.js'
import { storageStep } from './crash-points.js'
import { fsyncDir, removeQuietly, sleep, writeAll } from './fs-durable.js'
import { hasErrno, storageError } from './fs-errors.js'
import {
  checkNextSnapshot, checkRefPath, checkRefPrefix, compareNames, parseRefContent, refConflictError, refNestingError, refPathProblem,
} from './ref-path.js'
import type { RefStore, RefValue } from './types.js'

/** How long a writer waits for a held lock before reporting CONFLICT. */
const LOCK_WAIT_MS = 1000

export class LocalRefStore implements RefStore {
  private readonly refsDir: string

  constructor(root: string) {
    this.refsDir = join(root, 'refs')
  }

  pathOf(name: string): string {
    return join(this.refsDir, ...name.split('/'))
  }

  async get(name: string): Promise<RefValue | undefined> {
    const snapshot = await this.readRef(this.pathOf(checkRefPath(name)))
    return snapshot === undefined ? undefined : { snapshot, version: snapshot }
  }

  async list(prefix: string): Promise<Array<{ name: string; value: RefValue }>> {
    checkRefPrefix(prefix)
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1)
    const names: string[] = []
    await this.collectNames(base === '' ? this.refsDir : this.pathOf(base.slice(0, -1)), base, names)
    const result: Array<{ name: string; value: RefValue }> = []
    for (const name of names.filter((n) => n.startsWith(prefix)).sort(compareNames)) {
      const snapshot = await this.readRef(this.pathOf(name))
      if (snapshot !== undefined) result.push({ name, value: { snapshot, version: snapshot } })
    }
    return result
  }

  async listLocks(): Promise<Array<{ ref: string; path: string; modifiedMs: number }>> {
    const names: string[] = []
    await this.collectNames(this.refsDir, '', names, true)
    const locks: Array<{ ref: string; path: string; modifiedMs: number }> = []
    for (const name of names.filter((n) => n.endsWith('.lock'))) {
      const path = this.pathOf(name)
      try {
        locks.push({ ref: name.slice(0, -'.lock'.length), path, modifiedMs: (await lstat(path)).mtimeMs })
      } catch (e) {
        if (!hasErrno(e, 'ENOENT')) throw storageError(e, 'cannot stat', path)
      }
    }
    return locks
  }

  async compareAndSwap(name: string, expected: string | null, next: SnapshotId | null): Promise<RefValue | undefined> {
    checkRefPath(name)
    checkNextSnapshot(name, next)
    const path = this.pathOf(name)
    const lockPath = `${path}.lock`
    const lock = await this.acquireLock(name, lockPath)
    let lockOpen = true
    let applied = false
    try {
      const actual = await this.readUnderLock(name, path, next !== null)
      if (actual !== expected) throw refConflictError(name, expected, actual ?? null)
      if (next === null) {
        await lock.close()
        lockOpen = false
        if (actual !== null) {
          storageStep('ref.unlink')
          await unlink(path).catch((e: unknown) => Promise.reject(storageError(e, 'cannot delete ref', path)))
          applied = true
          storageStep('ref.dir-fsync')
          await fsyncDir(dirname(path))
        }
        storageStep('ref.unlock')
        await removeQuietly(lockPath)
        await this.pruneEmptyDirs(dirname(path))
        return undefined
      }
      storageStep('ref.lock-write')
      await writeAll(lock, Buffer.from(`${next}\n`))
      storageStep('ref.lock-fsync')
      await lock.sync()
      await lock.close()
      lockOpen = false
      storageStep('ref.rename')
      await this.renameLock(name, lockPath, path)
      applied = true
      storageStep('ref.dir-fsync')
      await fsyncDir(dirname(path))
      return { snapshot: next, version: next }
    } catch (e) {
      if (lockOpen) await lock.close().catch(() => undefined)
      if (applied) {
        if (next === null) await removeQuietly(lockPath)
        throw outcomeUnknown(name, path, e)
      }
      if (!(e instanceof DvError && e.code === 'OUTCOME_UNKNOWN')) await removeQuietly(lockPath)
      throw storageError(e, 'cannot update ref', path)
    }
  }

  /** Creates `<ref>.lock` exclusively, waiting briefly (quadratic backoff) while another writer holds it. */
  private async acquireLock(name: string, lockPath: string): Promise<FileHandle> {
    const deadline = Date.now() + LOCK_WAIT_MS
    for (let attempt = 1; ; attempt++) {
      try {
        storageStep('ref.lock-create')
        return await open(lockPath, 'wx', 0o644)
      } catch (e) {
        if (hasErrno(e, 'ENOENT') && attempt <= 5) {
          await this.makeParentDirs(name)
          continue
        }
        if (hasErrno(e, 'ENOTDIR')) throw await this.nestingErrorAbove(name)
        if (!hasErrno(e, 'EEXIST')) throw storageError(e, 'cannot create lock', lockPath)
        if (Date.now() >= deadline) throw lockHeldError(name, lockPath)
        const wait = Math.min(100, attempt * attempt) * (0.75 + Math.random() / 2)
        await sleep(wait)
      }
    }
  }

  private async makeParentDirs(name: string): Promise<void> {
    const dir = dirname(this.pathOf(name))
    try {
      await mkdir(dir, { recursive: true })
    } catch (e) {
      if (hasErrno(e, 'ENOTDIR', 'EEXIST')) throw await this.nestingErrorAbove(name)
      throw storageError(e, 'cannot create directory', dir)
    }
  }

  /** A parent component of `name` is a ref file ('branches/a' blocks 'branches/a/b'). */
  private async nestingErrorAbove(name: string): Promise<DvError> {
    const parts = name.split('/')
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/')
      const info = await lstat(this.pathOf(parent)).catch(() => undefined)
      if (info !== undefined && !info.isDirectory()) return refNestingError(name, parent)
    }
    return new DvError('STORAGE', `cannot create ref '${name}': a parent directory is not a directory`, { details: { ref: name } })
  }

  /**
   * The ref's current snapshot id (null when absent). A directory in its place
   * holds nested refs: a conflict when creating, absent otherwise; an empty
   * leftover directory is removed.
   */
  private async readUnderLock(name: string, path: string, creating: boolean): Promise<string | null> {
    const info = await lstat(path).catch((e: unknown) => {
      if (hasErrno(e, 'ENOENT')) return undefined
      throw storageError(e, 'cannot read ref', path)
    })
    if (info === undefined) return null
    if (!info.isDirectory()) return (await this.readRef(path)) ?? null
    if (!creating) return null
    const nested: string[] = []
    await this.collectNames(path, `${name}/`, nested, true)
    nested.sort(compareNames)
    const ref = nested.find((n) => !n.endsWith('.lock'))
    if (ref !== undefined) throw refNestingError(name, ref)
    // only locks: a writer of a nested ref holds one, or died holding it; either way it is not removed here
    const lock = nested[0]
    if (lock !== undefined) throw nestedLockError(name, lock.slice(0, -'.lock'.length), join(path, lock.slice(name.length + 1)))
    await this.removeEmptyTree(path)
    return null
  }

  private async renameLock(name: string, lockPath: string, path: string): Promise<void> {
    try {
      await rename(lockPath, path)
    } catch (e) {
      const lockGone = await lstat(lockPath).then(() => false, () => true)
      if (lockGone) throw outcomeUnknown(name, path, e)
      throw storageError(e, 'cannot update ref', path)
    }
  }

  /** Reads and parses a ref file; undefined when absent. */
  private async readRef(path: string): Promise<SnapshotId | undefined> {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR', 'EISDIR')) return undefined
      throw storageError(e, 'cannot read ref', path)
    }
    const snapshot = parseRefContent(text)
    if (snapshot === undefined) {
      const shown = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)
      throw new DvError('CORRUPT', `ref file ${path} is corrupt: expected a 64-hex snapshot id and a newline, found ${shown}`, {
        hint: `repair ${path}: write into it the 64-hex id of the snapshot it should name and a newline (\`dv log\` of another branch and \`dv fsck\` help find it), or delete the file to drop the ref; \`dv fsck\` then checks the repository`,
        details: { path },
      })
    }
    return snapshot
  }

  /** Recursively collects ref names under `dir` (named `base` + relative path); skips locks and stray files. */
  private async collectNames(dir: string, base: string, out: string[], withLocks = false): Promise<void> {
    let entries: Dirent[]
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return
      throw storageError(e, 'cannot list refs', dir)
    }
    for (const entry of entries) {
      const name = `${base}${entry.name}`
      if (entry.isDirectory()) {
        await this.collectNames(join(dir, entry.name), `${name}/`, out, withLocks)
      } else if (withLocks || (!entry.name.endsWith('.lock') && refPathProblem(name) === undefined)) {
        out.push(name)
      }
    }
  }

  private async removeEmptyTree(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true })
    for (const entry of entries) if (entry.isDirectory()) await this.removeEmptyTree(join(dir, entry.name))
    await rmdir(dir)
  }

  /** After a delete, removes now-empty parent directories (keeping `refs/<namespace>/`). */
  private async pruneEmptyDirs(dir: string): Promise<void> {
    for (let d = dir; d.startsWith(`${this.refsDir}${sep}`) && dirname(d) !== this.refsDir; d = dirname(d)) {
      try {
        await rmdir(d)
      } catch {
        return
      }
    }
  }
}

/** `name` cannot be created: its place is a directory holding only the lock of a nested ref (`other`). */
function nestedLockError(name: string, other: string, lockPath: string): DvError {
  return new DvError('CONFLICT', `ref '${name}' cannot be created: ${lockPath} locks ref '${other}', which would be nested in it`, {
    retryable: false,
    hint: `a dv process is creating or updating '${other}'; if none is running, the lock is left from a crash: remove ${lockPath}`,
    details: { ref: name, lockedRef: other, lock: lockPath },
  })
}

/**
 * Not retryable: the store has already waited LOCK_WAIT_MS, and a lock held
 * longer is most likely left by a crashed process, which only a person can
 * clear (it is never broken automatically). A commit reports it at once
 * instead of retrying as if the branch had moved.
 */
function lockHeldError(name: string, lockPath: string): DvError {
  return new DvError('CONFLICT', `ref '${name}' is locked: ${lockPath} exists`, {
    retryable: false,
    hint: `another dv process is updating this ref; if none is running, remove ${lockPath}`,
    details: { ref: name, lock: lockPath },
  })
}

function outcomeUnknown(name: string, path: string, cause: unknown): DvError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new DvError('OUTCOME_UNKNOWN', `ref '${name}' may or may not have been updated (${path}): ${reason}`, {
    cause,
    hint: 're-read the ref before retrying; do not delete what the update refers to',
    details: { ref: name, path },
  })
}
