/**
 * `dv contract set|show|rm TABLE` and `dv check TABLE [--at REV] [--junit FILE]`:
 * thin over Repository.setContract / showContract / removeContract / check.
 * A failing check prints its whole report (or one JSON document) and exits 8.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { exitState, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatCommit } from '../text.js'
import { junitXml, reportLines } from '../contract-text.js'

export interface ContractSetInput {
  table: string
  file: string
  allowUnsupported?: boolean
  message?: string
  branch?: string
}

async function readContractFile(file: string): Promise<string> {
  const { DvError } = await import('../../src/index.js')
  try {
    return await readFile(file, 'utf8')
  } catch (e) {
    const code = (e as { code?: string }).code
    throw new DvError(code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_ARGUMENT', `cannot read contract file ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { hint: 'pass the path of an ODCS v3.1.0 YAML file' })
  }
}

export async function runContractSet(ctx: CliContext, input: ContractSetInput): Promise<void> {
  const text = await readContractFile(input.file)
  const result = await withRepository(ctx, (repo) => repo.setContract(input.table, text, {
    file: input.file, allowUnsupported: input.allowUnsupported === true,
    ...(input.message === undefined ? {} : { message: input.message }),
    ...(input.branch === undefined ? {} : { branch: input.branch }),
  }))
  await emit(ctx, result, {
    text: (r) => [
      ...(r.commit ? formatCommit(r.commit) : [`contract of ${r.table} unchanged`]),
      `  rules enforced: ${r.rules.length ? r.rules.join(', ') : '(none)'}`,
      ...r.unsupported.map((u) => `  not enforced: ${u.what} (${u.where})`),
    ],
  })
}

export async function runContractShow(ctx: CliContext, input: { table: string; at?: string }): Promise<void> {
  const result = await withRepository(ctx, (repo) => repo.showContract(input.table, input.at === undefined ? {} : { at: input.at }))
  if (result.text === null) {
    const { DvError } = await import('../../src/index.js')
    throw new DvError('NOT_FOUND', `table '${result.table}' has no contract at ${result.snapshot.slice(0, 12)}`, { hint: `set one with \`dv contract set ${result.table} FILE\`` })
  }
  await emit(ctx, result, { text: (r) => [r.text!.replace(/\n$/, '')] })
}

export async function runContractRm(ctx: CliContext, input: { table: string; message?: string; branch?: string }): Promise<void> {
  const result = await withRepository(ctx, (repo) => repo.removeContract(input.table, {
    ...(input.message === undefined ? {} : { message: input.message }),
    ...(input.branch === undefined ? {} : { branch: input.branch }),
  }))
  await emit(ctx, result, { text: (r) => (r.commit ? formatCommit(r.commit) : [`table ${r.table} has no contract: nothing to remove`]) })
}

export async function runCheck(ctx: CliContext, input: { table: string; at?: string; junit?: string }): Promise<void> {
  const report = await withRepository(ctx, (repo) => repo.check(input.table, input.at === undefined ? {} : { at: input.at }))
  if (input.junit !== undefined) await writeFile(input.junit, junitXml(report))
  await emit(ctx, report, { text: (r) => reportLines(r) })
  if (!report.passed) exitState.code = 8
}
