/**
 * Turning a write request into a PendingChange, for every write mode
 * (format-spec/write-modes.md): append and overwrite add the input; replace-
 * partitions also removes every file in the input's partitions; delete,
 * overwrite --where and upsert rewrite copy-on-write only the files that
 * hold affected rows (pruned by partition values and column stats).
 */
import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { SnapshotId } from '../ids.js'
import type { DataFile, Schema, TableMetadata, Value } from '../format/types.js'
import type { OpenedSource, RewriteRequest } from '../io/types.js'
import { DvError } from '../errors.js'
import type { RepoContext } from './context.js'
import type { WriteMode } from '../api-types.js'
import type { ConflictScope, PendingChange, RemovedFile } from './changes.js'
import { filesInPartitions, partitionKey, planScan, type PlannedFile } from './scan-plan.js'
import { verifiedScanFiles } from './read.js'
import { evolveSchema, partitionSpecFor, publishFiles, type WriteBase } from './write.js'
import { checkNewKeys, describeColumns, keyColumns, keyRangePredicates, upsertKey } from './keys.js'
import { csvProperties } from './ingest-options.js'
import { splitInput, type QuarantineRequest } from './quarantine.js'

export interface ChangeRequest {
  table: string
  mode: WriteMode
  source?: OpenedSource
  where?: string
  key?: string[]
  partitionBy?: string
  base: WriteBase
  baseSnapshot: SnapshotId
  fingerprint?: string
  onProgress?: (p: { rows: number; rowsEstimated?: boolean; bytesRead?: number; bytesTotal?: number }) => void
  /** A new table's --schema, with ids. */
  declared?: { schema: Schema; lastColumnId: number }
  /** Write even when the input has no rows. */
  allowEmpty?: boolean
  /** Changes already staged for this table on the branch (a keyed table's new keys are checked against them too). */
  staged?: PendingChange[]
  /** Split the input by the contract's row rules (quarantine.ts); the failing rows become `quarantine.change`. */
  quarantine?: QuarantineRequest
  /** The change's id (a quarantining write labels its quarantined rows with it before the change exists); default: a new one. */
  id?: string
}

export interface PreparedChange {
  change: PendingChange
  addedColumns: string[]
  /** A quarantining write: how many rows went to the quarantine table, per rule, and its change (none when no row failed). */
  quarantine?: { table: string; passed: number; rows: number; byRule: Record<string, number>; change: PendingChange | undefined }
}

function invalid(message: string, hint?: string): DvError {
  return new DvError('INVALID_ARGUMENT', message, { hint })
}

function validate(req: ChangeRequest): void {
  const { mode, source, where, key, base } = req
  // an empty predicate is refused, never read as "no predicate" (which would overwrite the whole table)
  if (where !== undefined && where.trim() === '') throw invalid('the predicate is empty', "write a boolean expression over column names, e.g. --where \"ts < '2026-01-01'\"")
  if (mode === 'delete') {
    if (source) throw invalid('--mode delete takes no input file', 'pass only --where PREDICATE')
    if (where === undefined) throw invalid('--mode delete needs --where PREDICATE', "for example --where \"ts < '2026-01-01'\"")
  } else if (!source) {
    throw invalid(`--mode ${mode} needs an input (a file, or - for stdin)`)
  }
  if (where !== undefined && mode !== 'delete' && mode !== 'overwrite') throw invalid(`--where applies to --mode delete and overwrite, not ${mode}`)
  if (key !== undefined && mode !== 'upsert') throw invalid(`--key applies to --mode upsert, not ${mode}`)
  if (mode === 'upsert' && (!key || key.length === 0)) throw invalid('--mode upsert needs --key COL[,COL]', 'or give the table a primary key with `dv table set-key TABLE COL[,COL]`: upserts then use it')
  if (mode === 'replace-partitions') {
    const table = base.table
    if (table && table.partitionSpec.length === 0) {
      throw invalid(`table '${req.table}' is not partitioned: replace-partitions needs a partitioned table`, 'use --mode overwrite to replace the whole table')
    }
    if (!table && !req.partitionBy) throw invalid(`table '${req.table}' does not exist: replace-partitions on a new table needs --partition-by`)
  }
  if ((mode === 'delete' || mode === 'upsert' || where) && !base.table) {
    if (mode === 'delete') throw new DvError('NOT_FOUND', `table '${req.table}' does not exist`)
  }
}

