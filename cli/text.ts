/**
 * Plain, stable, line-oriented text for every result (no colour, no
 * thousands separators). Scripts and tests read this; keep it stable.
 */
import type {
  CheckoutResult, CommitResult, LogEntry, RefInfo, ReflogResult, ResetResult, RestoreBranchResult, SetKeyResult, ShowResult,
  StagedChangeInfo, StatusResult, TableInfo, UnstageResult, WriteResult,
  TableChange, BranchProtectionInfo, ChecksRun,
} from '../src/index.js'

export type TableChangeLike = TableChange

export function short(id: string | null | undefined): string {
  return id ? id.slice(0, 7) : '(none)'
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** Pads every column but the last to its widest cell; trailing blanks trimmed. */
export function alignColumns(rows: string[][], minWidths: number[] = [], gap = '  '): string[] {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length, minWidths[i] ?? 0) })
  }
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join(gap).trimEnd())
}

/** 'tags/v1' or 'tag: v1' -> 'tag: v1'; 'branches/main' -> 'main'. */
export function formatRefName(ref: string): string {
  if (ref.startsWith('tag: ')) return ref
  if (ref.startsWith('tags/')) return `tag: ${ref.slice(5)}`
  if (ref.startsWith('refs/tags/')) return `tag: ${ref.slice(10)}`
  if (ref.startsWith('branches/')) return ref.slice(9)
  if (ref.startsWith('refs/heads/')) return ref.slice(11)
  return ref
}

export function formatDecoration(refs: string[]): string {
  return refs.length === 0 ? '' : ` (${refs.map(formatRefName).join(', ')})`
}

/** `events: +1000 rows, +3 files` (and `-N rows, -M files` when something was removed). */
export function formatTableChange(table: string, change: TableChangeLike): string {
  const parts: string[] = []
  if (change.addedRows > 0 || change.addedFiles > 0 || (change.removedRows === 0 && change.removedFiles === 0)) {
    parts.push(`+${plural(change.addedRows, 'row')}`, `+${plural(change.addedFiles, 'file')}`)
  }
  if (change.removedRows > 0 || change.removedFiles > 0) {
    parts.push(`-${plural(change.removedRows, 'row')}`, `-${plural(change.removedFiles, 'file')}`)
  }
  return `${table}: ${parts.join(', ')}${operationNote(change.operation)}`
}

/** Appends and overwrites say nothing more; a created table says so; other operations are named. */
export function operationNote(operation: string): string {
  if (operation === 'append' || operation === 'overwrite') return ''
  return operation === 'create' ? ' (new table)' : ` (${operation})`
}

export function formatChanges(tables: Record<string, TableChangeLike>, indent = '  '): string[] {
  return Object.keys(tables).sort().map((t) => indent + formatTableChange(t, tables[t]!))
}

export function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? ''
}

export function formatCommit(c: CommitResult): string[] {
  const lines = [`[${c.branch} ${short(c.snapshot)}] ${firstLine(c.message)}`, ...formatChanges(c.tables)]
  if (c.idempotentReplay) lines.push('(idempotency key already committed: nothing new was written)')
  return lines
}

export function formatWrite(w: WriteResult): string[] {
  const quarantine = w.quarantine ? [w.quarantine.summary] : []
  if (w.commit) return [...formatCommit(w.commit), ...quarantine]
  const notes = [w.created ? 'new table' : '', w.addedColumns.length ? `new columns: ${w.addedColumns.join(', ')}` : '']
    .filter(Boolean).join('; ')
  const removed = w.removedFiles > 0 ? `, removing ${plural(w.removedRows, 'row')} in ${plural(w.removedFiles, 'file')}` : ''
  return [`staged ${w.mode} to ${w.table}: ${plural(w.rows, 'row')} in ${plural(w.files, 'file')}${removed}${notes ? ` (${notes})` : ''}`, ...quarantine]
}

/** A staged change's id as status shows it (and `dv restore --staged --change` takes it). */
export function shortChangeId(id: string): string {
  return id.slice(0, 8)
}

function formatStagedRows(staged: StagedChangeInfo[]): string[] {
  const rows = staged.map((s) => ['  ' + shortChangeId(s.id), s.mode, s.table, plural(s.rows, 'row'), plural(s.files, 'file'), s.creates ? '(new table)' : ''])
  return alignColumns(rows, [0, 9, 0, 0, 0])
}

export function formatStatus(s: StatusResult): string[] {
  const lines = [s.detached || s.branch === null ? `HEAD detached at ${short(s.head)}` : `On branch ${s.branch}`]
  if (s.staged.length === 0) {
    lines.push('nothing staged (use "dv write TABLE FILE" to stage a change)')
  } else {
    lines.push('Changes to be committed:', ...formatStagedRows(s.staged))
  }
  return lines
}

