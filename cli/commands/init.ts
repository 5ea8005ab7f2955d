import path from 'node:path'
import { isStoreUrl, type CliContext } from '../context.js'
import { emit } from '../output.js'

export interface InitInput {
  dir: string
  remote?: string
}

export interface InitResult {
  location: string
  workspace: string | null
  branch: string
  head: string | null
}

export async function runInit(ctx: CliContext, input: InitInput): Promise<void> {
  const { Repository } = await import('../../src/index.js')
  const dir = isStoreUrl(input.dir) ? input.dir : path.resolve(ctx.cwd, input.dir)
  const repo = await Repository.init(dir, input.remote === undefined ? {} : { remote: input.remote })
  let result: InitResult
  try {
    const status = await repo.status()
    result = { location: repo.location, workspace: repo.workspaceRoot, branch: status.branch ?? 'main', head: status.head }
  } finally {
    await repo.close()
  }
  await emit(ctx, result, {
    text: (r) => [`initialized empty dv repository in ${r.location} (branch ${r.branch})`],
    view: async (r, color) => (await import('../views/load.js')).viewMessage(color, 'initialized empty dv repository in ', r.location, ` (branch ${r.branch})`),
  })
}
