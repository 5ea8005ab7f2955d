/**
 * dv: the command line (started by cli/main.ts). Registers the commands (each lazily imported from
 * cli/commands/<verb>.js), parses with parseAsync, and holds the ONE
 * top-level catch that maps errors to exit codes (cli/report-error.ts).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command, Option } from 'commander'
// the one import from src/ besides index.ts: api-types.ts has no runtime imports, so --version and --help load no library code
import { WRITE_MODES } from '../src/api-types.js'
import { createContext, exitState, type CliContext, type GlobalOptions } from './context.js'
import { isBrokenPipe, reportError } from './report-error.js'
import { collectMeta } from './lineage.js'

function readVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'dv' && pkg.version) return pkg.version
    } catch { /* keep looking */ }
    dir = path.dirname(dir)
  }
  return '0.0.0'
}

function context(cmd: Command): CliContext {
  return createContext(cmd.optsWithGlobals<GlobalOptions>())
}

const FORMATS_IN = ['csv', 'ndjson', 'parquet', 'arrow']

/** The operands after `--` that follow `command` in argv, or undefined without `--` (`dv reset -- TABLE...`). */
function afterDashDash(argv: readonly string[], command: string): string[] | undefined {
  const at = argv.indexOf(command)
  const dd = argv.indexOf('--', at + 1)
  return at >= 0 && dd > at ? argv.slice(dd + 1) : undefined
}

