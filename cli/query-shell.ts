/**
 * `dv query` with no SQL while stdin is a terminal (issue 12): an interactive
 * shell over ONE snapshot, pinned when it starts (`--at REV`, else HEAD), on
 * ONE Repository, so DuckDB starts once and every statement takes the path
 * `dv query "SQL"` takes (Repository.query).
 *
 * - Results go to stdout exactly as `dv query` prints them; the banner,
 *   prompts, dot-command output and errors go to stderr (the CLI contract:
 *   stdout holds results only, so `dv query > out.csv` still works).
 * - Line editing and history come from node:readline; the history file is
 *   cli/query-history.ts, one entry per statement however many lines it took.
 * - A statement runs when a line ends it with `;` (cli/sql-statements.ts);
 *   until then the prompt is the continuation prompt.
 * - A failing statement prints what `dv` prints for that error (message and
 *   hint) and the shell goes on: it exits 0 unless it could not start.
 * - Ctrl-C during a statement aborts it (Repository.query's signal interrupts
 *   the engine; output still to come is dropped) and returns to the prompt; a
 *   second Ctrl-C before it has stopped exits 130 at once. At the prompt,
 *   Ctrl-C drops the line and any unfinished statement; at an empty prompt it
 *   says how to leave, and a second Ctrl-C in a row leaves. Ctrl-D (end of
 *   input) on an empty line leaves, exit 0.
 */
import { createInterface, type Interface } from 'node:readline'
import { Writable } from 'node:stream'
import type { OutputFormat, Repository } from '../src/index.js'
import { withRepository, type CliContext } from './context.js'
import { historyPath, HISTORY_SIZE, QueryHistory } from './query-history.js'
import { isBrokenPipe, reportError } from './report-error.js'
import { splitStatements } from './sql-statements.js'

/** The formats the shell prints: text (Parquet and Arrow are files: `dv query "SQL" --format parquet > F`). */
export const SHELL_FORMATS: readonly OutputFormat[] = ['csv', 'ndjson', 'json']

const PROMPT = 'dv> '
const CONTINUE = '... '

export interface ShellInput {
  at?: string
  format: OutputFormat
}

interface Pinned {
  snapshot: string
  /** What the user named it by: the --at text, or HEAD. */
  label: string
  refs: string[]
  tables: string[]
}

export async function runQueryShell(ctx: CliContext, input: ShellInput): Promise<void> {
  await withRepository(ctx, async (repo) => {
    const pinned = await pin(repo, input.at)
    const history = await QueryHistory.open(historyPath(), (message) => ctx.stderr.write(message + '\n'))
    const refs = pinned.refs.length ? ` (${pinned.refs.join(', ')})` : ''
    ctx.stderr.write(`dv query shell at ${pinned.label} ${pinned.snapshot.slice(0, 7)}${refs}, tables: ${pinned.tables.join(', ') || '(none)'}\n`
      + `end statements with ';'; .help for help; Ctrl-D or .quit to leave\n`)
    try {
      await new Shell(ctx, repo, pinned, input.format, history).run()
    } finally {
      await history.close()
    }
  })
}

/**
 * Resolves `at` as `dv query --at` does (a REV or a time; an expired snapshot
 * is refused) by running a query that reads no table, which also starts the
 * engine before the first prompt.
 */
async function pin(repo: Repository, at: string | undefined): Promise<Pinned> {
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() })
  const { snapshot } = await repo.query('SELECT 1', discard, { format: 'csv', ...(at === undefined ? {} : { at }) })
  const shown = await repo.show(snapshot)
  return { snapshot, label: at ?? 'HEAD', refs: shown.commit.refs, tables: Object.keys(shown.tables).sort() }
}

class Shell {
  private readonly rl: Interface
  /** What node:readline shows for the up arrow: the shell's entries, never its single lines. */
  private live: string[]
  private readonly queued: string[] = []
  private wake: (() => void) | undefined
  private closed = false
  /** The text of the unfinished statement, and the lines typed for it (its history entry). */
  private buffer = ''
  private lines: string[] = []
  private running: AbortController | undefined
  private interruptedAtPrompt = false
  private stdoutBroken = false
  /** Left by a second Ctrl-C, which already ended the line. */
  private leftByInterrupt = false

