/**
 * `dv query "SQL" [--at REV] [--format F]`: one SELECT over the tables of a
 * snapshot, the result to stdout as `dv cat` writes it. With no SQL and no
 * --file the query is read from stdin, as `dv write` reads its input (`echo
 * "SELECT 1" | dv query`), and when stdin is a terminal an interactive shell
 * opens instead (cli/query-shell.ts).
 */
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
  if (input.sql === undefined && input.file === undefined && process.stdin.isTTY) {
    const format = await rowFormat(ctx, input.format, `dv query "..." --format ${input.format ?? ''} > result`)
    const { runQueryShell, SHELL_FORMATS } = await import('../query-shell.js')
    if (!SHELL_FORMATS.includes(format)) {
      return usageError(`the query shell prints ${SHELL_FORMATS.join(', ')}, not ${format}`, `give the query to write ${format}: dv query "..." --format ${format} > result.${format}`)
    }
    return runQueryShell(ctx, { format, ...(input.at === undefined ? {} : { at: input.at }) })
  }
  const sql = input.file !== undefined ? await readQueryFile(input.file) : input.sql ?? (await readStdinQuery())
  const format = await rowFormat(ctx, input.format, `dv query "..." --format ${input.format ?? ''} > result`)
  await withRepository(ctx, (repo) => repo.query(sql, ctx.stdout, { format, ...(input.at === undefined ? {} : { at: input.at }) }))
}

/** The query piped in (`echo "SELECT 1" | dv query`); nothing but blanks is a usage error, as no query at all was. */
async function readStdinQuery(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  const sql = Buffer.concat(chunks).toString('utf8')
  if (sql.trim() === '') return usageError('no query given', 'e.g. dv query "SELECT kind, count(*) FROM events GROUP BY kind", --file query.sql, or the query on stdin; on a terminal, dv query alone opens a shell')
  return sql
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
