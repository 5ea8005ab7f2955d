/**
 * Temporary files that say who owns them. A process killed with SIGKILL
 * cannot clean up: its scratch directory (spooled input, Parquet being
 * written, DuckDB's spills: up to the size of the input) stays in `.dv/tmp`.
 * Every temporary entry dv makes there is therefore named after its owner:
 *
 *   <kind>.<host>.<pid>.<start>.<random>      e.g. proc.3fa2c1d0.4711.123456.9f2c
 *
 * `host` is 8 hex digits of the SHA-256 of the host name (a workspace on a
 * shared file system is never judged by another machine's process table),
 * `start` the process start time in clock ticks since boot (/proc/PID/stat,
 * field 22) so that a reused pid is not mistaken for the owner; `x` where the
 * platform has no /proc. An entry is garbage only when its owner is known to
 * be gone: same host, and no process with that pid, or one that started at
 * another time. Never by age alone: a long write may run for hours.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { lstat, readdir, rm } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'

export interface Owner {
  host: string
  pid: number
  /** Start time in clock ticks since boot, or 'x' when unknown. */
  start: string
}

const NAME = /^([a-z]+)\.([0-9a-f]{8})\.(\d+)\.(\d+|x)\.([0-9a-z-]+)$/

function hostHash(): string {
  return createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
}

/** Field 22 of /proc/PID/stat (after the command name, which may hold spaces and parentheses). */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const start = fields[22 - 3]
    return start !== undefined && /^\d+$/.test(start) ? start : undefined
  } catch {
    return undefined
  }
}

let self: Owner | undefined
export function currentOwner(): Owner {
  self ??= { host: hostHash(), pid: process.pid, start: processStartTime(process.pid) ?? 'x' }
  return self
}

/** A fresh name for a temporary entry of `kind` owned by this process. */
export function ownedName(kind: string, suffix = randomBytes(6).toString('hex')): string {
  const o = currentOwner()
  return `${kind}.${o.host}.${o.pid}.${o.start}.${suffix}`
}

export function ownerOf(name: string): { kind: string; owner: Owner } | undefined {
  const m = NAME.exec(name)
  if (!m) return undefined
  return { kind: m[1]!, owner: { host: m[2]!, pid: Number(m[3]), start: m[4]! } }
}

/** 'gone' only when the owner is known to have exited; 'alive' or 'unknown' keep the entry. */
export function ownerState(owner: Owner): 'alive' | 'gone' | 'unknown' {
  if (owner.host !== currentOwner().host) return 'unknown'
  if (owner.pid === process.pid && owner.start === currentOwner().start) return 'alive'
  try {
    process.kill(owner.pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return 'gone'
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return 'unknown'
  }
  // a process has that pid: the owner, unless it started at another time (a reused pid)
  if (owner.start === 'x') return 'alive'
  const start = processStartTime(owner.pid)
  return start === undefined || start === owner.start ? 'alive' : 'gone'
}

export interface TempEntry {
  path: string
  bytes: number
  /** The owner recorded in the name; undefined for a name without one (a dv older than owner names). */
  owner?: Owner
  state: 'alive' | 'gone' | 'unknown'
}

/** Total size of a file or directory tree (symlinks not followed). */
async function sizeOf(path: string): Promise<number> {
  try {
    const st = await lstat(path)
    if (!st.isDirectory()) return st.size
    let total = 0
    for (const name of await readdir(path)) total += await sizeOf(join(path, name))
    return total
  } catch {
    return 0 // removed meanwhile
  }
}

/** Every entry of a temporary directory, with its size and whose it is. */
export async function listTemp(dir: string, only?: (name: string) => boolean): Promise<TempEntry[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  const out: TempEntry[] = []
  for (const name of names.sort()) {
    if (only && !only(name)) continue
    const parsed = ownerOf(name)
    const path = join(dir, name)
    out.push({ path, bytes: await sizeOf(path), ...(parsed ? { owner: parsed.owner } : {}), state: parsed ? ownerState(parsed.owner) : 'unknown' })
  }
  return out
}

/** Removes the entries of `dir` whose owner is gone; returns what was removed. */
export async function sweepTemp(dir: string, only?: (name: string) => boolean): Promise<TempEntry[]> {
  const removed: TempEntry[] = []
  for (const entry of await listTemp(dir, only)) {
    if (entry.state !== 'gone') continue
    await rm(entry.path, { recursive: true, force: true })
    removed.push(entry)
  }
  return removed
}
