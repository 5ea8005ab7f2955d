/**
 * Repository: the library's entry point. Everything the CLI does is a short
 * script over this class. (Implementation in progress: signatures are the contract.)
 */
import type { Writable } from 'node:stream'
import type { RecordBatch } from 'apache-arrow'
import type {
  CatOptions, CatResult, CheckoutResult, CommitOptions, CommitResult, LogEntry, LogOptions,
  ReadOptions, RefInfo, ShowResult, StatusResult, WriteOptions, WriteResult,
} from './api-types.js'
import type { Source } from './io/types.js'
import { DvError } from './errors.js'

export interface RepositoryOpenOptions {
  /** Clock for commit timestamps (tests pass a fixed clock). */
  now?: () => number
  author?: string
}

export interface RepositoryInitOptions extends RepositoryOpenOptions {
  /** Store the repository at this URL instead of DIR/.dv (e.g. 's3://bucket/prefix'). */
  remote?: string
}

function todo(): never {
  throw new DvError('INTERNAL', 'not implemented yet')
}

export class Repository {
  /** Creates a repository in DIR (store in DIR/.dv) with an initial empty commit on main. */
  static async init(_dir: string, _options: RepositoryInitOptions = {}): Promise<Repository> { todo() }
  /** Opens the repository containing DIR (searching parent directories like git), or a store URL. */
  static async open(_location: string, _options: RepositoryOpenOptions = {}): Promise<Repository> { todo() }

  /** Root of the workspace (directory holding .dv), or null for a bare store URL. */
  get workspaceRoot(): string | null { return todo() }
  get location(): string { return todo() }

  async write(_table: string, _source: Source, _options: WriteOptions = {}): Promise<WriteResult> { todo() }
  async commit(_options: CommitOptions): Promise<CommitResult> { todo() }
  async status(): Promise<StatusResult> { todo() }
  async log(_options: LogOptions = {}): Promise<LogEntry[]> { todo() }
  async show(_rev: string, _table?: string): Promise<ShowResult> { todo() }
  async resolve(_rev: string): Promise<string> { todo() }

  async listBranches(): Promise<RefInfo[]> { todo() }
  async createBranch(_name: string, _rev?: string): Promise<RefInfo> { todo() }
  async deleteBranch(_name: string): Promise<RefInfo> { todo() }
  async listTags(): Promise<RefInfo[]> { todo() }
  async createTag(_name: string, _rev?: string): Promise<RefInfo> { todo() }
  async deleteTag(_name: string): Promise<RefInfo> { todo() }
  /** Switches the workspace to a branch, or detaches at a snapshot; with create, makes branch `name` at rev first. */
  async checkout(_rev: string, _options: { create?: boolean } = {}): Promise<CheckoutResult> { todo() }

  scan(_table: string, _options: ReadOptions = {}): AsyncIterable<RecordBatch> { todo() }
  async cat(_table: string, _out: Writable, _options: CatOptions = {}): Promise<CatResult> { todo() }
  async close(): Promise<void> { todo() }
}
