/** `dv branch` and `dv tag`: list, create (NAME [REV]) or delete (-d NAME). */
import { usageError, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatProtection, formatRefList, formatRestoreBranch, short } from '../text.js'
import type { ProtectResult, RefInfo } from '../../src/index.js'

export interface RefsInput {
  name?: string
  rev?: string
  delete?: boolean
  list?: boolean
  /** `dv branch restore NAME@{N} --force`. */
  force?: boolean
  /** `dv branch protect NAME --require-checks --require-merge`, `dv branch protect --log`. */
  requireChecks?: boolean
  requireMerge?: boolean
  log?: boolean
}

/** `dv branch protect NAME [--require-checks] [--require-merge]`, `dv branch protect --list|--log`, `dv branch unprotect NAME`. */
async function runProtect(ctx: CliContext, verb: 'protect' | 'unprotect', input: RefsInput): Promise<void> {
  const name = input.rev
  if (input.delete || input.force) return usageError(`dv branch ${verb} takes no -d or --force`)
  if (verb === 'protect' && (input.list || input.log)) {
    if (name !== undefined) return usageError(`dv branch protect ${input.list ? '--list' : '--log'} takes no name (got '${name}')`)
    if (input.log) {
      const history = await withRepository(ctx, (repo) => repo.settingsHistory())
      return emit(ctx, history, {
        text: (h) => h.map((v) => `${short(v.id)} ${v.time} ${v.author}: ${v.message}`),
      })
    }
    const rules = await withRepository(ctx, (repo) => repo.protectedBranches())
    const rows = Object.entries(rules).map(([branch, p]) => ({ branch, ...p }))
    return emit(ctx, rows, { text: (r) => r.map((b) => `${b.branch}  ${formatProtection(b)}`) })
  }
  if (name === undefined) return usageError(`dv branch ${verb} needs the name of a branch`, `for example \`dv branch ${verb} main${verb === 'protect' ? ' --require-merge' : ''}\``)
  if (verb === 'unprotect' && (input.requireChecks || input.requireMerge || input.list || input.log)) {
    return usageError('dv branch unprotect takes only the name of a branch')
  }
  const result = await withRepository(ctx, (repo) => verb === 'protect'
    ? repo.protectBranch(name, { requireChecks: input.requireChecks === true, requireMerge: input.requireMerge === true })
    : repo.unprotectBranch(name))
  const text = (r: ProtectResult): string[] => {
    if (r.protection === null) return [`branch ${r.branch} is no longer protected`]
    return [`branch ${r.branch} is ${formatProtection(r.protection)}${r.settings === null ? ' (unchanged)' : ''}`]
  }
  return emit(ctx, result, { text })
}

/** `dv branch restore NAME@{N} [--force]`: 'restore' is a word of the command, not a branch name here. */
async function runRestore(ctx: CliContext, input: RefsInput): Promise<void> {
  const spec = input.rev
  if (spec === undefined || input.delete || input.list) {
    return usageError('dv branch restore needs one NAME@{N}', 'for example `dv branch restore main@{1}`; `dv reflog NAME` lists the entries')
  }
  const result = await withRepository(ctx, (repo) => repo.restoreBranch(spec, input.force ? { force: true } : {}))
  return emit(ctx, result, {
    text: formatRestoreBranch,
    view: async (r, color) => (await import('../views/load.js')).viewMessage(color, '', formatRestoreBranch(r)[0]!, ''),
  })
}

export async function runRefs(ctx: CliContext, kind: 'branch' | 'tag', input: RefsInput): Promise<void> {
  if (kind === 'branch' && input.name === 'restore') return runRestore(ctx, input)
  if (kind === 'branch' && (input.name === 'protect' || input.name === 'unprotect')) return runProtect(ctx, input.name, input)
  if (input.force) return usageError(`--force applies to \`dv branch restore NAME@{N}\` only`)
  if (input.requireChecks || input.requireMerge || input.log) return usageError('--require-checks, --require-merge and --log apply to `dv branch protect` only')
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
