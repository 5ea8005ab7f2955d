/** `.dv/workspace.json`: the store URL of a workspace whose store is remote (format-spec/workspace.md). */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DvError } from '../errors.js'

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
