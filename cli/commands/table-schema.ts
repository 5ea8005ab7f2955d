/**
 * `dv table alter TABLE ACTION ...` (one schema change, committed at once)
 * and `dv table schema TABLE [--at REV]` (the schema in the `--schema` text
 * form, so one table's schema can create another).
 */
import { usageError, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatCommit } from '../text.js'
import type { AlterTableChange } from '../../src/index.js'

export interface AlterInput {
  table: string
  action: string
  args: string[]
  message?: string
  branch?: string
}

const USAGE = 'dv table alter TABLE add-column PATH TYPE | rename-column PATH NEW | drop-column PATH | widen PATH TYPE'

/** The change the arguments spell; exit 2 with the usage when they do not. */
async function changeOf(action: string, args: string[]): Promise<AlterTableChange> {
  const want = (n: number, what: string): Promise<void> | undefined =>
    args.length === n ? undefined : usageError(`${action} takes ${what}, got ${args.length} argument(s): ${args.join(' ') || '(none)'}`, `usage: ${USAGE}`)
  switch (action) {
    case 'add-column':
      // a type with spaces (`struct<a: int, b: string>`) may come unquoted: the rest of the arguments is the type
      if (args.length < 2) await want(2, 'PATH TYPE')
      return { action, path: args[0]!, type: args.slice(1).join(' ') }
    case 'rename-column':
      await want(2, 'PATH NEW')
      return { action, path: args[0]!, name: args[1]! }
    case 'drop-column':
      await want(1, 'PATH')
      return { action, path: args[0]! }
    case 'widen':
      await want(2, 'PATH TYPE')
      return { action, path: args[0]!, type: args[1]! }
    default:
      return usageError(`unknown alter action '${action}'`, `usage: ${USAGE}`)
  }
}

export async function runAlter(ctx: CliContext, input: AlterInput): Promise<void> {
  const change = await changeOf(input.action, input.args)
  const result = await withRepository(ctx, (repo) => repo.alterTable(input.table, change, {
    ...(input.message === undefined ? {} : { message: input.message }),
    ...(input.branch === undefined ? {} : { branch: input.branch }),
  }))
  await emit(ctx, result, { text: (r) => [...formatCommit(r.commit), `  schema: ${r.schema}`] })
}

export async function runSchema(ctx: CliContext, input: { table: string; at?: string }): Promise<void> {
  const result = await withRepository(ctx, (repo) => repo.tableSchema(input.table, input.at === undefined ? {} : { at: input.at }))
  await emit(ctx, result, { text: (r) => [r.text] })
}
