/**
 * Repository: the library's entry point. Everything the CLI does is a short
 * script over this class; backends and the clock are injected.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir, userInfo, hostname } from 'node:os'
import { join, resolve } from 'node:path'
import type { Writable } from 'node:stream'
import type { RecordBatch } from 'apache-arrow'
import type {
  CatOptions, CatResult, CheckoutResult, CommitOptions, CommitResult, LogEntry, LogOptions,
  ReadOptions, RefInfo, ShowResult, StatusResult, WriteOptions, WriteResult,
} from './api-types.js'
import type { Source } from './io/types.js'
import type { Storage } from './store/types.js'
import type { SnapshotId } from './ids.js'
import { DvError, isDvError } from './errors.js'
import { asBranchName, asTableName, asTagName, shortId } from './ids.js'
import { parseConfig, serializeConfig, serializeSnapshot } from './format/index.js'
import { FORMAT_VERSION } from './format/types.js'
import { openStorage } from './store/open.js'
import type { ConditionalWriteSupport } from './store/s3-probe.js'
import { BRANCH_PREFIX, DEFAULT_BRANCH, TAG_PREFIX, branchRef, tagRef } from './refs/names.js'
import { resolveRev, type RevContext } from './refs/resolve.js'
import { isTimeLiteral } from './refs/rev.js'
import { ObjectCache, readSnapshot, type RepoContext } from './table/context.js'
import { DEFAULT_RETRY, commitChanges, replayOf, type RetryPolicy } from './table/commit.js'
import { findIdempotencyKey, walkHistory } from './table/history.js'
import { Workspace, processAlive } from './table/workspace.js'
import { requestFingerprint } from './table/write.js'
import { prepareChange } from './table/modes.js'
import { stagedView } from './table/staged-view.js'
import { logEntryOf, prepareScan, tableAt, tableInfo, tableTotals } from './table/read.js'
import { verifyRepository, type VerifyResult } from './table/verify.js'
import { WORKSPACE_FILE, exists, findWorkspaceRoot, readWorkspaceConfig, writeWorkspaceConfig } from './table/workspace-config.js'
import type { DataEngine } from './io/types.js'

export interface RepositoryOpenOptions {
  /** Clock for commit timestamps (tests pass a fixed clock). */
  now?: () => number
  author?: string
  /** Commit retries when the branch moved concurrently (default: 50 attempts, 5 ms..2 s backoff with full jitter, 60 s total). */
  retry?: Partial<RetryPolicy>
}

export interface DoctorResult {
  location: string
  conditionalWrites: ConditionalWriteSupport
  /** True when the store rejects conflicting conditional writes, so many writers may commit concurrently. */
  concurrentWritersSafe: boolean
}

export interface RepositoryInitOptions extends RepositoryOpenOptions {
  /** Store the repository at this URL instead of DIR/.dv (e.g. 's3://bucket/prefix'). */
  remote?: string
}

const WRITE_MODES = ['append', 'overwrite', 'replace-partitions', 'delete', 'upsert'] as const

function defaultAuthor(): string {
  if (process.env.DV_AUTHOR) return process.env.DV_AUTHOR
  try {
    return `${userInfo().username}@${hostname()}`
  } catch {
    return 'unknown'
  }
}

export class Repository {
  private enginePromise: Promise<DataEngine> | undefined
  private readonly ctx: RepoContext
  private readonly retry: RetryPolicy
  private readonly ownTmp: boolean

  private constructor(
    private readonly storage: Storage,
    private readonly workspace: Workspace | null,
    tmpDir: string,
    ownTmp: boolean,
    options: RepositoryOpenOptions,
  ) {
    this.ownTmp = ownTmp
    this.retry = { ...DEFAULT_RETRY, ...options.retry }
    this.ctx = {
      storage,
      now: options.now ?? Date.now,
      author: options.author ?? defaultAuthor(),
      tmpDir,
      cache: new ObjectCache(),
      // the engine's sandbox may read only dv's scratch directory and the store's object files
      engine: () => (this.enginePromise ??= import('./io/index.js').then(async (m) => m.createDataEngine({ tmpDir, readableDirectories: [await storage.objects.localRoot()] }))),
    }
  }

