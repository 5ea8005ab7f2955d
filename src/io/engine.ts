/**
 * The DataEngine: two DuckDB instances, each opened on first use. The ingest
 * instance reads the user's input files wherever they are (openSource,
 * writeParquet, upsert keys); it never sees user expressions. The sandbox
 * (sandbox.ts) does everything that evaluates one: predicate checks and
 * pruning, scans, row-level diffs, rewrites by predicate and the overwrite
 * --where check. A command uses only the instance(s) it needs: `cat`, `diff`
 * and `delete` never open the ingest instance, `append` never opens the sandbox.
 */
import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import type { RecordBatch } from 'apache-arrow'
import { DvError } from '../errors.js'
import type { Schema } from '../format/types.js'
import type {
  CompactRequest, DataEngine, QuarantineRequest, QuarantineResult, KeyReport, QueryRequest, OpenedSource, RepeatedValues, RepeatProbe, RowCounts, RowTest, RowTestResult, OpenSourceOptions, OutputFormat, PrunablePredicate, RewriteRequest, RewriteResult, ScanFile, ScanRequest, Source, WrittenFile, DiffCounts, DiffRequest,
} from './types.js'
import { Duck, type DuckOptions } from './duck.js'
import { openSandbox, sandboxCanRead, type Sandbox, type SandboxOptions } from './sandbox.js'
import { readBack } from './read-back.js'

// What a command does not use loads with the first call that does (a cold `dv write` or `dv cat`
// loads 5 fewer modules; bench/cold-start.ts).
const loadSource = () => import('./source.js')
const predicate = () => import('./predicate.js')
const scan = () => import('./scan.js')
const diff = () => import('./diff.js')
const rewrite = () => import('./rewrite.js')
const compact = () => import('./compact.js')
const query = () => import('./query.js')
const rewriteDrop = () => import('./rewrite-drop.js')
const keyChecks = () => import('./key-checks.js')
const contractChecks = () => import('./contract-checks.js')
const contractSql = () => import('./contract-sql.js')
const quarantine = () => import('./quarantine.js')

export interface EngineOptions extends DuckOptions {
  /**
   * dv's scratch directory. The sandbox reads and writes only here and in
   * `readableDirectories`, so scan output (ScanRequest.tmpDir) and rewritten
   * files (RewriteRequest.outDir) must be inside it. Without it, every
   * operation that needs the sandbox is an INTERNAL error.
   */
  tmpDir?: string
  /** Where the data files a scan or rewrite names live (the store's ObjectStore.localRoot()). */
  readableDirectories?: string[]
}

export async function createDataEngine(options: EngineOptions = {}): Promise<DataEngine> {
  return new DuckDataEngine(options)
}

class DuckDataEngine implements DataEngine {
  private closed = false
  private ingestPromise: Promise<Duck> | undefined
  private sandboxPromise: Promise<Sandbox> | undefined

  constructor(private readonly options: EngineOptions) {}

  private ingest(): Promise<Duck> {
    this.checkOpen()
    return (this.ingestPromise ??= Duck.open(this.options))
  }

  private sandbox(): Promise<Sandbox> {
    this.checkOpen()
    return (this.sandboxPromise ??= openSandbox(this.sandboxOptions()))
  }

  startSandbox(): void {
    // observed here so that an opening nobody waits for is no unhandled rejection, and a refusal to open (a closed
    // engine, no tmpDir) is not thrown into the caller's fire-and-forget: the call that uses the sandbox meets either
    try {
      this.sandbox().catch(() => undefined)
    } catch {
      // the same check fails again where the sandbox is used
    }
  }

  private sandboxOptions(): SandboxOptions {
    const { tmpDir, readableDirectories, threads, memoryLimit } = this.options
    if (tmpDir === undefined) throw new DvError('INTERNAL', 'this data engine was created without a tmpDir, so it cannot scan or evaluate predicates')
    return { scratchDir: tmpDir, readableDirectories, threads, memoryLimit }
  }

  private checkOpen(): void {
    if (this.closed) throw new DvError('INTERNAL', 'the data engine is closed')
  }

  async openSource(source: Source, options: OpenSourceOptions): Promise<OpenedSource> {
    return (await loadSource()).openIngestSource(await this.ingest(), source, options)
  }

  async analyzePredicate(where: string, schema: Schema): Promise<PrunablePredicate[]> {
    return (await predicate()).analyzePredicate(await this.sandbox(), where, schema)
  }

  async scanTo(request: ScanRequest, format: OutputFormat, out: Writable): Promise<number> {
    return (await scan()).scanTo(await this.sandbox(), request, format, out)
  }

  async *scanBatches(request: ScanRequest): AsyncIterable<RecordBatch> {
    yield* (await scan()).scanBatches(await this.sandbox(), request)
  }

  async diffTo(request: DiffRequest, format: OutputFormat, out: Writable): Promise<DiffCounts> {
    return (await diff()).diffTo(await this.sandbox(), request, format, out)
  }

  async *diffBatches(request: DiffRequest): AsyncIterable<RecordBatch> {
    yield* (await diff()).diffBatches(await this.sandbox(), request)
  }

