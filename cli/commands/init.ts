import path from 'node:path'
import { isStoreUrl, usageError, type CliContext } from '../context.js'
import { emit } from '../output.js'

export interface InitInput {
  /** Undefined when not given: '.' (or the store -C/DV_DIR names). */
  dir?: string
  remote?: string
}

export interface InitResult {
  location: string
  workspace: string | null
  branch: string
  head: string | null
}

/**
 * Where `dv init` creates the repository: DIR (store in DIR/.dv, or at
 * --remote), or a store URL given as DIR or by -C/DV_DIR, which makes a bare
 * repository there (no workspace).
 */
async function initTarget(ctx: CliContext, input: InitInput): Promise<string> {
  if (isStoreUrl(ctx.location) && (input.dir !== undefined || input.remote !== undefined)) {
    return usageError(`-C ${ctx.location} names a store: dv init then takes no DIR or --remote`, `for a workspace on that store run 'dv init DIR --remote ${ctx.location}'; for the store alone run 'dv init ${ctx.location}'`)
  }
  if (isStoreUrl(ctx.location)) return ctx.location
  const dir = input.dir ?? '.'
  if (isStoreUrl(dir)) {
    if (input.remote !== undefined) return usageError(`dv init got two stores: '${dir}' and --remote '${input.remote}'`, `name the store once: 'dv init ${dir}' (no workspace), or 'dv init DIR --remote ${input.remote}'`)
    return dir
  }
  return path.resolve(ctx.cwd, dir)
}

export async function runInit(ctx: CliContext, input: InitInput): Promise<void> {
  const { Repository } = await import('../../src/index.js')
  const dir = await initTarget(ctx, input)
  const repo = await Repository.init(dir, input.remote === undefined ? {} : { remote: input.remote })
  let result: InitResult
  try {
    const status = await repo.status()
    result = { location: repo.location, workspace: repo.workspaceRoot, branch: status.branch ?? 'main', head: status.head }
  } finally {
    await repo.close()
  }
  const bare = (r: InitResult) => (r.workspace === null ? `; no workspace: run commands with -C ${r.location}, or attach one with dv init DIR --remote ${r.location}` : '')
  await emit(ctx, result, {
    text: (r) => [`initialized empty dv repository in ${r.location} (branch ${r.branch}${bare(r)})`],
    view: async (r, color) => (await import('../views/load.js')).viewMessage(color, 'initialized empty dv repository in ', r.location, ` (branch ${r.branch}${bare(r)})`),
  })
}