  /** Creates a repository in DIR (store in DIR/.dv) with an initial empty commit on main. */
  static async init(dir: string, options: RepositoryInitOptions = {}): Promise<Repository> {
    const root = resolve(dir)
    const dvDir = join(root, '.dv')
    if ((await exists(join(dvDir, 'config.json'))) || (await exists(join(dvDir, WORKSPACE_FILE)))) {
      throw new DvError('CONFLICT', `a dv repository already exists in ${root}`, { retryable: false, hint: 'use it as it is, or pick another directory' })
    }
    if (options.remote && !/^s3:\/\//.test(options.remote)) {
      throw new DvError('INVALID_ARGUMENT', `unsupported remote '${options.remote}'`, { hint: 'use s3://BUCKET/PREFIX' })
    }
    // a remote store is opened (and checked) before anything is written locally
    const storage = await openStorage(options.remote ?? dvDir)
    await mkdir(join(dvDir, 'tmp'), { recursive: true })
    const repo = new Repository(storage, new Workspace(root, dvDir), join(dvDir, 'tmp'), false, options)
    try {
      if (options.remote && (await storage.readConfig())) await repo.checkConfig() // attach to an existing remote repository
      else await repo.initStore()
      if (options.remote) await writeWorkspaceConfig(dvDir, { remote: options.remote })
    } catch (e) {
      if (options.remote) await rm(dvDir, { recursive: true, force: true })
      await storage.close()
      throw e
    }
    await repo.workspace!.writeHead({ branch: DEFAULT_BRANCH })
    return repo
  }

  /** Initializes an empty store (used by init and by tests on a memory store). */
  private async initStore(): Promise<void> {
    const now = this.ctx.now()
    await this.storage.createConfig(serializeConfig({ formatVersion: FORMAT_VERSION, repositoryId: randomUUID(), createdMs: now }))
    const root = await this.storage.objects.put(serializeSnapshot({
      parents: [], timestampMs: now, author: this.ctx.author, message: 'initialize repository', tables: {}, summary: {},
    })) as SnapshotId
    await this.storage.refs.compareAndSwap(branchRef(DEFAULT_BRANCH), null, root)
  }

  /** A repository over an existing Storage with no workspace (tests, embedding). */
  static async fromStorage(storage: Storage, options: RepositoryOpenOptions & { init?: boolean } = {}): Promise<Repository> {
    const tmp = await mkdtemp(join(tmpdir(), 'dv-'))
    const repo = new Repository(storage, null, tmp, true, options)
    if (options.init) await repo.initStore()
    else await repo.checkConfig()
    return repo
  }

  /** Opens the repository containing DIR (searching parent directories like git), or a store URL. */
  static async open(location: string, options: RepositoryOpenOptions = {}): Promise<Repository> {
    if (/^[a-z][a-z0-9+.-]*:/i.test(location) && !/^[a-z]:[\\/]/i.test(location)) {
      const storage = await openStorage(location)
      return Repository.fromStorage(storage, options)
    }
    const root = await findWorkspaceRoot(location)
    if (!root) {
      throw new DvError('NOT_FOUND', `not a dv repository (or any parent directory): ${resolve(location)}`, {
        hint: 'run `dv init` to create one here, or pass -C DIR',
      })
    }
    const dvDir = join(root, '.dv')
    await mkdir(join(dvDir, 'tmp'), { recursive: true })
    const remote = (await readWorkspaceConfig(dvDir))?.remote
    const repo = new Repository(await openStorage(remote ?? dvDir), new Workspace(root, dvDir), join(dvDir, 'tmp'), false, options)
    await repo.checkConfig()
    return repo
  }

  private async checkConfig(): Promise<void> {
    const bytes = await this.storage.readConfig()
    if (!bytes) {
      throw new DvError('NOT_FOUND', `no dv repository at ${this.storage.location}`, { hint: 'create one with `dv init`' })
    }
    const config = parseConfig(bytes, `repository config ${this.storage.location}/config.json`)
    if (config.formatVersion > FORMAT_VERSION) {
      throw new DvError('UNSUPPORTED', `repository format version ${config.formatVersion} is newer than this dv supports (${FORMAT_VERSION})`, { hint: 'upgrade dv' })
    }
  }