export function formatLogEntry(e: LogEntry): string[] {
  const lines = [`snapshot ${e.snapshot}${formatDecoration(e.refs)}`]
  if (e.parents.length > 1) lines.push(`Merge: ${e.parents.map(short).join(' ')}`)
  lines.push(`Author: ${e.author}`, `Date:   ${e.timestamp}`)
  if (e.idempotencyKey) lines.push(`Idempotency-Key: ${e.idempotencyKey}`)
  lines.push(...formatLineage(e.lineage))
  if (e.expired) lines.push(`Expired: ${e.expired.time} by retention (${e.expired.policy}): its data is no longer kept`)
  lines.push('', ...e.message.split('\n').map((l) => `    ${l}`.trimEnd()))
  const changes = formatChanges(e.tables, '    ')
  if (changes.length) lines.push('', ...changes)
  return lines
}

/**
 * A commit's lineage (format-spec/snapshot.md#lineage), one line per part:
 * `Code:   URL COMMIT (branch main, dirty)`, `Input:  TABLE <- NAME (BYTES bytes, sha256 HEX)` per
 * input, `Meta:   k=v k2=v2`. The full SHA-256 is printed: `dv log --input` takes it.
 */
export function formatLineage(l: LogEntry['lineage']): string[] {
  if (!l) return []
  const lines: string[] = []
  if (l.code) {
    const state = l.code.dirty === undefined ? ['not checked for changes'] : l.code.dirty ? ['dirty'] : []
    const where = [l.code.branch === undefined ? 'detached HEAD' : `branch ${l.code.branch}`, ...state].join(', ')
    lines.push(`Code:   ${l.code.repository === undefined ? '' : `${l.code.repository} `}${l.code.commit} (${where})`)
  }
  for (const i of l.inputs ?? []) lines.push(`Input:  ${i.table} <- ${i.name} (${plural(i.bytes, 'byte')}, sha256 ${i.sha256})`)
  if (l.meta) lines.push(`Meta:   ${Object.entries(l.meta).map(([k, v]) => `${k}=${v}`).join(' ')}`)
  return lines
}

export function formatLog(entries: LogEntry[], oneline: boolean): string[] {
  if (oneline) return entries.map((e) => `${short(e.snapshot)}${formatDecoration(e.refs)}${e.expired ? ' (expired)' : ''} ${firstLine(e.message)}`)
  return entries.flatMap((e, i) => (i === 0 ? formatLogEntry(e) : ['', ...formatLogEntry(e)]))
}

/** Placeholders of `dv log --format`, as in git: each takes a log entry to its text. */
const LOG_PLACEHOLDERS: Record<string, (e: LogEntry) => string> = {
  H: (e) => e.snapshot,
  h: (e) => short(e.snapshot),
  P: (e) => e.parents.join(' '),
  p: (e) => e.parents.map(short).join(' '),
  s: (e) => firstLine(e.message),
  an: (e) => e.author,
  ad: (e) => e.timestamp,
  at: (e) => String(Math.floor(Date.parse(e.timestamp) / 1000)),
  d: (e) => formatDecoration(e.refs),
  n: () => '\n',
  '%': () => '%',
}

/**
 * Compiles a `--format` string (`%h %s`, `%H`, `%ad`...) into a function of a
 * log entry; an unknown placeholder is reported by returning its text.
 */
export function compileLogFormat(format: string): ((e: LogEntry) => string) | { unknown: string } {
  const parts: Array<string | ((e: LogEntry) => string)> = []
  let literal = ''
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== '%') {
      literal += format[i]
      continue
    }
    const two = format.slice(i + 1, i + 3)
    const key = two in LOG_PLACEHOLDERS ? two : format[i + 1] ?? ''
    const fn = LOG_PLACEHOLDERS[key]
    if (!fn) return { unknown: `%${key}` }
    if (literal) parts.push(literal)
    literal = ''
    parts.push(fn)
    i += key.length
  }
  if (literal) parts.push(literal)
  return (e) => parts.map((p) => (typeof p === 'string' ? p : p(e))).join('')
}

export function formatPartitionSpec(spec: TableInfo['partitionSpec']): string {
  if (spec.length === 0) return 'unpartitioned'
  return spec.map((p) => (p.transform === 'identity' ? p.source : `${p.transform}(${p.source})`)).join(', ')
}

/**
 * The schema tree as table rows, depth first: a nested field's name is
 * indented under its parent, and a nested type is named by its kind only
 * (its fields follow on their own rows; `dv table schema` prints the text form).
 */
export function schemaRows(columns: TableInfo['columns'], depth = 0): string[][] {
  return columns.flatMap((c) => [
    [String(c.id), `${'  '.repeat(depth)}${c.name}`, c.fields ? c.type.replace(/<.*$/s, '') : c.type, c.required ? 'yes' : 'no', c.min ?? '-', c.max ?? '-', String(c.nulls)],
    ...schemaRows(c.fields ?? [], depth + 1),
  ])
}

export function formatTableInfo(t: TableInfo): string[] {
  const schema = alignColumns([['id', 'name', 'type', 'required', 'min', 'max', 'nulls'], ...schemaRows(t.columns)])
  const props = Object.keys(t.properties).sort().map((k) => `  ${k} = ${t.properties[k]}`)
  return [
    `table ${t.name} at ${short(t.snapshot)} (table id ${t.tableId})`,
    `rows ${t.rows}  files ${t.files}  bytes ${t.bytes}  manifests ${t.manifests}`,
    `partition spec: ${formatPartitionSpec(t.partitionSpec)}`,
    `primary key: ${t.primaryKey.length ? t.primaryKey.join(', ') : 'none'}`,
    '',
    'schema:',
    ...schema.map((l) => `  ${l}`),
    '',
    props.length ? 'properties:' : 'properties: none',
    ...props,
  ]
}

