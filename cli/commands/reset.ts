/**
 * `dv reset [--soft|--mixed|--hard] [--force] [--branch NAME] REV`: move the
 * branch; `dv reset TABLE...` / `dv reset -- TABLE...`: unstage those tables
 * (format-spec/workspace.md). One name alone is a REV when it resolves, a
 * table when it has staged changes, and ambiguous (exit 2) when both.
 */
import type { Repository, ResetMode, ResetResult, UnstageResult } from '../../src/index.js'
import { usageError, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatReset, formatUnstage } from '../text.js'

export interface ResetInput {
  /** Operands before `--`. */
  args: string[]
  /** Operands after `--` (tables), or undefined without `--`. */
  tables?: string[]
  soft?: boolean
  mixed?: boolean
  hard?: boolean
  force?: boolean
  branch?: string
}

type Plan = { rev: string } | { tables: string[] }
type Outcome = { kind: 'reset'; result: ResetResult } | { kind: 'unstage'; result: UnstageResult }

async function plan(repo: Repository, arg: string): Promise<Plan> {
  const rev = await repo.resolve(arg).then(() => true, (e: unknown) => e)
  const staged = (await repo.status()).staged.some((c) => c.table === arg)
  if (rev === true && staged) {
    return usageError(`'${arg}' is both a revision and a table with staged changes`, `use \`dv reset -- ${arg}\` to unstage the table, or \`dv reset ${arg}~0\` to reset to the revision`)
  }
  if (rev === true) return { rev: arg }
  if (staged) return { tables: [arg] }
  const { DvError, isDvError } = await import('../../src/index.js')
  if (!isDvError(rev, 'NOT_FOUND')) throw rev // a malformed revision says why
  throw new DvError('NOT_FOUND', `'${arg}' is neither a revision nor a table with staged changes: ${rev.message}`, {
    cause: rev, hint: 'see `dv log`, `dv branch --list` and `dv status`',
  })
}

export async function runReset(ctx: CliContext, input: ResetInput): Promise<void> {
  const modes = (['soft', 'mixed', 'hard'] as const).filter((m) => input[m])
  if (modes.length > 1) return usageError(`--${modes[0]} and --${modes[1]} cannot be combined`)
  const revOnly = modes.length > 0 || input.force === true
  const { args } = input
  if (input.tables !== undefined && args.length > 0) return usageError(`dv reset takes a REV or -- TABLE..., not both (got '${args.join(' ')}' and -- ${input.tables.join(' ')})`)
  if (args.length === 0 && !input.tables?.length) return usageError('dv reset needs a REV (or TABLE... to unstage)', 'for example `dv reset --hard main~1` or `dv reset -- events`')
  if (revOnly && (input.tables !== undefined || args.length > 1)) return usageError('--soft, --mixed, --hard and --force take one REV, not tables')
  const mode: ResetMode | undefined = modes[0]
  const outcome = await withRepository(ctx, async (repo): Promise<Outcome> => {
    const what: Plan = input.tables ? { tables: input.tables } : args.length > 1 ? { tables: args } : revOnly ? { rev: args[0]! } : await plan(repo, args[0]!)
    const branch = input.branch === undefined ? {} : { branch: input.branch }
    if ('rev' in what) return { kind: 'reset', result: await repo.reset(what.rev, { ...branch, ...(mode ? { mode } : {}), ...(input.force ? { force: true } : {}) }) }
    return { kind: 'unstage', result: await repo.unstage({ ...branch, tables: what.tables }) }
  })
  if (outcome.kind === 'reset') return emit(ctx, outcome.result, { text: formatReset })
  return emit(ctx, outcome.result, { text: formatUnstage })
}
