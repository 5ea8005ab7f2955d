/**
 * The `dv query` shell's history file (cli/query-shell.ts): one entry per
 * line, oldest first, a statement that spans lines joined into one entry
 * (a newline kept in it is written `\n`, a backslash `\\`).
 *
 * Where: `$DV_QUERY_HISTORY` (empty: no file), else
 * `${XDG_STATE_HOME:-~/.local/state}/dv/query_history`, one file per user as
 * psql, sqlite3 and duckdb keep theirs. Not in the repository: a store may be
 * a URL (S3) with no directory of its own, shared or read-only, and `.dv/`
 * holds dv's own files only; the XDG base directory spec names the state
 * directory for exactly this ("actions history"). Queries can hold values
 * worth keeping private, so the file is created 0600 in a 0700 directory.
 *
 * Each new entry is appended at once (sessions side by side interleave, none
 * overwrites another's), and the file is cut to its newest `size` entries
 * when a session opens and closes it. Reading or writing it never fails the
 * shell: the first failure is reported once on stderr and the shell goes on.
 */
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import path from 'node:path'

/** How many entries the file keeps (and the up arrow reaches). */
export const HISTORY_SIZE = 1000

export function historyPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = env.DV_QUERY_HISTORY
  if (given !== undefined) return given === '' ? undefined : path.resolve(given)
  const state = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(homedir(), '.local', 'state')
  return path.join(state, 'dv', 'query_history')
}

export function encodeEntry(entry: string): string {
  return entry.replace(/\\/g, '\\\\').replace(/\r?\n/g, '\\n')
}

export function decodeEntry(line: string): string {
  return line.replace(/\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : '\\'))
}

export class QueryHistory {
  /** Newest first, as node:readline takes them. */
  readonly entries: string[] = []
  private saving: Promise<void> = Promise.resolve()
  private added = 0
  private failed = false

  private constructor(readonly file: string | undefined, private readonly size: number, private readonly warn: (message: string) => void) {}

  static async open(file: string | undefined, warn: (message: string) => void, size = HISTORY_SIZE): Promise<QueryHistory> {
    const history = new QueryHistory(file, size, warn)
    const lines = await history.read()
    history.entries.push(...lines.slice(-size).reverse())
    if (lines.length > size) await history.rewrite(lines.slice(-size))
    return history
  }

  /** Adds `entry` (unless it repeats the newest one) and appends it to the file. */
  add(entry: string): void {
    if (entry.trim() === '' || entry === this.entries[0]) return
    this.entries.unshift(entry)
    if (this.entries.length > this.size) this.entries.length = this.size
    const file = this.file
    if (file === undefined) return
    this.added++
    this.saving = this.saving.then(async () => {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
      await appendFile(file, encodeEntry(entry) + '\n', { mode: 0o600 })
    }).catch((e: unknown) => this.fail('saved to', e))
  }

  /** Waits for the appends, then cuts the file to its newest entries. */
  async close(): Promise<void> {
    await this.saving
    if (this.added === 0 || this.failed) return
    const lines = await this.read()
    if (lines.length > this.size) await this.rewrite(lines.slice(-this.size))
  }

  private async read(): Promise<string[]> {
    if (this.file === undefined) return []
    try {
      return (await readFile(this.file, 'utf8')).split('\n').filter((l) => l !== '').map(decodeEntry)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.fail('read from', e)
      return []
    }
  }

  private async rewrite(lines: string[]): Promise<void> {
    const file = this.file!
    const temporary = `${file}.${process.pid}.tmp`
    try {
      await writeFile(temporary, lines.map((l) => encodeEntry(l) + '\n').join(''), { mode: 0o600 })
      await rename(temporary, file)
    } catch (e) {
      this.fail('saved to', e)
    }
  }

  private fail(what: string, e: unknown): void {
    if (this.failed) return
    this.failed = true
    this.warn(`warning: the query history cannot be ${what} ${this.file}: ${(e as Error).message}`)
  }
}
