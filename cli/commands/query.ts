/** `dv query "SQL" [--at REV] [--format F]`: one SELECT over the tables of a snapshot, the result to stdout as `dv cat` writes it. */
import { readFile } from 'node:fs/promises'
import { rowFormat, usageError, withRepository, type CliContext } from '../context.js'

export interface QueryInput {
  sql?: string
  at?: string
  format?: string
  file?: string
}

export async function runQuery(ctx: CliContext, input: QueryInput): Promise<void> {
  if (input.sql !== undefined && input.file !== undefined) return usageError('give the query as an argument or with --file, not both')
  const sql = input.file !== undefined ? await readQueryFile(input.file) : input.sql
  if (sql === undefined) return usageError('no query given', 'e.g. dv query "SELECT kind, count(*) FROM events GROUP BY kind", or --file query.sql')
  const format = await rowFormat(ctx, input.format, `dv query "..." --format ${input.format ?? ''} > result`)
  await withRepository(ctx, (repo) => repo.query(sql, ctx.stdout, { format, ...(input.at === undefined ? {} : { at: input.at }) }))
}

async function readQueryFile(path: string): Promise<string> {
  const { DvError } = await import('../../src/index.js')
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new DvError(code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_ARGUMENT', `cannot read the query file ${path}: ${(e as Error).message}`, { details: { path } })
  }
}