  /** Root of the workspace (directory holding .dv), or null for a bare store URL. */
  get workspaceRoot(): string | null {
    return this.workspace?.root ?? null
  }

  get location(): string {
    return this.storage.location
  }

  private revContext(): RevContext {
    return {
      refs: this.storage.refs,
      readSnapshot: (id) => readSnapshot(this.ctx, id),
      hasObject: (id) => this.storage.objects.has(id as never),
      head: () => this.headSnapshot(),
    }
  }

  private async headSnapshot(): Promise<SnapshotId | undefined> {
    if (!this.workspace) return (await this.storage.refs.get(branchRef(DEFAULT_BRANCH)))?.snapshot
    const head = await this.workspace.readHead()
    if ('detached' in head) return head.detached
    return (await this.storage.refs.get(branchRef(head.branch)))?.snapshot
  }

  /** The branch a write or commit targets. */
  private async targetBranch(explicit?: string): Promise<string> {
    if (explicit !== undefined) return asBranchName(explicit)
    if (!this.workspace) return DEFAULT_BRANCH
    const head = await this.workspace.readHead()
    if ('detached' in head) {
      throw new DvError('INVALID_ARGUMENT', `HEAD is detached at ${shortId(head.detached)}: there is no branch to write to`, {
        hint: 'switch to a branch with `dv checkout NAME` (or create one with `dv checkout -b NAME`), or pass --branch',
      })
    }
    return head.branch
  }

  async resolve(rev: string): Promise<string> {
    return (await resolveRev(this.revContext(), rev)).snapshot
  }

  private async resolveAt(at: string | undefined): Promise<SnapshotId> {
    if (at === undefined) {
      const head = await this.headSnapshot()
      if (!head) throw new DvError('NOT_FOUND', 'there is no HEAD commit')
      return head
    }
    const rev = isTimeLiteral(at) ? `HEAD@{${at}}` : at
    return (await resolveRev(this.revContext(), rev)).snapshot
  }

  private async branchHead(branch: string): Promise<SnapshotId> {
    const ref = await this.storage.refs.get(branchRef(branch))
    if (!ref) throw new DvError('NOT_FOUND', `branch '${branch}' does not exist`, { hint: 'see `dv branch --list`' })
    return ref.snapshot
  }

  /**
   * Writes `source` to `table` in `options.mode` (default append): staged in
   * the workspace, or committed at once with `commit: true` (always without a
   * workspace). `source` is undefined only for `mode: 'delete'`.
   */
  async write(table: string, source: Source | undefined, options: WriteOptions = {}): Promise<WriteResult> {
    const name = asTableName(table)
    const mode = options.mode ?? 'append'
    if (!(WRITE_MODES as readonly string[]).includes(mode)) {
      throw new DvError('INVALID_ARGUMENT', `unknown write mode '${mode}'`, { hint: `modes: ${WRITE_MODES.join(', ')}` })
    }
    const branch = await this.targetBranch(options.branch)
    const commitNow = options.commit === true || !this.workspace
    if (options.idempotencyKey !== undefined && !commitNow) {
      throw new DvError('INVALID_ARGUMENT', '--idempotency-key applies to a commit: pass --commit, or give the key to `dv commit`')
    }
    if (options.commit && !options.message) {
      throw new DvError('INVALID_ARGUMENT', 'a commit needs a message', { hint: 'pass -m MESSAGE' })
    }
    const headId = await this.branchHead(branch)
    const head = await readSnapshot(this.ctx, headId)
    const staged = commitNow ? [] : await this.workspace!.listStaged(branch)
    const rowLevel = mode !== 'append' && !(mode === 'overwrite' && options.where === undefined)
    if (rowLevel && staged.some((c) => c.table === name)) {
      throw new DvError('INVALID_ARGUMENT', `table '${name}' has staged changes: ${mode} reads the committed table`, {
        hint: 'commit the staged changes first (`dv commit`), or pass --commit to this write only after that',
      })
    }
    const base = await stagedView(this.ctx, head, name, staged)
    const engine = await this.ctx.engine()
    const opened = source === undefined ? undefined : await engine.openSource(source, { format: options.format, tmpDir: this.ctx.tmpDir })
    try {
      // the request's fingerprint (hashing the whole input) is needed only to match an idempotency key
      const fingerprint = commitNow && options.idempotencyKey ? requestFingerprint({
        table: name, mode, partitionBy: options.partitionBy, where: options.where, key: options.key?.join(','),
        input: opened ? await opened.fingerprint() : undefined,
      }) : undefined
      if (commitNow && options.idempotencyKey) {
        const landed = await findIdempotencyKey(this.ctx, headId, options.idempotencyKey)
        if (landed) {
          const commit = replayOf({ branch, idempotencyKey: options.idempotencyKey, fingerprint }, landed.id, landed.snapshot)
          const s = commit.tables[name]
          return {
            table: name, branch, mode, rows: s?.addedRows ?? 0, files: s?.addedFiles ?? 0, bytes: s?.addedBytes ?? 0,
            removedRows: s?.removedRows ?? 0, removedFiles: s?.removedFiles ?? 0,
            created: s?.operation === 'create', addedColumns: [], commit,
          }
        }
      }
      const { change, addedColumns } = await prepareChange(this.ctx, {
        table: name, mode, source: opened, where: options.where, key: options.key, partitionBy: options.partitionBy,
        base, baseSnapshot: headId, fingerprint, onProgress: options.onProgress,
      })
      const result: WriteResult = {
        table: name, branch, mode,
        rows: change.files.reduce((n, f) => n + f.rows, 0),
        files: change.files.length,
        bytes: change.files.reduce((n, f) => n + f.bytes, 0),
        removedRows: change.removes.reduce((n, f) => n + f.rows, 0),
        removedFiles: change.removes.length,
        created: change.creates,
        addedColumns,
      }
      if (commitNow) {
        result.commit = await commitChanges(this.ctx, {
          branch, message: options.message ?? `${mode} ${name}`, author: options.author ?? this.ctx.author,
          changes: [change], idempotencyKey: options.idempotencyKey, fingerprint, retry: this.retry,
        })
      } else {
        await this.workspace!.stage(branch, change)
        result.staged = { id: change.id }
      }
      return result
    } finally {
      await opened?.close()
    }
  }

