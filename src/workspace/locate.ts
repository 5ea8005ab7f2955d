/**
 * Where a repository opened by path lives: the workspace (a directory holding
 * `.dv/`, found by searching parent directories like git) and its store (the
 * local `.dv/` itself, or the remote URL in `.dv/workspace.json`). Also
 * `dv init`, which creates a workspace around a new or existing store.
 */
import { rm, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { Storage } from '../store/types.js'
import { DvError } from '../errors.js'
import { DEFAULT_BRANCH } from '../refs/names.js'
import { openStorage } from '../store/open.js'
import { WORKSPACE_FILE, readWorkspaceConfig, writeWorkspaceConfig } from './config.js'
import { Workspace } from './workspace.js'

async function exists(path: string): Promise<boolean> {
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

export async function findWorkspaceRoot(start: string): Promise<string | undefined> {
  let dir = resolve(start)
  for (;;) {
    if (await holdsRepository(dir)) return dir
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
 * `dv init DIR [--remote URL]`: refuses a DIR that holds a repository, opens
 * the store (a remote one is opened, and checked, before anything is written
 * locally), lets `setUp` create the repository in it (or attach to the one a
 * remote already holds), then writes workspace.json (remote only) and HEAD.
 * If that fails, a remote workspace's `.dv/` is removed again.
 */
export async function initWorkspace(
  dir: string, remote: string | undefined, setUp: (storage: Storage) => Promise<void>,
): Promise<{ workspace: Workspace; storage: Storage }> {
  const root = resolve(dir)
  const dvDir = join(root, '.dv')
  if (await holdsRepository(root)) {
    throw new DvError('CONFLICT', `a dv repository already exists in ${root}`, { retryable: false, hint: 'use it as it is, or pick another directory' })
  }
  if (remote && !/^s3:\/\//.test(remote)) {
    throw new DvError('INVALID_ARGUMENT', `unsupported remote '${remote}'`, { hint: 'use s3://BUCKET/PREFIX' })
  }
  const storage = await openStorage(remote ?? dvDir)
  const workspace = await Workspace.prepare({ root, dvDir })
  try {
    await setUp(storage)
    if (remote) await writeWorkspaceConfig(dvDir, { remote })
  } catch (e) {
    if (remote) await rm(dvDir, { recursive: true, force: true })
    await storage.close()
    throw e
  }
  await workspace.writeHead({ branch: DEFAULT_BRANCH })
  return { workspace, storage }
}