export function formatShow(s: ShowResult): string[] {
  if (s.table) return formatTableInfo(s.table)
  const names = Object.keys(s.tables).sort()
  const rows = names.map((n) => {
    const t = s.tables[n]!
    return ['  ' + n, plural(t.rows, 'row'), plural(t.files, 'file'), plural(t.bytes, 'byte')]
  })
  return [
    ...formatLogEntry(s.commit),
    '',
    showTablesHeading(s),
    ...alignColumns(rows),
  ]
}

/** The line above `dv show`'s tables: none of an expired commit are kept (format-spec/retention.md#reading). */
export function showTablesHeading(s: ShowResult): string {
  const at = short(s.commit.snapshot)
  if (s.commit.expired) return `tables at ${at}: not kept (expired by retention; read a kept commit)`
  return Object.keys(s.tables).length ? `tables at ${at}:` : `no tables at ${at}`
}

export function formatRefList(refs: RefInfo[], kind: 'branch' | 'tag'): string[] {
  if (kind === 'tag') return alignColumns(refs.map((r) => [r.name, short(r.snapshot)]))
  return alignColumns(refs.map((r) => [`${r.current ? '*' : ' '} ${r.name}`, short(r.snapshot), ...(r.protection ? [formatProtection(r.protection)] : [])]))
}

/** `protected (require-checks, require-merge)`, as `dv branch` and `dv branch protect --list` show a rule. */
export function formatProtection(p: BranchProtectionInfo): string {
  const rules = [p.requireChecks ? 'require-checks' : '', p.requireMerge ? 'require-merge' : ''].filter(Boolean)
  return `protected${rules.length ? ` (${rules.join(', ')})` : ''}`
}

/** After a request made with --no-verify: one note on stderr (not with --json, whose document has `checks`). */
export function noteChecks(ctx: { json: boolean; stderr: NodeJS.WritableStream }, checks: ChecksRun | undefined, branch: string): void {
  if (ctx.json) return
  for (const line of formatChecks(checks, branch)) ctx.stderr.write(`dv: ${line}\n`)
}

/** The line a request made with --no-verify prints: whether the contracts were skipped, or ran because the branch requires them. */
export function formatChecks(checks: ChecksRun | undefined, branch: string): string[] {
  if (checks === 'skipped') return ['contracts skipped (--no-verify)']
  if (checks === 'required') return [`--no-verify ignored: branch '${branch}' is protected with --require-checks; the contracts ran and passed`]
  return []
}

export function formatCheckout(c: CheckoutResult): string[] {
  if (c.detached || c.branch === null) return [`HEAD is now at ${short(c.snapshot)} (detached)`]
  return [c.created ? `switched to a new branch '${c.branch}'` : `switched to branch '${c.branch}'`]
}

/** `abc1234 main@{0}: commit: load march` per line, newest first; a deletion shows 0000000. */
export function formatReflog(r: ReflogResult): string[] {
  return r.entries.map((e) => `${e.snapshot === null ? '0000000' : short(e.snapshot)} ${e.selector}: ${e.message}`)
}

export function formatRestoreBranch(r: RestoreBranchResult): string[] {
  if (r.previous === r.snapshot) return [`branch ${r.branch} is already at ${short(r.snapshot)}`]
  const how = r.created ? `re-created branch ${r.branch} at ${short(r.snapshot)}` : `moved branch ${r.branch} from ${short(r.previous)} to ${short(r.snapshot)}`
  return [r.dropped > 0 ? `${how} (${plural(r.dropped, 'commit')} no longer on it: dv branch restore ${r.branch}@{1} undoes this)` : how]
}

export function formatReset(r: ResetResult): string[] {
  const lines = [r.previous === r.snapshot ? `${r.branch} stays at ${short(r.snapshot)}` : `${r.branch} is now at ${short(r.snapshot)} (was ${short(r.previous)})`]
  if (r.dropped > 0) lines.push(`${plural(r.dropped, 'commit')} no longer on ${r.branch}: dv branch restore ${r.branch}@{1} brings them back`)
  if (r.unstaged > 0) lines.push(`discarded ${plural(r.unstaged, 'staged change')}`)
  return lines
}

export function formatUnstage(r: UnstageResult): string[] {
  return r.unstaged.map((s) => `unstaged ${shortChangeId(s.id)} ${s.mode} to ${s.table}: ${plural(s.rows, 'row')} in ${plural(s.files, 'file')}`)
}

export function formatSetKey(r: SetKeyResult): string[] {
  if (!r.changed || !r.commit) return [`${r.key.join(', ')} is already the primary key of ${r.table}`]
  return [`[${r.commit.branch} ${short(r.commit.snapshot)}] ${firstLine(r.commit.message)}`]
}