  /** Deletes the rows of `table` matching `where` (copy-on-write): `write(table, undefined, { mode: 'delete', where })`. */
  async delete(table: string, where: string, options: Omit<WriteOptions, 'mode' | 'where'> = {}): Promise<WriteResult> {
    return this.write(table, undefined, { ...options, mode: 'delete', where })
  }

  private async recoverStaging(): Promise<void> {
    if (!this.workspace) return
    await this.workspace.recover(async (branch, snap) => {
      const ref = await this.storage.refs.get(branchRef(branch))
      if (!ref) return false
      for await (const e of walkHistory(this.ctx, ref.snapshot)) if (e.id === snap) return true
      return false
    }, processAlive)
  }

  async commit(options: CommitOptions): Promise<CommitResult> {
    if (!options.message) throw new DvError('INVALID_ARGUMENT', 'a commit needs a message', { hint: 'pass -m MESSAGE' })
    const branch = await this.targetBranch(options.branch)
    await this.branchHead(branch)
    const author = options.author ?? this.ctx.author
    if (!this.workspace) {
      return commitChanges(this.ctx, { branch, message: options.message, author, changes: [], allowEmpty: options.allowEmpty, idempotencyKey: options.idempotencyKey, retry: this.retry })
    }
    await this.recoverStaging()
    const taken = await this.workspace.take(branch)
    if (!taken && !options.allowEmpty) {
      throw new DvError('INVALID_ARGUMENT', `nothing to commit on branch '${branch}': no staged changes`, {
        hint: 'stage a change with `dv write TABLE FILE`, or pass --allow-empty',
      })
    }
    const changes = taken?.changes ?? []
    const fingerprint = requestFingerprint({
      changes: changes.map((c) => `${c.table}:${c.mode}:${c.files.map((f) => f.id).join(',')}`).join(';'),
    })
    try {
      const result = await commitChanges(this.ctx, {
        branch, message: options.message, author, changes, allowEmpty: options.allowEmpty,
        idempotencyKey: options.idempotencyKey, fingerprint, retry: this.retry,
        beforeRefUpdate: taken ? (id) => this.workspace!.markTaken(taken, id) : undefined,
      })
      if (taken) await this.workspace.release(taken, true)
      return result
    } catch (e) {
      if (taken && !isDvError(e, 'OUTCOME_UNKNOWN')) await this.workspace.release(taken, false)
      throw e
    }
  }

