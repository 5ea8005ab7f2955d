/**
 * Maps anything thrown by a command to stderr text (and a JSON document on
 * stdout under --json) and returns the exit code (README.md, "Exit codes";
 * src/errors.ts EXIT_CODES): DvError -> its exitCode, commander usage
 * errors -> 2, anything else -> 1 (a bug).
 */
import type { ContractReport } from '../src/index.js'
import { reportLines } from './contract-text.js'

export interface ErrorReport {
  code: string
  message: string
  hint?: string
  exitCode: number
  /** A commit refused by a data contract (exit 8): the report of each failing table. */
  contract?: ContractReport[]
}

interface DvErrorShape {
  code: string
  message: string
  hint?: string
  exitCode: number
  details?: Record<string, unknown>
}

function isDvErrorShape(e: unknown): e is DvErrorShape {
  return e instanceof Error && e.name === 'DvError' && typeof (e as { exitCode?: unknown }).exitCode === 'number'
}

interface CommanderErrorShape {
  code: string
  exitCode: number
  message: string
}

function isCommanderError(e: unknown): e is CommanderErrorShape {
  return e instanceof Error && e.name === 'CommanderError' && typeof (e as { code?: unknown }).code === 'string'
}

/** True for a closed pipe on stdout (`dv cat t | head`): not an error. */
export function isBrokenPipe(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    if ((cur as { code?: unknown }).code === 'EPIPE' || (cur as { code?: unknown }).code === 'ERR_STREAM_DESTROYED') return true
    cur = (cur as { cause?: unknown }).cause
  }
  return false
}

const REPORT_HINT = 'please report it with the command you ran (set DV_DEBUG=1 for a stack trace)'

export function describeError(e: unknown): ErrorReport {
  if (isDvErrorShape(e)) {
    if (e.code === 'INTERNAL') {
      return { code: e.code, message: `internal error (a bug in dv): ${e.message}`, hint: e.hint ?? REPORT_HINT, exitCode: e.exitCode }
    }
    const contract = e.code === 'QUALITY' && Array.isArray(e.details?.contract) ? { contract: e.details.contract as ContractReport[] } : {}
    return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}), exitCode: e.exitCode, ...contract }
  }
  if (isCommanderError(e)) {
    return { code: 'INVALID_ARGUMENT', message: e.message.replace(/^error: /, ''), hint: "see 'dv --help' or 'dv COMMAND --help'", exitCode: 2 }
  }
  const message = e instanceof Error ? e.message : String(e)
  return { code: 'INTERNAL', message: `internal error (a bug in dv): ${message}`, hint: REPORT_HINT, exitCode: 1 }
}

export interface ReportTarget {
  json: boolean
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  debug: boolean
  /** Commander already printed its own `error: …` line. */
  alreadyPrinted?: boolean
}

export function reportError(e: unknown, target: ReportTarget): number {
  const report = describeError(e)
  if (!target.alreadyPrinted) {
    target.stderr.write(`error: ${report.message}\n`)
    for (const r of report.contract ?? []) target.stderr.write(reportLines(r, true).join('\n') + '\n')
    if (report.hint) target.stderr.write(`hint: ${report.hint}\n`)
  }
  if (target.debug && e instanceof Error && e.stack) target.stderr.write(e.stack + '\n')
  if (target.json) target.stdout.write(JSON.stringify({ error: report }) + '\n')
  return report.exitCode
}
