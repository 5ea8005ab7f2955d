/** `dv branch` and `dv tag`: list, create (NAME [REV]) or delete (-d NAME). */
import { usageError, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatRefList, short } from '../text.js'
import type { RefInfo } from '../../src/index.js'

export interface RefsInput {
  name?: string
  rev?: string
  delete?: boolean
  list?: boolean
}

export async function runRefs(ctx: CliContext, kind: 'branch' | 'tag', input: RefsInput): Promise<void> {
  if (input.delete) {
    if (input.name === undefined) return usageError(`dv ${kind} -d needs the name of the ${kind} to delete`)
    if (input.rev !== undefined) return usageError(`dv ${kind} -d takes one name, got '${input.name}' and '${input.rev}'`)
    const name = input.name
    const deleted = await withRepository(ctx, (repo) => (kind === 'branch' ? repo.deleteBranch(name) : repo.deleteTag(name)))
    return emit(ctx, deleted, {
      text: (r) => [`deleted ${kind} ${r.name} (was ${short(r.snapshot)})`],
      view: async (r, color) => (await import('../views/load.js')).viewMessage(color, `deleted ${kind} `, r.name, ` (was ${short(r.snapshot)})`),
    })
  }
  if (input.list || input.name === undefined) {
    if (input.name !== undefined) return usageError(`dv ${kind} --list takes no name (got '${input.name}')`)
    const refs = await withRepository(ctx, (repo) => (kind === 'branch' ? repo.listBranches() : repo.listTags()))
    return emit<RefInfo[]>(ctx, refs, {
      text: (r) => formatRefList(r, kind),
      view: async (r, color) => (await import('../views/load.js')).viewRefs(r, kind, color),
    })
  }
  const name = input.name
  const rev = input.rev
  const created = await withRepository(ctx, (repo) => (kind === 'branch' ? repo.createBranch(name, rev) : repo.createTag(name, rev)))
  return emit(ctx, created, {
    text: (r) => [`created ${kind} ${r.name} at ${short(r.snapshot)}`],
    view: async (r, color) => (await import('../views/load.js')).viewMessage(color, `created ${kind} `, r.name, ` at ${short(r.snapshot)}`),
  })
}
