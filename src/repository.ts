/**
 * Repository: the library's entry point, a thin facade. Everything the CLI
 * does is a short script over this class; each method delegates to one
 * action (src/table/actions/, src/refs/manage.ts), which runs in the
 * ActionContext built here. Backends and the clock are injected.
 */
import { rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir, userInfo, hostname } from 'node:os'
import { join, resolve } from 'node:path'
import type { Writable } from 'node:stream'
import type { RecordBatch } from 'apache-arrow'
import type {
  AlterTableChange, AlterTableOptions, AlterTableResult, TableSchemaResult,
  CatOptions, CatResult, CheckoutResult, CommitOptions, CommitResult, LogEntry, LogOptions,
  ReadOptions, RefInfo, ReflogOptions, ReflogResult, ResetOptions, ResetResult, RestoreBranchOptions,
  RestoreBranchResult, ExportOptions, ExportResult, SetKeyOptions, SetKeyResult, ShowResult, StatusResult, UnstageOptions, UnstageResult, WriteOptions, WriteResult, DiffOptions, DiffResult, DiffRowsOptions,
  DiffRowsResult, DiffRowsToOptions, MergeOptions, MergeResult, RevertOptions, RevertResult, CherryPickOptions,
  BranchProtectionInfo, ProtectOptions, ProtectResult, SettingsVersion,
  CheckOptions, ContractRemoveOptions, ContractRemoveResult, ContractReport, ContractSetOptions, ContractSetResult, ContractShowResult,
} from './api-types.js'
import type { DataEngine, Source } from './io/types.js'
import type { Storage } from './store/types.js'
import type { DoctorOptions, DoctorResult } from './store/doctor.js'
import { openStorage } from './store/open.js'
import { listTemp, ownedName, sweepTemp } from './store/owner.js'
import { createRef, deleteRef, listBranches, listTags } from './refs/manage.js'
import { showReflog } from './refs/reflog-show.js'
import { resolveRev } from './refs/resolve.js'
import { restoreBranch } from './refs/restore.js'
import { DEFAULT_RETRY, type RetryPolicy } from './table/retry.js'
import { WRITER_LEASE_TIMING, writerLease, type WriterLeaseTiming } from './table/writer-lease.js'
import { ParsedObjectCache } from './table/context.js'
import type { VerifyOptions, VerifyResult } from './table/verify.js'
import { headBranch, refAdmin, restoreContext, revContext, type ActionContext } from './table/actions/context.js'
import type { GcOptions, GcResult } from './table/actions/gc.js'
import type { ExpireOptions, ExpireResult } from './table/actions/expire.js'
import type { RetentionInfo, RetentionResult, RetentionSetOptions } from './refs/retention.js'
import { checkConfig, initStore, setUpStore } from './table/actions/init.js'
import type { CompactOptions, CompactResult } from './table/actions/compact.js'
import type { QueryOptions, QueryResult } from './table/actions/query.js'
import { initWorkspace, isStoreUrl, openWorkspace } from './workspace/locate.js'
import type { Workspace } from './workspace/workspace.js'
import { leasedWorkspace } from './workspace/lease.js'
import { DvError } from './errors.js'

/**
 * The actions load with the first call that needs them, not with the library:
 * a CLI process runs one command, and loading all of them (merge, export's
 * Avro, contracts, diff) cost every `dv` process 0.1-0.2 s (bench/cold-start.ts).
 */
const actions = {
  cat: () => import('./table/actions/cat.js'),
  checkout: () => import('./table/actions/checkout.js'),
  commit: () => import('./table/actions/commit.js'),
  diff: () => import('./table/actions/diff.js'),
  log: () => import('./table/actions/log.js'),
  merge: () => import('./table/actions/merge.js'),
  reset: () => import('./table/actions/reset.js'),
  revert: () => import('./table/actions/revert.js'),
  setKey: () => import('./table/actions/set-key.js'),
  contract: () => import('./table/actions/contract.js'),
  status: () => import('./table/actions/status.js'),
  unstage: () => import('./table/actions/unstage.js'),
  write: () => import('./table/actions/write.js'),
  alter: () => import('./table/actions/alter.js'),
  export: () => import('./table/actions/export.js'),
  compact: () => import('./table/actions/compact.js'),
  query: () => import('./table/actions/query.js'),
  gc: () => import('./table/actions/gc.js'),
  protect: () => import('./refs/protect.js'),
  retention: () => import('./refs/retention.js'),
  expire: () => import('./table/actions/expire.js'),
}

