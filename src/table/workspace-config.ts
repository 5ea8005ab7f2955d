/**
 * Finding a workspace (a directory holding `.dv/`, like git) and the
 * `workspace.json` of a workspace whose store is remote (format-spec/workspace.md).
 */
import { readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { DvError } from '../errors.js'

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

/** A workspace whose store is remote keeps `.dv/workspace.json` instead of a local store (format-spec/workspace.md). */
export const WORKSPACE_FILE = 'workspace.json'

export interface WorkspaceConfig {
  remote: string
}

export async function readWorkspaceConfig(dvDir: string): Promise<WorkspaceConfig | undefined> {
  const path = join(dvDir, WORKSPACE_FILE)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return undefined
  }
  try {
    const parsed = JSON.parse(text) as WorkspaceConfig
    if (typeof parsed.remote !== 'string') throw new Error('"remote" is not a string')
    return parsed
  } catch (e) {
    throw new DvError('CORRUPT', `${path} is corrupt: ${(e as Error).message}`, { hint: 'it should be {"remote": "s3://BUCKET/PREFIX"}' })
  }
}

export async function writeWorkspaceConfig(dvDir: string, config: WorkspaceConfig): Promise<void> {
  await writeFile(join(dvDir, WORKSPACE_FILE), JSON.stringify(config) + '\n', { flag: 'wx' })
}

export async function findWorkspaceRoot(start: string): Promise<string | undefined> {
  let dir = resolve(start)
  for (;;) {
    if ((await exists(join(dir, '.dv', 'config.json'))) || (await exists(join(dir, '.dv', WORKSPACE_FILE)))) return dir
    const up = dirname(dir)
    if (up === dir) return undefined
    dir = up
  }
}