  constructor(
    private readonly ctx: CliContext,
    private readonly repo: Repository,
    private readonly pinned: Pinned,
    private format: OutputFormat,
    private readonly history: QueryHistory,
  ) {
    this.live = [...history.entries]
    this.rl = createInterface({
      input: process.stdin,
      output: ctx.stderr,
      terminal: process.stdin.isTTY === true && ctx.stderr.isTTY === true,
      history: this.live,
      historySize: HISTORY_SIZE,
      prompt: PROMPT,
    })
    // readline adds each line as it is entered; the shell keeps statements instead (documented use of the event)
    this.rl.on('history', (entries: string[]) => {
      this.live = entries
      entries.splice(0, entries.length, ...this.history.entries)
    })
    this.rl.on('line', (line) => {
      this.queued.push(line)
      this.wake?.()
    })
    this.rl.on('close', () => {
      this.closed = true
      this.wake?.()
    })
  }

  async run(): Promise<void> {
    const onInterrupt = () => this.interrupt()
    // on a terminal readline reads Ctrl-C as a key; a SIGINT still comes from `kill -INT` or a non-terminal stderr
    this.rl.on('SIGINT', onInterrupt)
    process.on('SIGINT', onInterrupt)
    try {
      for (;;) {
        this.prompt()
        const line = await this.next()
        if (line === undefined) break
        if (!(await this.take(line))) break
        if (this.stdoutBroken) break
      }
    } finally {
      process.off('SIGINT', onInterrupt)
      const closed = this.closed
      if (!closed) this.rl.close()
      // Ctrl-D leaves the cursor after the prompt
      if (closed && !this.leftByInterrupt && this.rl.terminal) this.ctx.stderr.write('\n')
    }
  }

  private prompt(): void {
    this.rl.setPrompt(this.buffer === '' ? PROMPT : CONTINUE)
    this.rl.prompt(true)
  }

  private async next(): Promise<string | undefined> {
    while (this.queued.length === 0 && !this.closed) await new Promise<void>((resolve) => (this.wake = resolve))
    this.wake = undefined
    return this.queued.shift()
  }

  /** Handles one line; false: leave the shell. */
  private async take(line: string): Promise<boolean> {
    this.interruptedAtPrompt = false
    if (this.buffer === '') {
      const trimmed = line.trim()
      if (trimmed === '') return true
      if (trimmed.startsWith('.')) {
        this.remember(trimmed)
        return this.dotCommand(trimmed)
      }
    }
    this.lines.push(line)
    const split = splitStatements(this.buffer === '' ? line : `${this.buffer}\n${line}`)
    this.buffer = split.pending ? split.rest : ''
    if (!split.pending) {
      this.remember(this.lines.slice(0, -1).some((l) => l.includes('--')) ? this.lines.join('\n') : this.lines.map((l) => l.trim()).join(' '))
      this.lines = []
    }
    for (const sql of split.statements) {
      await this.execute(sql)
      if (this.stdoutBroken) break
    }
    return true
  }

  private remember(entry: string): void {
    this.history.add(entry)
    this.live.splice(0, this.live.length, ...this.history.entries)
  }

  private async execute(sql: string): Promise<void> {
    const controller = new AbortController()
    this.running = controller
    const out = forwardTo(this.ctx.stdout, controller.signal, () => (this.stdoutBroken = true))
    try {
      await this.repo.query(sql, out, { at: this.pinned.snapshot, format: this.format, signal: controller.signal })
      await new Promise<void>((resolve) => out.end(resolve))
      if (controller.signal.aborted) this.ctx.stderr.write('interrupted: the rest of the result was not printed\n')
    } catch (e) {
      out.destroy()
      if (controller.signal.aborted && e === controller.signal.reason) this.ctx.stderr.write('interrupted: the query was stopped\n')
      else if (isBrokenPipe(e)) this.stdoutBroken = true
      else this.report(e)
    } finally {
      this.running = undefined
    }
  }

  private interrupt(): void {
    if (this.running) {
      if (this.running.signal.aborted) {
        this.ctx.stderr.write('interrupted again: leaving the shell at once\n')
        process.exit(130)
      }
      this.ctx.stderr.write('^C\n')
      this.running.abort(new DOMException('interrupted by SIGINT', 'AbortError'))
      return
    }
    const empty = this.rl.line === '' && this.buffer === ''
    this.dropLine()
    this.buffer = ''
    this.lines = []
    if (empty) {
      if (this.interruptedAtPrompt) {
        this.leftByInterrupt = true
        this.rl.close()
        return
      }
      this.ctx.stderr.write('(press Ctrl-C again or Ctrl-D to leave, or type .quit)\n')
    }
    this.interruptedAtPrompt = empty
    this.prompt()
  }