  async status(): Promise<StatusResult> {
    if (!this.workspace) {
      const head = await this.headSnapshot()
      return { branch: DEFAULT_BRANCH, head: head ?? null, detached: false, staged: [], location: this.location }
    }
    await this.recoverStaging()
    const head = await this.workspace.readHead()
    const branch = 'branch' in head ? head.branch : null
    const staged = branch ? await this.workspace.listStaged(branch) : []
    return {
      branch,
      head: (await this.headSnapshot()) ?? null,
      detached: branch === null,
      staged: staged.map((c) => ({
        id: c.id, table: c.table, mode: c.mode, creates: c.creates, files: c.files.length,
        rows: c.files.reduce((n, f) => n + f.rows, 0), bytes: c.files.reduce((n, f) => n + f.bytes, 0),
      })),
      location: this.location,
    }
  }

  private async refNames(): Promise<Map<string, string[]>> {
    const names = new Map<string, string[]>()
    const add = (id: string, n: string) => names.set(id, [...(names.get(id) ?? []), n])
    for (const r of await this.storage.refs.list(BRANCH_PREFIX)) add(r.value.snapshot, r.name.slice(BRANCH_PREFIX.length))
    for (const r of await this.storage.refs.list(TAG_PREFIX)) add(r.value.snapshot, `tag: ${r.name.slice(TAG_PREFIX.length)}`)
    return names
  }

  async log(options: LogOptions = {}): Promise<LogEntry[]> {
    const start = await this.resolveAt(options.rev)
    if (options.table) asTableName(options.table)
    const refs = await this.refNames()
    const out: LogEntry[] = []
    for await (const { id, snapshot } of walkHistory(this.ctx, start)) {
      if (options.limit !== undefined && out.length >= options.limit) break
      if (options.table && !(options.table in snapshot.summary)) continue
      if (options.idempotencyKey !== undefined && snapshot.idempotencyKey !== options.idempotencyKey) continue
      out.push(logEntryOf(id, snapshot, refs.get(id) ?? []))
    }
    return out
  }

  async show(rev: string, table?: string): Promise<ShowResult> {
    const id = await this.resolveAt(rev)
    const snapshot = await readSnapshot(this.ctx, id)
    const refs = await this.refNames()
    const tables: ShowResult['tables'] = {}
    for (const name of Object.keys(snapshot.tables).sort()) tables[name] = tableTotals((await tableAt(this.ctx, snapshot, id, name)).table)
    const result: ShowResult = { commit: logEntryOf(id, snapshot, refs.get(id) ?? []), tables }
    if (table !== undefined) {
      const { table: meta } = await tableAt(this.ctx, snapshot, id, asTableName(table))
      result.table = await tableInfo(this.ctx, table, id, meta)
    }
    return result
  }

  private async currentBranch(): Promise<string | null> {
    if (!this.workspace) return null
    const head = await this.workspace.readHead()
    return 'branch' in head ? head.branch : null
  }

  async listBranches(): Promise<RefInfo[]> {
    const current = await this.currentBranch()
    return (await this.storage.refs.list(BRANCH_PREFIX)).map((r) => {
      const name = r.name.slice(BRANCH_PREFIX.length)
      return { name, snapshot: r.value.snapshot, current: name === current }
    })
  }

  private async createRef(kind: 'branch' | 'tag', name: string, rev?: string): Promise<RefInfo> {
    const key = kind === 'branch' ? branchRef(asBranchName(name)) : tagRef(asTagName(name))
    const snapshot = await this.resolveAt(rev)
    try {
      await this.storage.refs.compareAndSwap(key, null, snapshot)
    } catch (e) {
      if (isDvError(e, 'CONFLICT') && (await this.storage.refs.get(key))) {
        throw new DvError('CONFLICT', `${kind} '${name}' already exists`, { retryable: false, cause: e, hint: kind === 'branch' ? 'pick another name, or delete it first with `dv branch -d`' : 'tags do not move: delete it first with `dv tag -d`' })
      }
      throw e
    }
    return { name, snapshot }
  }