function buildProgram(argv: readonly string[]): Command {
  const program = new Command('dv')
  program
    .description('Git for lakehouse tables: Parquet tables with atomic commits, branches, tags and time travel')
    .version(readVersion(), '-V, --version', 'print the version')
    .option('--json', 'print exactly one JSON document on stdout')
    .option('-C <dir>', 'run in the repository at DIR (or set DV_DIR); default: the current directory')
    .exitOverride()
    .showSuggestionAfterError(true)
    .helpCommand(true)

  program.command('init').argument('[dir]', "directory to create the repository in (default: .), or a store URL for a repository without workspace")
    .description('create a repository (store in DIR/.dv) with an empty root commit on main')
    .option('--remote <url>', 'keep the store at URL (e.g. s3://BUCKET/PREFIX) instead of DIR/.dv')
    .action(async (dir: string | undefined, opts: { remote?: string }, cmd: Command) =>
      (await import('./commands/init.js')).runInit(context(cmd), { dir, ...opts }))

  program.command('write').argument('<table>', 'table to write (created if new)')
    .argument('[files...]', "input files, or '-' (the default) for stdin")
    .description('stage a change to TABLE, or commit it at once with --commit')
    .addOption(new Option('--mode <mode>', 'how the input changes the table (default: append)').choices(WRITE_MODES))
    .option('--where <predicate>', "SQL predicate: the rows to delete (--mode delete) or to replace (--mode overwrite)")
    .option('--key <cols>', 'key columns for --mode upsert, e.g. id or country,id')
    .option('--partition-by <spec>', 'partition spec of a new table, e.g. "day(ts)" or "country,month(ts)"')
    .addOption(new Option('--format <format>', 'input format (default: from the extension; stdin needs it)').choices(FORMATS_IN))
    .option('--commit', 'stage and commit in one atomic step (needs -m and exactly one FILE)')
    .option('--no-verify', "skip the tables' contracts (not on a branch protected with --require-checks)")
    .option('-m, --message <msg>', 'commit message (with --commit)')
    .option('--idempotency-key <key>', 'a retried write with the same key is a no-op')
    .option('--meta <key=value>', 'with --commit: a pair the commit records in its lineage, e.g. run-id=42 (repeatable)', collectMeta)
    .option('--branch <name>', 'target branch (default: the checked-out one)')
    .option('--schema <schema>', 'a new table\'s columns, e.g. "id long not null, ts timestamptz" (or @FILE.json)')
    .option('--allow-empty', 'write even when the input has no rows (e.g. to create an empty table)')
    .option('--delimiter <char>', "CSV field delimiter (default ',', TAB for .tsv; '\\t' for TAB)")
    .option('--quote <char>', 'CSV quote character (default \'"\')')
    .option('--escape <char>', 'CSV escape character inside quotes (default: the quote)')
    .option('--header', 'the CSV input has a header row (the default)')
    .option('--no-header', 'the CSV input has no header row: columns are the table\'s (or --schema\'s), in order')
    .option('--null <string>', 'CSV text that means null (besides the empty field)')
    .option('--date-format <format>', "format of CSV dates, e.g. '%d/%m/%Y' (kept per table)")
    .option('--timestamp-format <format>', "format of CSV timestamps, e.g. '%d/%m/%Y %H:%M:%S' (kept per table)")
    .addOption(new Option('--compression <codec>', 'compression of the CSV input (default: from the extension)').choices(['gzip', 'zstd', 'none']))
    .addOption(new Option('--on-violation <action>', "what rows breaking a row rule of the table's contract do: fail (exit 8; the default), or quarantine (to TABLE__quarantine, in the same commit)").choices(['fail', 'quarantine']))
    .addHelpText('after', `
Several FILEs are staged one after the other (one staged change each); commit
them together with 'dv commit -m MSG'. With --commit, name exactly one FILE:
it becomes one atomic commit of its own.

Modes: append adds rows; overwrite replaces the table (or, with --where, the
matching rows); replace-partitions replaces the partitions present in the
input; delete removes the rows matching --where (no FILE); upsert replaces the
rows whose --key appears in the input and adds the others. Files are rewritten
copy-on-write, only where affected rows live.

Once a table exists, its schema decides how CSV and NDJSON are read. CSV
options given when a table is created are kept as its properties and used by
later writes unless they give their own.`)
    .action(async (table: string, files: string[], opts: Record<string, unknown>, cmd: Command) =>
      (await import('./commands/write.js')).runWrite(context(cmd), { table, files, ...opts }))

  program.command('commit').description('commit every staged change as one atomic snapshot')
    .requiredOption('-m, --message <msg>', 'commit message')
    .option('--idempotency-key <key>', 'a retried commit with the same key is a no-op')
    .option('--meta <key=value>', 'a pair the commit records in its lineage, e.g. run-id=42 (repeatable)', collectMeta)
    .option('--allow-empty', 'commit even when nothing is staged')
    .option('--no-verify', "skip the tables' contracts (not on a branch protected with --require-checks)")
    .option('--branch <name>', 'target branch (default: the checked-out one)')
    .action(async (opts: Record<string, unknown>, cmd: Command) =>
      (await import('./commands/commit.js')).runCommit(context(cmd), opts as never))

  program.command('status').description('show the current branch and the staged changes')
    .action(async (_opts: unknown, cmd: Command) => (await import('./commands/status.js')).runStatus(context(cmd)))

  program.command('log').argument('[rev]', 'start from REV (default: HEAD)')
    .description('list snapshots, newest first, along first parents')
    .option('--table <table>', 'only snapshots that changed TABLE')
    .option('-n, --max-count <n>', 'show at most N snapshots')
    .option('--oneline', 'one line per snapshot')
    .option('--format <format>', 'one line per snapshot with git-style placeholders: %h %H %s %an %ad %at %p %P %d %n %%')
    .option('--idempotency-key <key>', 'only the snapshot that landed with KEY (did my write land?)')
    .option('--input <sha256>', 'only commits that read an input with this SHA-256 (a prefix of 7+ hex digits will do)')
    .action(async (rev: string | undefined, opts: Record<string, unknown>, cmd: Command) =>
      (await import('./commands/log.js')).runLog(context(cmd), { rev, ...opts }))

  program.command('show').argument('<rev>', 'a branch, tag, snapshot id or prefix, REV~N, REV^, or REV@{time}; or a table at HEAD')
    .argument('[table]', "show this table's schema tree and stats at REV")
    .description('show a snapshot, or a table at a snapshot')
    .action(async (rev: string, table: string | undefined, _opts: unknown, cmd: Command) =>
      (await import('./commands/show.js')).runShow(context(cmd), { rev, table }))

  for (const kind of ['branch', 'tag'] as const) {
    const command = program.command(kind).argument('[name]', `${kind} to create or delete`).argument('[rev]', 'where it points (default: HEAD)')
      .description(kind === 'branch' ? 'list, create, delete or restore branches' : 'list, create or delete tags')
      .option('-d, --delete', `delete ${kind} NAME`)
      .option('-l, --list', `list ${kind === 'branch' ? 'branches' : 'tags'}`)
    if (kind === 'branch') {
      command.option('-f, --force', 'with restore: move the branch even if that drops commits from it')
        .option('--require-checks', 'with protect: commits and merges must pass the contracts (--no-verify is ignored)')
        .option('--require-merge', 'with protect: only merges move the branch (write on another branch, then merge)')
        .option('--log', 'with protect: every change of the repository settings, newest first')
        .addHelpText('after', `
'dv branch restore NAME@{N}' puts branch NAME back where its reflog entry N
says it was (see 'dv reflog NAME'): it re-creates a deleted branch, or moves
it back, refusing (exit 4) to drop commits it gained since unless --force.

'dv branch protect NAME [--require-checks] [--require-merge]' protects a
branch with exactly those rules: it can no longer be deleted, reset or
restored; --require-checks makes every commit and merge on it pass the
contracts even with --no-verify; --require-merge refuses direct writes, so
data reaches it only by merge. 'dv branch unprotect NAME' lifts it;
'dv branch protect --list' lists protected branches and '--log' every change.
Protection is stored in the repository: every client obeys it. A request it
refuses exits 2 and changes nothing.`)
    }
    command.action(async (name: string | undefined, rev: string | undefined, opts: Record<string, unknown>, cmd: Command) =>
        (await import('./commands/refs.js')).runRefs(context(cmd), kind, { name, rev, ...opts }))
  }

  program.command('reflog').argument('[ref]', 'a branch or tag (default: the checked-out branch)')
    .description('list every logged update of a branch or tag, newest first (NAME@{N} names entry N)')
    .option('-n, --max-count <n>', 'show at most N entries')
    .action(async (ref: string | undefined, opts: { maxCount?: string }, cmd: Command) =>
      (await import('./commands/reflog.js')).runReflog(context(cmd), { ref, ...opts }))

  program.command('merge').argument('<source>', 'the branch (or any REV) to merge')
    .description('merge SOURCE into the checked-out branch: a fast-forward, or a three-way merge commit')
    .option('--into <branch>', 'the branch to merge into (default: the checked-out one)')
    .option('-m, --message <msg>', 'the merge commit message (default: merge SOURCE into BRANCH)')
    .option('--no-ff', 'make a merge commit even when a fast-forward is possible')
    .addOption(new Option('--strategy <side>', 'resolve conflicts by one side\'s version of what conflicts').choices(['ours', 'theirs']))
    .option('--dry-run', 'print the merge or the conflict report, write nothing')
    .option('--allow-unrelated', 'merge histories with no common ancestor (against an empty base)')
    .option('--idempotency-key <key>', 'a retried merge with the same key returns the merge commit that landed (implies --no-ff)')
    .option('--no-verify', "skip the tables' contracts (not on a branch protected with --require-checks)")
    .addHelpText('after', `
Changes since the merge base combine per table: appends combine, disjoint
partitions combine, schema changes combine by field id; a partition both
sides changed where one removed or rewrote files conflicts (on a keyed table,
only keys changed differently on both sides do). A conflict changes nothing,
prints a report per table and exits 4 (--json: the report as one document).`)
    .action(async (source: string, opts: Record<string, unknown>, cmd: Command) =>
      (await import('./commands/merge.js')).runMerge(context(cmd), { source, ...opts }))

  for (const kind of ['revert', 'cherry-pick'] as const) {
    program.command(kind).argument('<rev>', kind === 'revert' ? 'the commit to undo' : 'the commit to apply')
      .description(kind === 'revert'
        ? 'a new commit that undoes REV\'s changes, checked against what came after it'
        : 'a new commit that applies REV\'s changes to the checked-out branch')
      .option('-m, --mainline <parent>', 'for a merge commit: the parent (1 or 2) its change is taken against')
      .option('--message <msg>', 'the commit message')
      .option('--branch <name>', 'the branch (default: the checked-out one)')
      .option('--allow-empty', 'commit even when the result changes nothing')
      .addOption(new Option('--strategy <side>', 'resolve conflicts by one side\'s version of what conflicts').choices(['ours', 'theirs']))
      .option('--dry-run', 'print the result or the conflict report, write nothing')
  .option('--no-verify', "skip the tables' contracts (not on a branch protected with --require-checks)")
      .action(async (rev: string, opts: Record<string, unknown>, cmd: Command) =>
        (await import('./commands/merge.js')).runRevert(context(cmd), kind, { rev, ...opts }))
  }

  program.command('reset').argument('[args...]', 'REV to move the branch to, or TABLE... to unstage')
    .description('move the checked-out branch to REV, or unstage tables')
    .option('--soft', 'keep the staged changes (the same as --mixed: dv has no working files)')
    .option('--mixed', 'keep the staged changes (default)')
    .option('--hard', 'also discard the staged changes of the branch')
    .option('--force', 'move the branch even when REV does not descend from its head (drops commits from it)')
    .option('--branch <name>', 'the branch to reset (default: the checked-out one)')
    .addHelpText('after', `
A REV that does not descend from the branch's head would drop commits from
it: that needs --force, and 'dv branch restore NAME@{1}' undoes it. Every
reset is logged ('dv reflog'). 'dv reset TABLE...' (or 'dv reset -- TABLE...')
unstages those tables instead, like 'dv restore --staged TABLE...'.`)
    .action(async (args: string[], opts: Record<string, unknown>, cmd: Command) => {
      const tables = afterDashDash(argv, 'reset')
      const before = tables === undefined ? args : args.slice(0, args.length - tables.length)
      return (await import('./commands/reset.js')).runReset(context(cmd), { ...opts, args: before, ...(tables === undefined ? {} : { tables }) })
    })

  program.command('restore').argument('[tables...]', 'unstage only these tables (default: every staged change)')
    .description('unstage staged changes (--staged)')
    .option('--staged', 'unstage (required: the workspace holds only staged changes)')
    .option('--change <id>', 'unstage only this staged change (its id from dv status, or a unique prefix)')
    .option('--branch <name>', 'the branch whose staged changes (default: the checked-out one)')
    .action(async (tables: string[], opts: Record<string, unknown>, cmd: Command) =>
      (await import('./commands/restore.js')).runRestore(context(cmd), { tables, ...opts }))

  const table = program.command('table').description("a table's schema and settings: print or change its schema, set its primary key")
  table.command('set-key').argument('<table>', 'the table').argument('<columns>', 'key columns, e.g. id or country,id')
    .description('make COLUMNS the primary key of TABLE (checked against its data; one commit)')
    .option('-m, --message <msg>', 'commit message (default: set primary key of TABLE to COLUMNS)')
    .option('--branch <name>', 'the branch to commit to (default: the checked-out one)')
    .addHelpText('after', `
The key columns must be top-level, primitive, not float or double, hold no
nulls and no repeated key (refused with the counts otherwise); they become
required. Afterwards every write is checked: no null or repeated key in the
input, and no input key that the table already holds (use --mode upsert,
which takes the table's key when --key is omitted).`)
    .action(async (name: string, columns: string, opts: Record<string, unknown>, cmd: Command) =>
      (await import('./commands/table.js')).runSetKey(context(cmd), { table: name, columns, ...opts }))

  const contract = program.command('contract').description("a table's data contract (ODCS v3.1.0 YAML): set, show, remove; enforced on every commit")
  contract.command('set').argument('<table>', 'the table').argument('<file>', 'the contract, an ODCS v3.1.0 YAML file')
    .description("validate FILE and commit it as TABLE's contract (one commit)")
    .option('--allow-unsupported', 'set it even with rules dv does not enforce (they are listed, never enforced)')
    .option('-m, --message <msg>', 'commit message (default: set contract of TABLE)')
    .option('--branch <name>', 'the branch to commit to (default: the checked-out one)')
    .addHelpText('after', `
Every later commit that changes TABLE's data (write, commit, merge, revert,
cherry-pick) is checked against the contract before it lands; a violation
exits 8 and applies nothing. Row rules (required, logicalTypeOptions, and
metrics that allow no failing row) check the rows a commit adds; the others
the whole table. 'dv check TABLE' runs it on the whole table.`)
    .action(async (name: string, file: string, opts: Record<string, unknown>, cmd: Command) =>
      (await import('./commands/contract.js')).runContractSet(context(cmd), { table: name, file, ...opts }))
  contract.command('show').argument('<table>', 'the table')
    .description("print TABLE's contract as set (time travel with --at)")
    .option('--at <rev>', 'a REV or an ISO-8601 time (default: HEAD)')
    .action(async (name: string, opts: { at?: string }, cmd: Command) =>
      (await import('./commands/contract.js')).runContractShow(context(cmd), { table: name, ...opts }))
  contract.command('rm').argument('<table>', 'the table')
    .description("remove TABLE's contract (one commit)")
    .option('-m, --message <msg>', 'commit message (default: remove contract of TABLE)')
    .option('--branch <name>', 'the branch to commit to (default: the checked-out one)')
    .action(async (name: string, opts: Record<string, unknown>, cmd: Command) =>
      (await import('./commands/contract.js')).runContractRm(context(cmd), { table: name, ...opts }))

  program.command('check').argument('<table>', 'the table')
    .description("run TABLE's contract over the whole table and print a report (exit 8 when a rule fails)")
    .option('--at <rev>', 'a REV or an ISO-8601 time (default: HEAD)')
    .option('--junit <file>', 'also write the report as JUnit XML to FILE')
    .action(async (name: string, opts: { at?: string; junit?: string }, cmd: Command) =>
      (await import('./commands/contract.js')).runCheck(context(cmd), { table: name, ...opts }))

  program.command('checkout').argument('[rev]', 'branch to switch to, or a snapshot to detach at (with -b: start point)')
    .description('switch to a branch, detach at a snapshot, or create a branch with -b')
    .option('-b <name>', 'create branch NAME at REV (default: HEAD) and switch to it')
    .action(async (rev: string | undefined, opts: { b?: string }, cmd: Command) =>
      (await import('./commands/checkout.js')).runCheckout(context(cmd), { rev, create: opts.b }))

  program.command('cat').argument('<table>', 'table to read')
    .description('print a table (time travel with --at)')
    .option('--at <rev>', 'a REV or an ISO-8601 time (default: HEAD)')
    .addOption(new Option('--format <format>', 'output format (default: csv)').choices(FORMATS_IN))
    .option('--columns <list>', 'comma-separated columns, in this order')
    .option('--where <predicate>', "SQL filter, e.g. \"ts >= '2026-01-02'\"")
    .option('--limit <n>', 'at most N rows')
    .action(async (table: string, opts: Record<string, unknown>, cmd: Command) =>
      (await import('./commands/cat.js')).runCat(context(cmd), { table, ...opts }))

  program.command('query').argument('[sql]', 'one SELECT; tables of the snapshot are views by name, "TABLE@REV" reads another version')
    .description('run SQL over the tables of a snapshot (time travel with --at and "TABLE@REV")')
    .option('--at <rev>', 'the snapshot unqualified table names read: a REV or an ISO-8601 time (default: HEAD)')
    .addOption(new Option('--format <format>', 'output format (default: csv)').choices(FORMATS_IN))
    .option('--file <path>', 'read the query from a file')
    .addHelpText('after', `
With no SQL and no --file, the query is read from stdin (echo "SELECT 1" | dv query).
When stdin is a terminal, an interactive shell opens instead, over one snapshot
(--at REV, else HEAD when it starts): statements end with ';' and may span lines;
.tables, .format csv|ndjson|json, .help, .quit. Results go to stdout, the rest to
stderr. Up/down arrows recall statements, kept in $DV_QUERY_HISTORY, else
\${XDG_STATE_HOME:-~/.local/state}/dv/query_history (the last 1,000). Ctrl-C stops
a running statement or drops the line; Ctrl-D leaves (exit 0, even after a failed
statement, which prints its error and lets the shell go on).`)
    .action(async (sql: string | undefined, opts: Record<string, unknown>, cmd: Command) =>
      (await import('./commands/query.js')).runQuery(context(cmd), { sql, ...opts }))

  program.command('export').argument('<table>', 'table to export')
    .description('write Iceberg format-version 2 metadata over the table\'s Parquet files (no data is copied)')
    .addOption(new Option('--format <format>', 'the table format to export to').choices(['iceberg']))
    .option('--to <dir>', 'where to write it: a local directory (empty, or an earlier export of this table)')
    .option('--at <rev>', 'the snapshot to export (default: HEAD)')
    .option('--all-history', 'one Iceberg snapshot per commit of the table\'s whole first-parent history (default: the last 100)')
    .option('--history <n>', 'export the last N commits of the table\'s history (default: 100)')
    .option('--branch-refs', 'add Iceberg refs for dv branches and tags')
    .option('--catalog <sql:path>', 'also register the export in a SQLite SQL catalog (PyIceberg SqlCatalog), created if absent')
    .option('--catalog-name <name>', 'the catalog name the row is registered under (default: dv)')
    .option('--namespace <ns>', 'the catalog namespace (default: the table name\'s part before its last \'.\', or default)')
    .option('--table-name <name>', 'the catalog table name (default: the table name\'s last \'.\'-separated part)')
    .action(async (table: string, opts: Record<string, unknown>, cmd: Command) =>
      (await import('./commands/export.js')).runExport(context(cmd), { table, ...opts }))

  program.command('diff').argument('[operands...]', 'REV1 [REV2] then TABLE names (use -- between them if a name is both)')
    .description('what changed between two snapshots (default: HEAD and the staged changes), per table or row by row')
    .option('--stat', 'one line per changed table: rows and files added and removed')
    .option('--rows', 'the changed rows: inserted, deleted, updated (by --key)')
    .addOption(new Option('--format <format>', 'with --rows: a change feed as csv (default), ndjson or parquet').choices(['csv', 'ndjson', 'parquet', 'arrow']))
    .option('--key <cols>', 'with --rows: key columns; same key, different values is an update')
    .option('--columns <list>', 'with --rows: comma-separated columns to print, in this order')
    .option('--where <predicate>', 'with --rows: only changes whose row matches')
    .option('--limit <n>', 'with --rows: at most N rows per table')
    .addHelpText('after', `
With no REV, HEAD is compared with the staged changes; with one, REV with
HEAD; with two, REV1 with REV2 (any two snapshots, across branches too).
Rows of the change feed end with _change (insert, delete, update_before,
update_after) and _snapshot: the commit on the first-parent path from REV1 to
REV2 that made the change, empty when REV1 is not a first-parent ancestor of
REV2 or the change is staged. Only files and manifests that differ are read.`)
    .action(async (operands: string[], opts: Record<string, unknown>, cmd: Command) => {
      // commander drops `--`; where it was tells revisions from tables
      const dash = argv.indexOf('--')
      const afterDash = dash < 0 ? undefined : argv.length - dash - 1
      return (await import('./commands/diff.js')).runDiff(context(cmd), { operands, afterDash, ...opts })
    })

  table.command('alter').argument('<table>', 'table to change')
    .argument('<action>', 'add-column | rename-column | drop-column | widen')
    .argument('[args...]', 'PATH TYPE | PATH NEW | PATH | PATH TYPE')
    .description('change the schema of TABLE as one commit of its own (no data is rewritten)')
    .option('-m, --message <msg>', 'commit message (default: alter TABLE: ACTION ...)')
    .option('--branch <name>', 'target branch (default: the checked-out one)')
    .addHelpText('after', `
Actions:
  add-column PATH TYPE     add a nullable column, at any depth (payload.user.email string)
  rename-column PATH NEW   rename a column; files keep their data through field ids
  drop-column PATH         drop a column (not a partition source)
  widen PATH TYPE          int->long, float->double, decimal(P,S)->decimal(P',S) with P'>P, date->timestamp
PATH reaches fields inside structs (payload.user.id; a list of structs through .element).
TYPE is in the --schema text form (long, list<string>, struct<a: int, b: string>).
Each alter is committed at once; the table must have no staged changes.`)
    .action(async (name: string, action: string, args: string[], opts: Record<string, string | undefined>, cmd: Command) =>
      (await import('./commands/table-schema.js')).runAlter(context(cmd), { table: name, action, args, message: opts.message, branch: opts.branch }))
  table.command('schema').argument('<table>', 'table whose schema to print')
    .option('--at <rev>', 'read the schema at REV (default: HEAD)')
    .description('print the schema of TABLE in the --schema text form')
    .action(async (name: string, opts: { at?: string }, cmd: Command) =>
      (await import('./commands/table-schema.js')).runSchema(context(cmd), { table: name, at: opts.at }))

  program.command('doctor').description("check the store's guarantees (conditional writes for concurrent commits)")
    .option('--race <n>', 'also send N conditional PUTs at once on fresh keys, round after round: exactly one may win each')
    .option('--rounds <r>', 'rounds of --race (default 10; each races a create and an update)')
    .action(async (opts: { race?: string; rounds?: string }, cmd: Command) => (await import('./commands/doctor.js')).runDoctor(context(cmd), opts))

  program.command('fsck').description('verify every ref and every object reachable from one (re-hashing each)')
    .option('--full', 'also re-hash every reachable data file, parse its Parquet footer and check its row count')
    .action(async (opts: { full?: boolean }, cmd: Command) => (await import('./commands/doctor.js')).runFsck(context(cmd), opts))

  program.command('compact').argument('<table>', 'table whose small files to rewrite')
    .description('rewrite the small files of each partition into files near the target size, in one commit of unchanged rows')
    .option('--target-size <size>', 'size of the files written (default 128MB); files under 75% of it are rewritten')
    .option('--where <predicate>', 'only the files that may hold rows matching this predicate')
    .option('--sort-by <cols>', 'order each partition\'s rows by these columns, e.g. ts or country,ts (rewrites every file)')
    .option('--dry-run', 'list what would be rewritten; write nothing')
    .option('--branch <name>', 'target branch (default: the checked-out one)')
    .option('-m, --message <msg>', 'commit message (default: compact TABLE: N files into M)')
    .action(async (table: string, opts: { targetSize?: string; where?: string; sortBy?: string; dryRun?: boolean; branch?: string; message?: string }, cmd: Command) =>
      (await import('./commands/compact.js')).runCompact(context(cmd), { table, ...opts }))

  program.command('gc').description('delete objects nothing live reaches that are older than the grace period (format-spec/gc.md)')
    .option('--dry-run', 'list what would be deleted; delete nothing')
    .option('--grace <duration>', 'keep every object younger than this (default 24h; under 1h needs --force), e.g. 24h, 90m, 7d')
    .option('--force', 'allow a grace period under 1h (only when nothing writes to the repository)')
    .option('--list-all', 'list every stored object instead of reading the inventory and generation log (finds objects they missed)')
    .action(async (opts: { dryRun?: boolean; grace?: string; force?: boolean; listAll?: boolean }, cmd: Command) =>
      (await import('./commands/gc.js')).runGc(context(cmd), opts))

  program.command('retention').argument('<action>', 'set, rm or show')
    .argument('[branch]', 'the branch whose policy to set or remove (default: the repository default)')
    .description('set, remove or show how long snapshots are kept (format-spec/retention.md)')
    .option('--default', 'the repository default policy (branches without their own, and snapshots only reflog entries name)')
    .option('--keep-days <n>', 'keep snapshots younger than N days (7 or 7d)', collect)
    .option('--keep-last <n>', "keep the last N commits of the branch's first-parent chain", collect)
    .addHelpText('after', `
A snapshot stays while it is one of the last --keep-last commits of a
branch, or younger than --keep-days; tags and the commits refs point at stay
forever. Setting a policy expires nothing: 'dv expire' applies it, and gc
deletes expired data a grace period later. Reading an expired snapshot exits 3.`)
    .action(async (action: string, branch: string | undefined, opts: { default?: boolean; keepDays?: string[]; keepLast?: string[] }, cmd: Command) =>
      (await import('./commands/retention.js')).runRetention(context(cmd), { action, branch, ...opts }))

  program.command('expire').description('apply the retention policies: record the snapshots they expire, whose data gc then stops keeping')
    .option('--dry-run', 'list what would expire; write nothing')
    .action(async (opts: { dryRun?: boolean }, cmd: Command) =>
      (await import('./commands/retention.js')).runExpire(context(cmd), opts))

  return program
}

/** Commander collector for flags whose repetition with another value is a contradiction (kept here: no command module loads for --help). */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

async function main(argv: string[]): Promise<number> {
  // A closed pipe (`dv cat t | head`) fails the write in progress; the command
  // then unwinds (closing the repository, removing temporary files) and exits 0.
  process.stdout.on('error', (e) => { if (!isBrokenPipe(e)) throw e })
  // A closed stderr (`dv write … 2>&1 | head -1`) loses the rest of the message, never the exit code.
  process.stderr.on('error', (e) => { if (!isBrokenPipe(e)) throw e })
  const program = buildProgram(argv)
  try {
    await program.parseAsync(argv)
    return exitState.code
  } catch (e) {
    const name = e instanceof Error ? e.name : ''
    if (name === 'CommanderError' && (e as { exitCode: number }).exitCode === 0) return 0
    if (isBrokenPipe(e)) return 0
    return reportError(e, {
      json: argv.includes('--json'),
      stdout: process.stdout,
      stderr: process.stderr,
      debug: process.env.DV_DEBUG === '1',
      alreadyPrinted: name === 'CommanderError',
    })
  }
}

process.exitCode = await main(process.argv)