  async rewriteFiles(request: RewriteRequest): Promise<RewriteResult> {
    const { drop } = request
    const [{ rewriteFiles }, { prepareKeys, prepareWhere }] = await Promise.all([rewrite(), rewriteDrop()])
    if ('where' in drop) {
      const sandbox = await this.sandbox()
      return rewriteFiles(sandbox, request, () => prepareWhere(sandbox, drop.where, request.schema))
    }
    const duck = await this.ingest()
    return rewriteFiles(duck, request, () => prepareKeys(duck, drop.keys.columns, 'source' in drop.keys ? drop.keys.source : drop.keys.files, request.schema))
  }

  /** User SQL: checked, rendered from its AST and run in the sandbox only. */
  async queryTables(sql: string): Promise<string[]> {
    return (await (await query()).checkQuery(await this.sandbox(), sql)).tables
  }

  async queryTo(request: QueryRequest, format: OutputFormat, out: Writable): Promise<number> {
    return (await query()).runQuery(await this.sandbox(), request, format, out)
  }

  /** Reads only the store's object files; the sort columns are quoted identifiers: the sandbox. */
  async compactFiles(request: CompactRequest): Promise<WrittenFile[]> {
    return (await compact()).compactFiles(await this.sandbox(), request)
  }

  /** Reads only the store's object files and evaluates no user text: the sandbox. */
  async findDuplicateKeys(files: ScanFile[], schema: Schema, columns: string[]): Promise<KeyReport> {
    return (await keyChecks()).findDuplicateKeys(await this.sandbox(), files, schema, columns)
  }

  /** The input's keys come from the source, which the ingest instance opened. */
  async findExistingKeys(files: ScanFile[], schema: Schema, columns: string[], source: OpenedSource): Promise<KeyReport> {
    return (await keyChecks()).findExistingKeys(await this.ingest(), files, schema, columns, source)
  }

  /** Contract checks read only the store's object files (added files are published before the check) and evaluate contract text: the sandbox. */
  async countFailingRows(files: ScanFile[], schema: Schema, tests: RowTest[], samples: number): Promise<RowTestResult[]> {
    return (await contractChecks()).countFailingRows(await this.sandbox(), files, schema, tests, samples)
  }

  async countRows(files: ScanFile[], schema: Schema, tests: RowTest[], probes: RepeatProbe[], samples: number): Promise<RowCounts> {
    return (await contractChecks()).countRows(await this.sandbox(), files, schema, tests, probes, samples)
  }

  async findRepeatedValues(added: ScanFile[], others: ScanFile[], schema: Schema, column: string, samples: number): Promise<RepeatedValues> {
    return (await contractChecks()).findRepeatedValues(await this.sandbox(), added, others, schema, column, samples)
  }

  async countDuplicateValues(files: ScanFile[], schema: Schema, column: string): Promise<number> {
    return (await contractChecks()).countDuplicateValues(await this.sandbox(), files, schema, column)
  }

  async checkContractSql(query: string, schema: Schema): Promise<void> {
    return (await contractSql()).checkContractSql(await this.sandbox(), query, schema)
  }

  async runContractSql(query: string, files: ScanFile[], schema: Schema): Promise<number> {
    return (await contractSql()).runContractSql(await this.sandbox(), query, files, schema)
  }

  async checkPattern(regex: string): Promise<void> {
    return (await contractChecks()).checkPattern(await this.sandbox(), regex)
  }

  /**
   * Files outside the sandbox's directories (an input file stored as-is) are
   * read by a short-lived sandbox that may read exactly those files.
   */
  async countNotMatching(files: ScanFile[], schema: Schema, where: string): Promise<number> {
    const options = this.sandboxOptions()
    const { countNotMatching } = await rewriteDrop()
    const outside = files.filter((f) => !sandboxCanRead(options, f.path)).map((f) => f.path)
    if (!outside.length) return countNotMatching(await this.sandbox(), files, schema, where)
    const spillName = `duckdb-sandbox-spill-${randomUUID()}`
    const temporary = await openSandbox({ ...options, readablePaths: outside, spillName })
    try {
      return await countNotMatching(temporary, files, schema, where)
    } finally {
      temporary.close()
      await rm(join(options.scratchDir, spillName), { recursive: true, force: true })
    }
  }

  async quarantineRows(request: QuarantineRequest): Promise<QuarantineResult> {
    this.checkOpen()
    return (await quarantine()).quarantineRows(await this.ingest(), request)
  }

  interrupt(): void {
    for (const opened of [this.ingestPromise, this.sandboxPromise]) void opened?.then((duck) => duck.interrupt(), () => undefined)
  }

  /**
   * The scan reader is DuckDB 1.5.6's read_parquet in either instance. A write
   * has the ingest instance open, and an input stored as-is lies where the
   * sandbox may not read: those use the ingest instance. A rewrite by
   * predicate (delete, overwrite --where) has only the sandbox open, which
   * reads its own output: it does not open the ingest instance for this.
   */
  async readBack(files: WrittenFile[]): Promise<void> {
    const options = this.options.tmpDir === undefined ? undefined : this.sandboxOptions()
    const sandboxOnly = this.ingestPromise === undefined && options !== undefined && files.every((f) => sandboxCanRead(options, f.path))
    return readBack(sandboxOnly ? await this.sandbox() : await this.ingest(), files)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const opened = await Promise.allSettled([this.ingestPromise, this.sandboxPromise].filter((p) => p !== undefined))
    for (const r of opened) if (r.status === 'fulfilled') r.value.close()
  }
}