  private async deleteRef(kind: 'branch' | 'tag', name: string): Promise<RefInfo> {
    const key = kind === 'branch' ? branchRef(asBranchName(name)) : tagRef(asTagName(name))
    if (kind === 'branch' && (await this.currentBranch()) === name) {
      throw new DvError('INVALID_ARGUMENT', `cannot delete branch '${name}': it is checked out`, { hint: 'switch to another branch first' })
    }
    const ref = await this.storage.refs.get(key)
    if (!ref) throw new DvError('NOT_FOUND', `${kind} '${name}' does not exist`)
    await this.storage.refs.compareAndSwap(key, ref.version, null)
    return { name, snapshot: ref.snapshot }
  }

  async createBranch(name: string, rev?: string): Promise<RefInfo> { return this.createRef('branch', name, rev) }
  async deleteBranch(name: string): Promise<RefInfo> { return this.deleteRef('branch', name) }
  async createTag(name: string, rev?: string): Promise<RefInfo> { return this.createRef('tag', name, rev) }
  async deleteTag(name: string): Promise<RefInfo> { return this.deleteRef('tag', name) }

  async listTags(): Promise<RefInfo[]> {
    return (await this.storage.refs.list(TAG_PREFIX)).map((r) => ({ name: r.name.slice(TAG_PREFIX.length), snapshot: r.value.snapshot }))
  }

  /**
   * Switches the workspace to a branch, or detaches it at a snapshot. With
   * `create`, makes branch `rev` at `startPoint` (default HEAD) first.
   */
  async checkout(rev: string, options: { create?: boolean; startPoint?: string } = {}): Promise<CheckoutResult> {
    if (!this.workspace) throw new DvError('INVALID_ARGUMENT', 'checkout needs a workspace; this repository was opened by URL')
    if (options.create) {
      const ref = await this.createRef('branch', rev, options.startPoint)
      await this.workspace.writeHead({ branch: rev })
      return { branch: rev, snapshot: ref.snapshot, created: true, detached: false }
    }
    const resolved = await resolveRev(this.revContext(), rev)
    if (resolved.branch) {
      await this.workspace.writeHead({ branch: resolved.branch })
      return { branch: resolved.branch, snapshot: resolved.snapshot, created: false, detached: false }
    }
    await this.workspace.writeHead({ detached: resolved.snapshot })
    return { branch: null, snapshot: resolved.snapshot, created: false, detached: true }
  }

  async *scan(table: string, options: ReadOptions = {}): AsyncIterable<RecordBatch> {
    const id = await this.resolveAt(options.at)
    const snapshot = await readSnapshot(this.ctx, id)
    const { table: meta } = await tableAt(this.ctx, snapshot, id, asTableName(table))
    const { request } = await prepareScan(this.ctx, meta, options)
    yield* (await this.ctx.engine()).scanBatches(request)
  }

  async cat(table: string, out: Writable, options: CatOptions = {}): Promise<CatResult> {
    const id = await this.resolveAt(options.at)
    const snapshot = await readSnapshot(this.ctx, id)
    const { table: meta } = await tableAt(this.ctx, snapshot, id, asTableName(table))
    const { request, plan } = await prepareScan(this.ctx, meta, options)
    const rows = await (await this.ctx.engine()).scanTo(request, options.format ?? 'csv', out)
    return { table, snapshot: id, rows, filesScanned: plan.files.length, filesPruned: plan.filesPruned }
  }

  /**
   * Checks the store's guarantees (`dv doctor`): whether it enforces the
   * conditional writes that make concurrent commits safe.
   */
  async doctor(): Promise<DoctorResult> {
    const { probeConditionalWrites } = await import('./store/s3-probe.js')
    const support = await probeConditionalWrites(this.storage)
    const safe = support.ifNoneMatch && support.ifMatch
    return { location: this.location, conditionalWrites: support, concurrentWritersSafe: safe }
  }

  /** Checks every ref and every object reachable from one (`dv fsck`). */
  async verify(): Promise<VerifyResult> {
    return verifyRepository(this.ctx)
  }

  async close(): Promise<void> {
    if (this.enginePromise) await (await this.enginePromise).close()
    await this.storage.close()
    if (this.ownTmp) await rm(this.ctx.tmpDir, { recursive: true, force: true })
  }
}
