/**
 * Where a repository opened by path lives: the workspace (a directory holding
 * `.dv/`, found by searching parent directories like git) and its store (the
 * local `.dv/` itself, or the remote URL in `.dv/workspace.json`). Also
 * `dv init`, which creates a workspace around a new or existing store.
 */
import { mkdir, rm, stat } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import type { Storage } from '../store/types.js'
import { DvError } from '../errors.js'
import { DEFAULT_BRANCH } from '../refs/names.js'
import { openStorage } from '../store/open.js'
import { WORKSPACE_FILE, readWorkspaceConfig, writeWorkspaceConfig } from './config.js'
import { Workspace } from './workspace.js'

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

/** True for a store URL ('s3://…', 'memory:', 'file://…'), false for a path (a Windows drive letter included). */
export function isStoreUrl(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(location) && !/^[a-z]:[\\/]/i.test(location)
}

/** True when `dir/.dv` holds a local store or a workspace of a remote one. */
async function holdsRepository(dir: string): Promise<boolean> {
  return (await exists(join(dir, '.dv', 'config.json'))) || (await exists(join(dir, '.dv', WORKSPACE_FILE)))
}

export function findWorkspaceRoot(start: string): Promise<string | undefined> {
  return nearestAncestor(start, holdsRepository)
}

/** The nearest directory at or above `start` for which `holds` is true, searching parents like git; undefined at the root. */
export async function nearestAncestor(start: string, holds: (dir: string) => Promise<boolean>): Promise<string | undefined> {
  let dir = resolve(start)
  for (;;) {
    if (await holds(dir)) return dir
    const up = dirname(dir)
    if (up === dir) return undefined
    dir = up
  }
}

/** The workspace containing `location` and where its store is; NOT_FOUND outside any repository. */
export async function openWorkspace(location: string): Promise<{ workspace: Workspace; storeLocation: string }> {
  const root = await findWorkspaceRoot(location)
  if (!root) {
    throw new DvError('NOT_FOUND', `not a dv repository (or any parent directory): ${resolve(location)}`, {
      hint: 'run `dv init` to create one here, or pass -C DIR',
    })
  }
  const dvDir = join(root, '.dv')
  const workspace = await Workspace.prepare({ root, dvDir })
  const remote = (await readWorkspaceConfig(dvDir))?.remote
  return { workspace, storeLocation: remote ?? dvDir }
}

/**
 * `dv init DIR [--remote URL]`: refuses a DIR that holds a repository, lies
 * inside a store, or is not a directory; opens the store (a remote one is
 * opened, and checked, before anything is written locally), lets `setUp`
 * create the repository in it (or attach to the one a remote already holds),
 * then writes workspace.json (remote only) and HEAD. If that fails, what init
 * created locally (a remote workspace's `.dv/`, directories it made) is
 * removed again.
 */
export async function initWorkspace(
  dir: string, remote: string | undefined, setUp: (storage: Storage) => Promise<void>,
): Promise<{ workspace: Workspace; storage: Storage }> {
  const root = resolve(dir)
  const dvDir = join(root, '.dv')
  await checkInitDirectory(root)
  if (await holdsRepository(root)) {
    throw new DvError('CONFLICT', `a dv repository already exists in ${root}`, { retryable: false, hint: 'use it as it is, or pick another directory' })
  }
  if (remote && !/^s3:\/\//.test(remote)) {
    throw new DvError('INVALID_ARGUMENT', `unsupported remote '${remote}'`, { hint: 'use s3://BUCKET/PREFIX' })
  }
  const storage = await openStorage(remote ?? dvDir)
  let created: string | undefined
  try {
    created = await mkdir(root, { recursive: true })
    const workspace = await Workspace.prepare({ root, dvDir })
    await setUp(storage)
    if (remote) await writeWorkspaceConfig(dvDir, { remote })
    await workspace.writeHead({ branch: DEFAULT_BRANCH })
    return { workspace, storage }
  } catch (e) {
    // a refused init leaves nothing behind: not the workspace, not the directories it made
    if (remote) await rm(dvDir, { recursive: true, force: true })
    if (created !== undefined) await rm(created, { recursive: true, force: true })
    await storage.close()
    throw e
  }
}

/** DIR must be (or become) a directory, and not one inside a store (`.../.dv/...`). */
async function checkInitDirectory(root: string): Promise<void> {
  const parts = root.split(sep)
  const inStore = parts.indexOf('.dv')
  if (inStore >= 0) {
    const store = parts.slice(0, inStore + 1).join(sep)
    throw new DvError('INVALID_ARGUMENT', `cannot create a repository at ${root}: it is inside the dv store ${store}`, {
      hint: 'pick a directory outside any .dv directory (a .dv directory is a store, not a workspace)',
      details: { path: root },
    })
  }
  for (let at = root; ; at = dirname(at)) {
    let st
    try {
      st = await stat(at)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (dirname(at) === at) return
        continue // created by init; check the parent
      }
      throw new DvError('STORAGE', `cannot create a repository at ${root}: ${(e as Error).message}`, { cause: e })
    }
    if (st.isDirectory()) return
    throw new DvError('INVALID_ARGUMENT', at === root
      ? `cannot create a repository at ${root}: it is a file, not a directory`
      : `cannot create a repository at ${root}: ${at} is a file, not a directory`, {
      hint: 'name a directory (dv init creates it when missing)',
      details: { path: at },
    })
  }
}
