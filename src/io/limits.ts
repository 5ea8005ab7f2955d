/**
 * The data engine's limits, as dv names them. DuckDB's defaults were made for
 * an interactive database (a 16 MiB JSON record, a 2 MB CSV line), and dv's
 * own fixed 512 MB of memory per instance ran out on a 6,000-column CSV. dv
 * sizes them itself and exposes the rest as settings:
 *
 *   DV_MEMORY_LIMIT      memory of each DuckDB instance (default: a quarter of
 *                        the machine's memory or its cgroup limit, at least 512 MiB)
 *   DV_MAX_RECORD_BYTES  the longest NDJSON record or CSV line an input may hold
 *                        (NDJSON: 256 MiB, each file read with what its longest
 *                        line needs, ndjson-lines.ts; CSV: DuckDB's 2 MB, as its
 *                        read buffers are 16 times the line limit)
 *
 * Errors that hit a limit name the setting, never DuckDB's option (users
 * cannot set `memory_limit`, `maximum_object_size` or `max_line_size`).
 */
import { totalmem } from 'node:os'
import { DvError } from '../errors.js'

export const MEMORY_SETTING = 'DV_MEMORY_LIMIT'
export const RECORD_SETTING = 'DV_MAX_RECORD_BYTES'

const MiB = 1 << 20
const GiB = 1 << 30
const MIN_MEMORY = 512 * MiB
const MAX_DEFAULT_MEMORY = 16 * GiB

export interface EngineLimits {
  /** memory_limit of each DuckDB instance, in bytes. */
  memoryBytes: number
  /** True when DV_MEMORY_LIMIT set it (dv then never raises it on its own). */
  memoryFromSetting: boolean
  /** The longest NDJSON record dv reads (each file gets DuckDB's maximum_object_size from its longest line, up to this). */
  maxJsonRecordBytes: number
  /** The longest CSV line (DuckDB max_line_size), only when DV_MAX_RECORD_BYTES sets it. */
  maxCsvLineBytes?: number
}

/** '2GiB', '1.5 GB', '512MiB', '800M', '1073741824' -> bytes (binary units; 'GB' is read as GiB). */
export function parseByteSize(text: string, setting: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(k|m|g|t)?(i?b)?\s*$/i.exec(text)
  const unit = m?.[2] ? { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase() as 'k'] : 1
  const bytes = m ? Math.floor(Number(m[1]) * unit) : NaN
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || (m?.[3] !== undefined && m[2] === undefined && !/^b$/i.test(m[3]))) {
    throw new DvError('INVALID_ARGUMENT', `invalid ${setting} '${text}': expected a size such as 2GiB, 512MiB or 1073741824`, {
      hint: `fix or unset ${setting}`,
    })
  }
  return bytes
}

/** The memory this process may use: the machine's, or less under a cgroup limit. */
export function machineMemoryBytes(): number {
  const total = totalmem()
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.()
  return constrained !== undefined && constrained > 0 && constrained < total ? constrained : total
}

export function engineLimits(env: NodeJS.ProcessEnv = process.env): EngineLimits {
  const memorySetting = env[MEMORY_SETTING]?.trim()
  const memoryBytes = memorySetting
    ? Math.max(64 * MiB, parseByteSize(memorySetting, MEMORY_SETTING))
    : Math.min(MAX_DEFAULT_MEMORY, Math.max(MIN_MEMORY, Math.floor(machineMemoryBytes() / 4)))
  const recordSetting = env[RECORD_SETTING]?.trim()
  const record = recordSetting ? parseByteSize(recordSetting, RECORD_SETTING) : undefined
  return {
    memoryBytes,
    memoryFromSetting: Boolean(memorySetting),
    maxJsonRecordBytes: record ?? DEFAULT_MAX_JSON_RECORD,
    ...(record === undefined ? {} : { maxCsvLineBytes: record }),
  }
}

const DEFAULT_MAX_JSON_RECORD = 256 * MiB

/** A byte count for messages: '16 MiB', '1.5 GiB'. */
export function formatBytes(n: number): string {
  if (n >= GiB) return `${Number((n / GiB).toFixed(1))} GiB`
  if (n >= MiB) return `${Number((n / MiB).toFixed(1))} MiB`
  return `${n} bytes`
}

/** The hint for an engine that ran out of memory. */
export function memoryHint(limits: EngineLimits = engineLimits()): string {
  const more = formatBytes(Math.max(limits.memoryBytes * 2, GiB))
  return `dv's data engine may use ${formatBytes(limits.memoryBytes)}${limits.memoryFromSetting ? ` (${MEMORY_SETTING})` : ''}: give it more with ${MEMORY_SETTING}=${more.replace(' ', '')}, or free disk space in .dv/tmp, where it spills`
}

/**
 * An error DuckDB raised because the input hit one of the limits above, as a
 * DvError naming dv's setting; undefined for anything else.
 */
export function explainLimitError(e: unknown, name: string, limits: EngineLimits = engineLimits()): DvError | undefined {
  const text = e instanceof Error ? e.message : String(e)
  const json = /"maximum_object_size" of (\d+) bytes exceeded/.exec(text)
  const csv = /Maximum line size of (\d+) bytes exceeded\. Actual Size:\s*(\d+)/.exec(text)
  if (json || csv) {
    const limit = Number((json ?? csv)![1])
    const need = csv ? Number(csv[2]) : undefined
    const suggestion = `${Math.ceil(Math.max(limit * 4, need ? need * 2 : 0) / MiB)}MiB`
    return new DvError('INVALID_ARGUMENT', `${name} has a ${json ? 'JSON record' : 'line'} longer than ${formatBytes(limit)}${need ? ` (${formatBytes(need)})` : ''}, the longest dv reads`, {
      cause: e,
      hint: `raise the limit with ${RECORD_SETTING}=${suggestion} (the engine reserves ${json ? 'twice' : '16 times'} that per thread: ${MEMORY_SETTING} may need raising too)`,
      details: { file: name, limitBytes: limit, setting: RECORD_SETTING },
    })
  }
  if (/^Out of Memory Error/.test(text)) {
    return new DvError('STORAGE', `${name}: the data engine ran out of memory (${oomDetail(text)})`, {
      cause: e, hint: memoryHint(limits), details: { file: name, setting: MEMORY_SETTING },
    })
  }
  return undefined
}

function oomDetail(text: string): string {
  return /\(([\d.]+ [KMGT]iB\/[\d.]+ [KMGT]iB used)\)/.exec(text)?.[1] ?? 'over its limit'
}

/**
 * DuckDB's advice names its own options ("Try increasing 'sample_size'",
 * "Possible Solution: ... max_line_size=..."): dropped from the text dv shows.
 */
export function withoutEngineAdvice(text: string): string {
  return text
    .replace(/;?\s*Try increasing [^\n]*/g, '')
    .replace(/;?\s*Possible (Solution|fixes)[^\n]*/gi, '')
    .trim()
}