  /** Shows `^C` after what was typed and empties readline's line, as node's own REPL does. */
  private dropLine(): void {
    if (!this.rl.terminal) {
      this.ctx.stderr.write('^C\n')
      return
    }
    this.rl.write(null, { ctrl: true, name: 'e' })
    this.ctx.stderr.write('^C')
    const clearLine = (this.rl as unknown as { clearLine?: () => void }).clearLine
    if (typeof clearLine === 'function') return clearLine.call(this.rl)
    this.ctx.stderr.write('\n')
    this.rl.write(null, { ctrl: true, name: 'u' })
  }

  private report(e: unknown): void {
    reportError(e, { json: false, stdout: this.ctx.stdout, stderr: this.ctx.stderr, debug: process.env.DV_DEBUG === '1' })
  }

  private async fail(message: string, hint: string): Promise<void> {
    const { DvError } = await import('../src/index.js')
    this.report(new DvError('INVALID_ARGUMENT', message, { hint }))
  }

  /** A dot-command; false: leave the shell. */
  private async dotCommand(text: string): Promise<boolean> {
    const [command, ...args] = text.split(/\s+/)
    const say = (line: string) => this.ctx.stderr.write(line + '\n')
    switch (command) {
      case '.quit':
      case '.exit':
        return false
      case '.help':
        say(helpText(this.history.file))
        return true
      case '.tables':
        await this.tables(say)
        return true
      case '.format': {
        if (args.length === 0) {
          say(`format: ${this.format}`)
        } else if (args.length === 1 && SHELL_FORMATS.includes(args[0] as OutputFormat)) {
          this.format = args[0] as OutputFormat
        } else {
          await this.fail(`invalid format '${args.join(' ')}' for .format`, `the shell prints ${SHELL_FORMATS.join(', ')}; for Parquet or Arrow run dv query "SQL" --format parquet > FILE`)
        }
        return true
      }
      default:
        await this.fail(`unknown command ${command}`, '.help lists the commands; SQL statements end with \';\'')
        return true
    }
  }

  private async tables(say: (line: string) => void): Promise<void> {
    if (this.pinned.tables.length === 0) return say('(no tables)')
    try {
      const shown = await this.repo.show(this.pinned.snapshot)
      for (const name of this.pinned.tables) {
        const { text } = await this.repo.tableSchema(name, { at: this.pinned.snapshot })
        say(`${name} (${shown.tables[name].rows} rows): ${text}`)
      }
      say(`(dv show ${this.pinned.snapshot.slice(0, 7)} TABLE: partitions, files and column stats)`)
    } catch (e) {
      this.report(e)
    }
  }
}

function helpText(file: string | undefined): string {
  return [
    'Statements: one SELECT each, ended by \';\' (a statement may span lines); tables of the snapshot',
    'are views by name, "TABLE@REV" reads another version. Results go to stdout, the rest to stderr.',
    '  .tables            the tables of the snapshot with their columns',
    `  .format [FORMAT]   show or set the output format: ${SHELL_FORMATS.join(', ')}`,
    '  .help              this text',
    '  .quit, .exit       leave the shell (or Ctrl-D)',
    'Ctrl-C stops a running statement, or drops the line. Up and down arrows recall statements;',
    file === undefined ? 'history is not saved (DV_QUERY_HISTORY is empty).' : `history is saved in ${file} (DV_QUERY_HISTORY sets the file).`,
  ].join('\n')
}

/**
 * A Writable over stdout for one statement: once `signal` aborts it drops
 * what is still to come (Ctrl-C stops a long result being printed); a
 * stdout that fails (a closed pipe) calls `broken` and drops the rest.
 */
function forwardTo(target: NodeJS.WriteStream, signal: AbortSignal, broken: () => void): Writable {
  let failed = false
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (signal.aborted || failed) return done()
      if (target.write(chunk)) return done()
      const settle = (e?: unknown) => {
        target.off('drain', settle)
        target.off('error', settle)
        signal.removeEventListener('abort', onAbort)
        if (e !== undefined) {
          failed = true
          broken()
        }
        done()
      }
      const onAbort = () => settle()
      target.once('drain', settle)
      target.once('error', settle)
      signal.addEventListener('abort', onAbort, { once: true })
    },
  })
}