export type { DoctorOptions, DoctorResult } from './store/doctor.js'

export interface RepositoryOpenOptions {
  /** Clock for commit timestamps (tests pass a fixed clock). */
  now?: () => number
  author?: string
  /** Commit retries when the branch moved concurrently (default: 50 attempts, 5 ms..2 s backoff with full jitter, 60 s total). */
  retry?: Partial<RetryPolicy>
  /** When a long write on a remote store names its stored files in a lease of its own (default: after 10 min, every 10 min, 30 min ttl; tests shorten it). */
  writerLease?: Partial<WriterLeaseTiming>
}

export interface RepositoryInitOptions extends RepositoryOpenOptions {
  /** Store the repository at this URL instead of DIR/.dv (e.g. 's3://bucket/prefix'). */
  remote?: string
}

function defaultAuthor(): string {
  if (process.env.DV_AUTHOR) return process.env.DV_AUTHOR
  try {
    return `${userInfo().username}@${hostname()}`
  } catch {
    return 'unknown'
  }
}

function clockAndAuthor(options: RepositoryOpenOptions): { now: () => number; author: string } {
  return { now: options.now ?? Date.now, author: options.author ?? defaultAuthor() }
}

export class Repository {
  private enginePromise: Promise<DataEngine> | undefined
  /** The last sweep of the temporary directory (settled either way): close() waits for it. */
  private swept: Promise<void> | undefined
  private readonly ctx: ActionContext
  private readonly writerLeaseTiming: WriterLeaseTiming

  /**
   * `workspace` null: a store opened by URL. Temporary files go to a scratch
   * directory of this Repository, named after this process (store/owner.ts)
   * and created on first use: `.dv/tmp/proc.*` in a workspace, the system's
   * temporary directory (`dv.*`) otherwise. close() removes it; what a killed
   * process left is removed by the next write, or in the background by the
   * next command that opens the data engine (ActionContext.temp).
   */
  private constructor(
    private readonly storage: Storage,
    private readonly workspace: Workspace | null,
    options: RepositoryOpenOptions,
  ) {
    this.writerLeaseTiming = { ...WRITER_LEASE_TIMING, ...options.writerLease }
    const tmpDir = workspace ? workspace.newScratchDir() : join(tmpdir(), ownedName('dv'))
    const inSystemTmp = (name: string) => name.startsWith('dv.')
    const sweepDir = workspace ? () => workspace.sweepTemp() : () => sweepTemp(tmpdir(), inSystemTmp)
    this.ctx = {
      storage,
      ...clockAndAuthor(options),
      tmpDir,
      cache: new ParsedObjectCache(),
      // the engine's sandbox may read only dv's scratch directory and the store's object files
      engine: () => (this.enginePromise ??= this.openEngine(tmpDir)),
      retry: { ...DEFAULT_RETRY, ...options.retry },
      // a workspace sharing a remote store keeps a lease there, so gc run elsewhere keeps what it staged
      workspace: workspace && storage.leases ? leasedWorkspace(workspace, workspace.dvDir, storage.leases) : workspace,
      temp: {
        sweep: () => {
          const sweeping = sweepDir()
          this.swept = sweeping.then(() => undefined, () => undefined)
          return sweeping
        },
        list: workspace ? () => workspace.temporaryFiles() : () => listTemp(tmpdir(), inSystemTmp),
      },
      codeVersion: async (dir) => (await import('./workspace/code-version.js')).codeVersionAt(dir),
    }
  }