/** Rewrites the candidate files without the dropped rows; returns what is removed and what is added. */
async function rewriteCandidates(
  ctx: RepoContext, table: TableMetadata, schema: Schema, candidates: PlannedFile[],
  drop: RewriteRequest['drop'], outDir: string,
): Promise<{ removes: RemovedFile[]; kept: DataFile[] }> {
  if (candidates.length === 0) return { removes: [], kept: [] }
  const engine = await ctx.engine()
  const result = await engine.rewriteFiles({
    files: await verifiedScanFiles(ctx, candidates), schema, partitionSpec: table.partitionSpec, outDir, drop, tmpDir: ctx.tmpDir,
  })
  const removes: RemovedFile[] = []
  const kept: DataFile[] = []
  for (let i = 0; i < candidates.length; i++) {
    const r = result.files[i]
    if (r.matched === 0) continue
    const { file, manifest } = candidates[i]
    removes.push({ id: file.id, rows: file.rows, bytes: file.bytes, manifest })
    kept.push(...(await publishFiles(ctx, r.kept)))
  }
  return { removes, kept }
}

export async function prepareChange(ctx: RepoContext, request: ChangeRequest): Promise<PreparedChange> {
  const table = request.base.table
  // an upsert into a keyed table uses the table's key (format-spec/table-metadata.md#primary-key)
  const req = request.mode === 'upsert' ? { ...request, key: upsertKey(request.table, table, request.key) } : request
  validate(req)
  const { base, mode } = req
  const tableKey = keyColumns(table)
  const keyed = tableKey.length > 0
  let schema: Schema = table?.schema ?? { fields: [] }
  let lastColumnId = table?.lastColumnId ?? 0
  let addedColumns: string[] = []
  if (req.source) {
    const source = req.source
    if (!table && req.declared) {
      const names = new Set(req.declared.schema.fields.map((f) => f.name))
      const extra = source.columns.filter((c) => !names.has(c.name)).map((c) => `'${c.name}'`)
      if (extra.length) throw invalid(`${source.name} has column(s) ${extra.join(', ')} that --schema lacks`, 'add them to --schema, or leave them out of the input')
    } else if (!table && source.columns.length === 0) {
      throw invalid(`no columns: ${source.name} is empty, so table '${req.table}' would have none`, `give --schema, e.g. --schema "id long, name string", and --allow-empty to create the empty table`)
    }
    const evolved = evolveSchema(req.table, source.name, table ?? req.declared ?? null, source.columns)
    schema = evolved.schema
    lastColumnId = evolved.lastColumnId
    addedColumns = evolved.added.map((f) => f.name)
  }
  const partitionSpec = partitionSpecFor(req.table, table, req.partitionBy, schema)
  if (req.key) {
    for (const k of req.key) {
      if (!schema.fields.some((f) => f.name === k)) throw invalid(`key column '${k}' is not a column of table '${req.table}'`, `columns: ${schema.fields.map((f) => f.name).join(', ')}`)
    }
  }
  await mkdir(ctx.tmpDir, { recursive: true })
  const outDir = await mkdtemp(join(ctx.tmpDir, 'write-'))
  try {
    let files: DataFile[] = []
    let quarantined: PreparedChange['quarantine']
    const keyCheck = (input: Array<{ columns: DataFile['columns'] }>, removes: RemovedFile[], kept: DataFile[]) =>
      checkNewKeys(ctx, { tableName: req.table, table: table!, key: tableKey, source: req.source!, input, removes, kept, staged: req.staged ?? [] })
    if (req.source) {
      // no null and no repeated key within the input: for upserts always, for every write to a keyed table
      if (mode === 'upsert') await req.source.checkKeys(req.key!, schema)
      else if (keyed) await req.source.checkKeys(tableKey, schema, `table '${req.table}' has primary key ${describeColumns(tableKey)}: each key occurs once; deduplicate the input`)
      const where = mode === 'overwrite' ? req.where : undefined
      // a bad predicate is refused before the input is ingested
      if (where !== undefined) await (await ctx.engine()).analyzePredicate(where, schema)
      let written = await req.source.writeParquet({
        schema, partitionSpec, outDir,
        onProgress: req.onProgress ? (p) => req.onProgress?.({ ...p, bytesTotal: req.source?.bytes }) : undefined,
      })
      if (!written.some((w) => w.rows > 0)) {
        // A footer that says 0 rows may be lying (a damaged file): it is read back first, so it is CORRUPT, not empty.
        if (written.length) await (await ctx.engine()).readBack(written)
        if (!req.allowEmpty) {
          throw invalid(`${req.source.name} has no rows: nothing to write to table '${req.table}'`, 'pass --allow-empty to write it anyway (e.g. to create the empty table, or to overwrite with nothing)')
        }
        written = [] // an empty input adds no data file
      }
      if (req.quarantine) {
        // split before the mode plans anything: only the passing rows replace, upsert or append
        const split = await splitInput(ctx, req.quarantine, { tableName: req.table, schema, partitionSpec, written, outDir: join(outDir, 'quarantine'), baseSnapshot: req.baseSnapshot })
        quarantined = { table: req.quarantine.name, passed: split.passed, rows: split.rows, byRule: split.byRule, change: split.change }
        written = split.kept
        if (mode === 'overwrite' && where === undefined && !written.some((w) => w.rows > 0) && !req.allowEmpty) {
          throw new DvError('QUALITY', `every row of ${req.source.name} broke the contract of table '${req.table}': the overwrite would leave it empty`, {
            hint: 'nothing was applied; fix the input, or pass --allow-empty to overwrite the table with nothing and quarantine every row',
            details: { table: req.table, quarantined: split.rows, byRule: split.byRule },
          })
        }
      }
      if (where !== undefined) {
        // checked over the rows as written (the table's types), in the sandbox; nothing is stored before it passes
        const outside = await (await ctx.engine()).countNotMatching(written, schema, where)
        if (outside > 0) {
          throw invalid(`${outside} input row(s) do not satisfy --where ${where}`, 'overwrite --where replaces exactly the matching rows: every input row must match the predicate')
        }
      }
      // appends and replace-partitions add keys the table may hold: checked before anything is stored
      if (keyed && mode === 'append') await keyCheck(written, [], [])
      if (keyed && mode === 'replace-partitions') {
        const replaced = await filesInPartitions(ctx, table!, uniquePartitions(written))
        await keyCheck(written, replaced.map(({ file, manifest }) => ({ id: file.id, rows: file.rows, bytes: file.bytes, manifest })), [])
      }
      files = await publishFiles(ctx, written)
    }
    const input = files
    let removes: RemovedFile[] = []
    let scope: ConflictScope = { kind: 'none' }
    if (mode === 'overwrite' && req.where === undefined) {
      scope = { kind: 'table' }
    } else if (mode === 'replace-partitions' && table) {
      const partitions = uniquePartitions(files)
      const existing = await filesInPartitions(ctx, table, partitions)
      removes = existing.map(({ file, manifest }) => ({ id: file.id, rows: file.rows, bytes: file.bytes, manifest }))
      scope = { kind: 'partitions', partitions }
    } else if ((mode === 'delete' || (mode === 'overwrite' && req.where !== undefined)) && table) {
      const engine = await ctx.engine()
      const predicates = await engine.analyzePredicate(req.where!, table.schema)
      const candidates = (await planScan(ctx, table, predicates)).files
      const rewritten = await rewriteCandidates(ctx, table, schema, candidates, { where: req.where! }, join(outDir, 'rewrite'))
      removes = rewritten.removes
      // overwrite --where keeps the rows outside the predicate: its input may not repeat their keys
      if (keyed && req.source) await keyCheck(input, removes, rewritten.kept)
      files = [...rewritten.kept, ...files]
      scope = { kind: 'rows', predicates }
    } else if (mode === 'upsert' && table) {
      const predicates = keyRangePredicates(schema, req.key!, files)
      const candidates = (await planScan(ctx, table, predicates)).files
      // a quarantining upsert replaces only the keys of its passing rows: a quarantined row replaces nothing
      const drop: RewriteRequest['drop'] = req.quarantine
        ? { keys: { columns: req.key!, files: await verifiedScanFiles(ctx, files.map((file) => ({ file, manifest: '' as never }))) } }
        : { keys: { columns: req.key!, source: req.source! } }
      const rewritten = await rewriteCandidates(ctx, table, schema, candidates, drop, join(outDir, 'rewrite'))
      removes = rewritten.removes
      files = [...rewritten.kept, ...files]
      scope = { kind: 'rows', predicates }
    }
    const change: PendingChange = {
      id: req.id ?? randomUUID(),
      table: req.table,
      mode,
      createdMs: ctx.now(),
      creates: table === null,
      tableId: table ? table.tableId : randomUUID(),
      baseSnapshot: req.baseSnapshot,
      baseTable: base.headTableId,
      baseLastColumnId: table ? table.lastColumnId : 0,
      schema,
      lastColumnId,
      partitionSpec,
      files,
      removes,
      scope,
      ...(req.fingerprint ? { fingerprint: req.fingerprint } : {}),
      ...(table === null && req.source?.csv ? { properties: csvProperties(req.source.csv) } : {}),
      ...(keyed ? { baseKey: [...table!.identifierFieldIds!] } : {}),
      // the keys a keyed write adds from its input: a concurrently added file in their range is a conflict
      ...(keyed && input.length && mode !== 'upsert' && scope.kind !== 'table' ? { keyScope: keyRangePredicates(schema, tableKey, input) } : {}),
    }
    return { change, addedColumns: base.table ? addedColumns : [], ...(quarantined ? { quarantine: quarantined } : {}) }
  } finally {
    await rm(outDir, { recursive: true, force: true })
  }
}

function uniquePartitions(files: ReadonlyArray<{ partition: Record<string, Value> }>): Array<Record<string, Value>> {
  const seen = new Map<string, Record<string, Value>>()
  for (const f of files) seen.set(partitionKey(f.partition), f.partition)
  return [...seen.values()]
}
