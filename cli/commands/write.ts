/**
 * `dv write TABLE [FILE...|-]`: one staged change per FILE, or with --commit
 * exactly one FILE committed at once.
 */
import path from 'node:path'
import { usageError, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { catchInterrupts } from '../interrupt.js'
import { startProgress } from '../progress.js'
import type { CsvOptions, InputFormat, OnViolation, WriteMode, WriteOptions, WriteResult } from '../../src/index.js'
import { formatWrite, noteChecks } from '../text.js'
import { lineageOptions } from '../lineage.js'

export interface WriteInput {
  table: string
  files: string[]
  /** false: --no-verify. */
  verify?: boolean
  mode?: string
  partitionBy?: string
  format?: string
  commit?: boolean
  message?: string
  idempotencyKey?: string
  branch?: string
  where?: string
  key?: string
  schema?: string
  allowEmpty?: boolean
  delimiter?: string
  quote?: string
  escape?: string
  /** commander's --header/--no-header: true unless --no-header. */
  header?: boolean
  null?: string
  dateFormat?: string
  timestampFormat?: string
  compression?: string
  /** fail (the default) or quarantine; commander allows only these two. */
  onViolation?: string
  meta?: string[]
}

function csvOptions(input: WriteInput): CsvOptions | undefined {
  const csv: CsvOptions = {
    ...(input.delimiter === undefined ? {} : { delimiter: input.delimiter }),
    ...(input.quote === undefined ? {} : { quote: input.quote }),
    ...(input.escape === undefined ? {} : { escape: input.escape }),
    ...(input.header === false ? { header: false } : {}),
    ...(input.null === undefined ? {} : { nullString: input.null }),
    ...(input.dateFormat === undefined ? {} : { dateFormat: input.dateFormat }),
    ...(input.timestampFormat === undefined ? {} : { timestampFormat: input.timestampFormat }),
    ...(input.compression === undefined ? {} : { compression: input.compression as CsvOptions['compression'] }),
  }
  return Object.keys(csv).length ? csv : undefined
}

function toOptions(input: WriteInput): WriteOptions {
  return {
    ...(input.mode === undefined ? {} : { mode: input.mode as WriteMode }),
    ...(input.partitionBy === undefined ? {} : { partitionBy: input.partitionBy }),
    ...(input.format === undefined ? {} : { format: input.format as InputFormat }),
    ...(input.commit ? { commit: true } : {}),
    ...(input.message === undefined ? {} : { message: input.message }),
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
    ...(input.branch === undefined ? {} : { branch: input.branch }),
    ...(input.where === undefined ? {} : { where: input.where }),
    ...(input.key === undefined ? {} : { key: input.key.split(',').map((k) => k.trim()) }),
    ...(input.schema === undefined ? {} : { schema: input.schema }),
    ...(input.allowEmpty ? { allowEmpty: true } : {}),
    ...(input.verify === false ? { verify: false } : {}),
    ...(csvOptions(input) ? { csv: csvOptions(input) } : {}),
    ...(input.onViolation === undefined ? {} : { onViolation: input.onViolation as OnViolation }),
  }
}

async function checkInput(input: WriteInput): Promise<Array<string | undefined>> {
  if (input.mode === 'delete') {
    if (input.files.length > 0) return usageError('--mode delete takes no FILE', `dv write ${input.table} --mode delete --where PREDICATE`)
    return [undefined]
  }
  if (input.files.length === 0 && process.stdin.isTTY) {
    return usageError(`no input for table ${input.table}: name a FILE, or pipe data in with '-'`, `for example: dv write ${input.table} data.csv, or: cat data.csv | dv write ${input.table} - --format csv`)
  }
  const files = input.files.length === 0 ? ['-'] : input.files
  if (input.commit) {
    if (files.length !== 1) {
      return usageError(`--commit takes exactly one FILE, got ${files.length}`, `stage each file with 'dv write ${input.table} FILE', then run 'dv commit -m MSG'`)
    }
    // a missing -m is the library's check (Repository.write), as for `dv commit`
  } else if (input.message !== undefined) {
    return usageError('-m/--message is only used with --commit', "add --commit to commit now, or run 'dv commit -m MSG' later")
  } else if (input.meta?.length) {
    return usageError('--meta is recorded by a commit: it is only used with --commit', "add --commit to commit now, or pass it to 'dv commit -m MSG --meta KEY=VALUE' later")
  }
  if (files.filter((f) => f === '-').length > 1) return usageError("stdin ('-') can be read only once")
  return files
}

export async function runWrite(ctx: CliContext, input: WriteInput): Promise<void> {
  const files = await checkInput(input)
  const lineage = input.commit ? await lineageOptions(input.meta) : undefined
  const interrupts = catchInterrupts(ctx, input.commit
    ? 'the commit may have landed if its ref update had started: see `dv log`; the next write removes temporary files'
    : 'nothing was committed; the next write removes temporary files')
  const options: WriteOptions = { ...toOptions(input), signal: interrupts.signal, ...(lineage ? { lineage } : {}) }
  // a schema file is named relative to the working directory, like the input files
  const schemaFile = options.schema?.startsWith('@') ? options.schema.slice(1) : /\.json$/i.test(options.schema?.trim() ?? '') ? options.schema!.trim() : undefined
  if (schemaFile !== undefined) options.schema = `@${path.resolve(ctx.cwd, schemaFile)}`
  const out: WriteResult[] = []
  try {
    await withRepository(ctx, async (repo) => {
      for (const file of files) {
        const source = file === undefined ? undefined : file === '-' ? '-' : path.resolve(ctx.cwd, file)
        const progress = file === undefined ? undefined : startProgress(ctx, `writing ${file === '-' ? '<stdin>' : file} to ${input.table}`)
        try {
          out.push(await repo.write(input.table, source, progress ? { ...options, onProgress: (p) => progress.update(p) } : options))
        } finally {
          progress?.stop()
        }
      }
    })
  } catch (e) {
    if (!interrupts.isAbort(e)) throw e
    const staged = out.length ? ` (${out.length} of ${files.length} files were staged before the signal: \`dv status\` lists them)` : ''
    return interrupts.report(`nothing was committed${staged}`, false)
  } finally {
    interrupts.dispose()
  }
  const result: WriteResult | WriteResult[] = out.length === 1 ? out[0]! : out
  await emit(ctx, result, {
    text: (r) => (Array.isArray(r) ? r : [r]).flatMap(formatWrite),
    view: async (r, color) => (await import('../views/load.js')).viewWrite(Array.isArray(r) ? r : [r], color),
  })
  for (const r of out) noteChecks(ctx, r.commit?.checks, r.branch)
  // the signal came once the commit had started: it completed, as printed above
  if (interrupts.received) interrupts.report(input.commit ? `the commit had started and landed: ${out[0]?.commit?.snapshot ?? ''}` : 'the write had finished', true)
}