  /**
   * Creates a repository in DIR (store in DIR/.dv, or at `remote`) with an
   * initial empty commit on main. DIR may itself be a store URL
   * ('s3://BUCKET/PREFIX'): then the repository is created there with no
   * workspace (a bare repository; attach a workspace with `init(dir, { remote })`).
   */
  static async init(dir: string, options: RepositoryInitOptions = {}): Promise<Repository> {
    if (isStoreUrl(dir)) {
      if (options.remote !== undefined) {
        throw new DvError('INVALID_ARGUMENT', `init got two stores: '${dir}' and --remote '${options.remote}'`, {
          hint: 'name the store once: dv init URL (no workspace), or dv init DIR --remote URL',
        })
      }
      const storage = await openStorage(dir)
      try {
        await initStore({ storage, ...clockAndAuthor(options) })
      } catch (e) {
        await storage.close()
        throw e
      }
      return new Repository(storage, null, options)
    }
    const setUp = (storage: Storage) => setUpStore({ storage, ...clockAndAuthor(options) }, options.remote !== undefined)
    const { workspace, storage } = await initWorkspace(dir, options.remote, setUp)
    return new Repository(storage, workspace, options)
  }

  /** A repository over an existing Storage with no workspace (tests, embedding); `init` creates it first. */
  static async fromStorage(storage: Storage, options: RepositoryOpenOptions & { init?: boolean } = {}): Promise<Repository> {
    const repo = new Repository(storage, null, options)
    await (options.init ? initStore(repo.ctx) : checkConfig(storage))
    return repo
  }

  /** Opens the repository containing DIR (searching parent directories like git), or a store URL. */
  static async open(location: string, options: RepositoryOpenOptions = {}): Promise<Repository> {
    if (isStoreUrl(location)) return Repository.fromStorage(await openStorage(location), options)
    const { workspace, storeLocation } = await openWorkspace(location)
    const repo = new Repository(await openStorage(storeLocation), workspace, options)
    await checkConfig(repo.storage)
    return repo
  }

  /**
   * Runs an action that may store data files before its commit lands. On a
   * remote store it gets a writer lease of its own (table/writer-lease.ts,
   * format-spec/gc.md#writers-in-flight), released when it ends; a local
   * store has no leases, and the action runs as it is.
   */
  private async leased<T>(action: (ctx: ActionContext) => Promise<T>): Promise<T> {
    if (!this.storage.leases) return action(this.ctx)
    const lease = writerLease(this.storage.leases, this.writerLeaseTiming)
    try {
      return await action({ ...this.ctx, held: lease })
    } finally {
      await lease.release()
    }
  }

  /** Root of the workspace (directory holding .dv), or null for a bare store URL. */
  get workspaceRoot(): string | null {
    return this.workspace?.root ?? null
  }

  get location(): string {
    return this.storage.location
  }

  async resolve(rev: string): Promise<string> {
    return (await resolveRev(revContext(this.ctx), rev)).snapshot
  }

  /**
   * Writes `source` to `table` in `options.mode` (default append): staged in
   * the workspace, or committed at once with `commit: true` (always without a
   * workspace). `source` is undefined only for `mode: 'delete'`.
   */
  async write(table: string, source: Source | undefined, options: WriteOptions = {}): Promise<WriteResult> {
    return this.leased(async (ctx) => (await actions.write()).write(ctx, table, source, options))
  }

  /** Deletes the rows of `table` matching `where` (copy-on-write): `write(table, undefined, { mode: 'delete', where })`. */
  async delete(table: string, where: string, options: Omit<WriteOptions, 'mode' | 'where'> = {}): Promise<WriteResult> {
    return this.write(table, undefined, { ...options, mode: 'delete', where })
  }

  /** Commits every staged change of the branch as one atomic snapshot. */
  async commit(options: CommitOptions): Promise<CommitResult> {
    return this.leased(async (ctx) => (await actions.commit()).commit(ctx, options))
  }

  async status(): Promise<StatusResult> {
    return (await actions.status()).status(this.ctx)
  }

  async log(options: LogOptions = {}): Promise<LogEntry[]> {
    return (await actions.log()).log(this.ctx, options)
  }

  async show(rev: string, table?: string): Promise<ShowResult> {
    return (await actions.log()).show(this.ctx, rev, table)
  }

  /** Sets `table`'s data contract (ODCS v3.1.0 YAML `text`) as one commit: `dv contract set`. Enforced on every later commit that changes the table's data. */
  async setContract(table: string, text: string, options: ContractSetOptions = {}): Promise<ContractSetResult> {
    return (await actions.contract()).setContract(this.ctx, table, text, options)
  }

  /** The contract of `table` at `at` (default HEAD): `dv contract show`. */
  async showContract(table: string, options: CheckOptions = {}): Promise<ContractShowResult> {
    return (await actions.contract()).showContract(this.ctx, table, options)
  }

  /** Removes `table`'s contract as one commit: `dv contract rm`. */
  async removeContract(table: string, options: ContractRemoveOptions = {}): Promise<ContractRemoveResult> {
    return (await actions.contract()).removeContract(this.ctx, table, options)
  }

  /** Runs `table`'s contract over the whole table at `at` (default HEAD): `dv check`. The report says whether it passed. */
  async check(table: string, options: CheckOptions = {}): Promise<ContractReport> {
    return (await actions.contract()).checkContract(this.ctx, table, options)
  }

  /** Changes the schema of `table` as one commit on the branch (no data is rewritten): see AlterTableChange. */
  async alterTable(table: string, change: AlterTableChange, options: AlterTableOptions = {}): Promise<AlterTableResult> {
    return (await actions.alter()).alterTable(this.ctx, table, change, options)
  }

  /**
   * Runs one SELECT over the tables of a snapshot (HEAD, or `options.at`),
   * each a view named by the table, `"TABLE@REV"` for another version; the
   * result goes to `out` as `dv cat` writes it (`dv query`).
   */
  async query(sql: string, out: Writable, options: QueryOptions = {}): Promise<QueryResult> {
    return (await actions.query()).query(this.ctx, sql, out, options)
  }

  /** Rewrites the small files of each partition of `table` into files near the target size, in one commit of unchanged rows (`dv compact`). */
  async compact(table: string, options: CompactOptions = {}): Promise<CompactResult> {
    return this.leased(async (ctx) => (await actions.compact()).compactTable(ctx, table, options))
  }

  /** The schema of `table` at `at` (default HEAD), in the `--schema` text form and as JSON. */
  async tableSchema(table: string, options: { at?: string } = {}): Promise<TableSchemaResult> {
    return (await actions.alter()).tableSchema(this.ctx, table, options)
  }

  async listBranches(): Promise<RefInfo[]> { return listBranches(refAdmin(this.ctx)) }
  async createBranch(name: string, rev?: string): Promise<RefInfo> { return createRef(refAdmin(this.ctx), 'branch', name, rev) }
  async deleteBranch(name: string): Promise<RefInfo> { return deleteRef(refAdmin(this.ctx), 'branch', name) }
  async listTags(): Promise<RefInfo[]> { return listTags(this.storage.refs) }
  async createTag(name: string, rev?: string): Promise<RefInfo> { return createRef(refAdmin(this.ctx), 'tag', name, rev) }
  async deleteTag(name: string): Promise<RefInfo> { return deleteRef(refAdmin(this.ctx), 'tag', name) }

  /**
   * Protects a branch with exactly these rules (`dv branch protect`): it can
   * no longer be deleted, reset or restored; `requireChecks`: its commits and
   * merges run the contracts even with `verify: false`; `requireMerge`: only
   * merges move it. A repository setting, in the store: every client obeys it.
   */
  async protectBranch(name: string, options: ProtectOptions = {}): Promise<ProtectResult> {
    return (await actions.protect()).protectBranch(refAdmin(this.ctx), name, options)
  }

  /** Removes a branch's protection (`dv branch unprotect`). */
  async unprotectBranch(name: string): Promise<ProtectResult> {
    return (await actions.protect()).unprotectBranch(refAdmin(this.ctx), name)
  }

  /** Every protected branch and its rules (`dv branch protect --list`). */
  async protectedBranches(): Promise<Record<string, BranchProtectionInfo>> {
    return (await actions.protect()).listProtected(refAdmin(this.ctx))
  }

  /** The repository settings' versions, newest first: who changed what, when (`dv branch protect --log`). */
  async settingsHistory(options: { limit?: number } = {}): Promise<SettingsVersion[]> {
    return (await actions.protect()).settingsHistory(refAdmin(this.ctx), options.limit)
  }

  /** Every logged update of a branch or tag (default: the checked-out branch), newest first: `dv reflog`. */
  async reflog(ref?: string, options: ReflogOptions = {}): Promise<ReflogResult> {
    return showReflog(this.storage, ref, () => headBranch(this.ctx), options.limit)
  }

  /** Puts a branch back where `NAME@{N}` says it was (re-creating a deleted one): `dv branch restore`. */
  async restoreBranch(spec: string, options: RestoreBranchOptions = {}): Promise<RestoreBranchResult> {
    return restoreBranch(restoreContext(this.ctx), spec, options)
  }

  /** Moves the checked-out branch (or `options.branch`) to REV: `dv reset`. */
  async reset(rev: string, options: ResetOptions = {}): Promise<ResetResult> {
    return (await actions.reset()).reset(this.ctx, rev, options)
  }

  /**
   * Merges SOURCE (a branch or any REV) into the checked-out branch (or
   * `options.into`): a fast-forward, or a three-way merge against the merge
   * base published as a two-parent commit (format-spec/merge.md). A conflict
   * changes nothing and throws CONFLICT with the report in
   * `details.conflicts` (`dryRun` returns it instead).
   */
  async merge(source: string, options: MergeOptions = {}): Promise<MergeResult> {
    return this.leased(async (ctx) => (await actions.merge()).merge(ctx, source, options))
  }

  /** A new commit on the branch that undoes REV's changes, checked against what came after it: `dv revert`. */
  async revert(rev: string, options: RevertOptions = {}): Promise<RevertResult> {
    return this.leased(async (ctx) => (await actions.revert()).revert(ctx, rev, options))
  }

  /** A new commit on the branch that repeats REV's changes: `dv cherry-pick`. */
  async cherryPick(rev: string, options: CherryPickOptions = {}): Promise<RevertResult> {
    return this.leased(async (ctx) => (await actions.revert()).cherryPick(ctx, rev, options))
  }

  /** Unstages staged changes of the branch (all, some tables', or one by id): `dv restore --staged`. */
  async unstage(options: UnstageOptions = {}): Promise<UnstageResult> {
    return (await actions.unstage()).unstage(this.ctx, options)
  }

  /** Makes COLS the primary key of `table` (checked against its data, then one commit): `dv table set-key`. */
  async setKey(table: string, columns: string[], options: SetKeyOptions = {}): Promise<SetKeyResult> {
    return (await actions.setKey()).setKey(this.ctx, table, columns, options)
  }

  /**
   * Switches the workspace to a branch, or detaches it at a snapshot. With
   * `create`, makes branch `rev` at `startPoint` (default HEAD) first.
   */
  async checkout(rev: string, options: { create?: boolean; startPoint?: string } = {}): Promise<CheckoutResult> {
    return (await actions.checkout()).checkout(this.ctx, rev, options)
  }

  /** The table at `options.at` (default HEAD) as Arrow record batches. */
  async *scan(table: string, options: ReadOptions = {}): AsyncIterable<RecordBatch> {
    yield* (await actions.cat()).scan(this.ctx, table, options)
  }

  /** Writes the table at `options.at` (default HEAD) to `out` as CSV (default), NDJSON, Parquet or Arrow. */
  async cat(table: string, out: Writable, options: CatOptions = {}): Promise<CatResult> {
    return (await actions.cat()).cat(this.ctx, table, out, options)
  }

  /**
   * What changed between two states, per table: created or dropped, schema
   * changes by field id, rows and files added and removed, per partition,
   * and the statistics of the rows added and removed. Default: HEAD against
   * the staged state; `{ from }`: from against HEAD; `{ from, to }`. Reads
   * only the manifests that differ, never a data file.
   */
  async diff(options: DiffOptions = {}): Promise<DiffResult> {
    return (await actions.diff()).diff(this.ctx, options)
  }

  /**
   * The row-level changes of `table` between the two states of `diff`, as
   * Arrow record batches: its columns, then `_change` (insert, delete,
   * update_before, update_after) and `_snapshot` (the commit that made the
   * change, or null). Reads only the data files that differ.
   */
  async *diffRows(table: string, options: DiffRowsOptions = {}): AsyncIterable<RecordBatch> {
    yield* (await actions.diff()).diffRows(this.ctx, table, options)
  }

  /** The same changes written to `out` as CSV (default), NDJSON, JSON, Parquet or Arrow: a change feed. */
  async diffRowsTo(table: string, out: Writable, options: DiffRowsToOptions = {}): Promise<DiffRowsResult> {
    return (await actions.diff()).diffRowsTo(this.ctx, table, out, options)
  }

  /** `dv diff` operands as git splits them without `--`: up to two leading revisions, then tables. */
  async splitDiffOperands(operands: string[]): Promise<{ from?: string; to?: string; tables: string[] }> {
    return (await actions.diff()).splitDiffOperands(this.ctx, operands)
  }

  /**
   * Writes Iceberg format-version 2 metadata for `table` at `options.to`,
   * over the repository's own Parquet objects (no data is copied): one
   * Iceberg snapshot per commit of the table's first-parent history. A
   * re-export to the same place writes only what is new: `dv export`.
   */
  async exportTable(table: string, options: ExportOptions): Promise<ExportResult> {
    return (await actions.export()).exportTable(this.ctx, table, options)
  }

  /**
   * Checks the store's guarantees (`dv doctor`): whether it enforces the
   * conditional writes that make concurrent commits safe.
   */
  async doctor(options: DoctorOptions = {}): Promise<DoctorResult> {
    return (await import('./store/doctor.js')).checkStore(this.storage, options)
  }

  /**
   * Deletes the objects nothing live reaches that are older than the grace
   * period (`dv gc`, format-spec/gc.md); `dryRun` lists them instead.
   */
  async gc(options: GcOptions = {}): Promise<GcResult> {
    return (await actions.gc()).gc(this.ctx, options)
  }

  /**
   * Sets the retention policy of `branch`, or with null the repository
   * default (`dv retention set`, format-spec/retention.md). Expires nothing
   * by itself: `expire()` applies the policies.
   */
  async setRetention(branch: string | null, options: RetentionSetOptions): Promise<RetentionResult> {
    return (await actions.retention()).setRetention(refAdmin(this.ctx), branch, options)
  }

  /** Removes the retention policy of `branch`, or with null the repository default (`dv retention rm`). */
  async removeRetention(branch: string | null): Promise<RetentionResult> {
    return (await actions.retention()).removeRetention(refAdmin(this.ctx), branch)
  }

  /** The retention policies: the repository default and each branch's own (`dv retention show`). */
  async retention(): Promise<RetentionInfo> {
    return (await actions.retention()).showRetention(refAdmin(this.ctx))
  }

  /**
   * Applies the retention policies (`dv expire`): records the snapshots they
   * expire, whose data gc then stops keeping. `dryRun` lists them instead.
   */
  async expire(options: ExpireOptions = {}): Promise<ExpireResult> {
    return (await actions.expire()).expire(this.ctx, options)
  }

  /** Checks every ref and every object reachable from one (`dv fsck`). */
  async verify(options: VerifyOptions = {}): Promise<VerifyResult> {
    const { temporaryFiles, verifyRepository } = await import('./table/verify.js')
    const staged = this.ctx.workspace ? await this.ctx.workspace.allStaged() : []
    const result = await verifyRepository(this.ctx, options, new Set(staged.flatMap((c) => c.files.map((f) => f.id))))
    // this Repository's own scratch directory (--full opened the engine) is in use by fsck itself: not reported
    const own = resolve(this.ctx.tmpDir)
    return { ...result, temporary: temporaryFiles((await this.ctx.temp.list()).filter((e) => resolve(e.path) !== own)) }
  }

  /**
   * The data engine. Opening it also sweeps, in the background, what killed
   * processes left in the temporary directory (store/owner.ts), unless this
   * Repository swept already (a write sweeps before it opens the engine):
   * reads spool there too, and a reader that never writes would otherwise
   * keep what a `kill -9` left until someone's next write.
   */
  private openEngine(tmpDir: string): Promise<DataEngine> {
    if (this.swept === undefined) this.ctx.temp.sweep().catch(() => undefined)
    return import('./io/index.js').then(async (m) => m.createDataEngine({ tmpDir, readableDirectories: [await this.storage.objects.localRoot()] }))
  }

  /**
   * Removes this Repository's scratch directory at once (what a read spools,
   * the engine's spills), for a process that is about to exit on a signal:
   * work still running here loses its temporary files. close() does the same
   * after the work has stopped.
   */
  discardScratch(): void {
    rmSync(this.ctx.tmpDir, { recursive: true, force: true })
  }

  async close(): Promise<void> {
    await this.swept
    if (this.enginePromise) await (await this.enginePromise).close()
    await this.storage.close()
    await rm(this.ctx.tmpDir, { recursive: true, force: true })
  }
}
