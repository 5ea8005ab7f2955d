/**
 * Where dv spends its time, step by step, in this process through the
 * internal modules (src/io, src/store, src/table): a CSV ingest, a Parquet
 * ingest and a full read, next to DuckDB doing the bare work on the same
 * instance. One run each; for diagnosis, not for targets. Internal APIs
 * move, so a failing profile is reported, not fatal.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Repository } from '../src/index.js'
import { Duck } from '../src/io/duck.js'
import { openIngestSource } from '../src/io/source.js'
import { scanQuery } from '../src/io/scan.js'
import { openSandbox } from '../src/io/sandbox.js'
import { hashFile, openStorage } from '../src/store/index.js'
import { evolveSchema } from '../src/table/write.js'
import { freshRepo, sqlString, type BenchContext } from './harness.js'
import { timeIt } from './measure.js'
import { objectPath, tableFiles } from './object-files.js'

export type StageTimes = Record<string, number>

/** One ingest through the io and store layers, step by step. */
async function profileIngest(ctx: BenchContext, label: string, input: string, stages: StageTimes): Promise<void> {
  const dir = await freshRepo(ctx, 'stages')
  const dvDir = join(dir, '.dv')
  const tmpDir = await mkdtemp(join(dvDir, 'tmp', 'stages-'))
  const storage = await openStorage(dvDir)
  const opened = await timeIt(() => Duck.open())
  const duck = opened.value
  const at = (name: string, ms: number) => { stages[`${label}: ${name}`] = ms }
  at('Duck.open (instance, memory_limit 512MB)', opened.ms)
  const bare = (out: string) => `COPY (SELECT * FROM read_csv(${sqlString(input)})) TO ${sqlString(join(tmpDir, out))} (FORMAT parquet, COMPRESSION zstd)`
  const csv = !input.endsWith('.parquet')
  try {
    // warm-up (not counted): the first COPY in an instance pays for fresh memory
    if (csv) await duck.run(bare('warm.parquet'))
    const source = await timeIt(() => openIngestSource(duck, input, { tmpDir }))
    at('openSource: stat + DESCRIBE (sniff)', source.ms)
    at('fingerprint: sha256 of the whole input (serial)', (await timeIt(() => source.value.fingerprint())).ms)
    const { schema } = evolveSchema('bench', input, null, source.value.columns)
    const written = await timeIt(() => source.value.writeParquet({ schema, partitionSpec: [], outDir: join(tmpDir, 'out') }))
    const asIs = written.value.every((f) => !f.temporary)
    at(`writeParquet (${asIs ? 'stored as-is: footer facts only' : 'COPY + casts + FIELD_IDS + RETURN_STATS'})`, written.ms)
    let put = 0
    for (const f of written.value) put += (await timeIt(() => storage.objects.putFile(f.path))).ms
    at(`putFile: ${written.value.length} file(s) into the store (read+sha256+write+fsync+link)`, put)
    await source.value.close()
    if (csv) at('bare DuckDB COPY read_csv -> zstd, same instance', (await timeIt(() => duck.run(bare('plain.parquet')))).ms)
  } finally {
    duck.close()
    await storage.close()
  }
  const repo = await Repository.open(dir)
  try {
    await repo.write('bench', ctx.data.oneRow)
    at('Repository.commit of one staged 1-file change', (await timeIt(() => repo.commit({ message: 'x' }))).ms)
  } catch {
    // the parquet table has no such schema issue; a failure here only loses this figure
  } finally {
    await repo.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/** A full read to Parquet and CSV as dv does it: verify the object's hash, COPY the scan to a temp file, stream it out. */
async function profileRead(ctx: BenchContext, repoDir: string, stages: StageTimes): Promise<void> {
  const dvDir = join(repoDir, '.dv')
  const repo = await Repository.open(repoDir)
  const head = (await repo.log({ limit: 1 }))[0].snapshot
  await repo.close()
  const { meta, files } = await tableFiles(dvDir, head, 'bench')
  const tmpDir = await mkdtemp(join(ctx.work, 'read-stages-'))
  // scans run in the sandbox, as in dv; the bare COPY baseline runs in the same instance
  const duck = await openSandbox({ scratchDir: tmpDir, readableDirectories: [join(dvDir, 'objects')] })
  try {
    let verify = 0
    for (const f of files) verify += (await timeIt(() => hashFile(objectPath(dvDir, f.id)))).ms
    stages[`read: verify ${files.length} object(s): sha256 of the data files`] = verify
    const request = { files: files.map((f) => ({ path: objectPath(dvDir, f.id), rows: f.rows, columns: f.columns })), schema: meta.schema, tmpDir }
    const query = await scanQuery(duck, request)
    const list = `[${request.files.map((f) => sqlString(f.path)).join(', ')}]`
    // warm-up (not counted): the first COPY in an instance pays for fresh memory
    await duck.run(`COPY (SELECT * FROM read_parquet(${list})) TO ${sqlString(join(tmpDir, 'warm.parquet'))} (FORMAT parquet, COMPRESSION zstd)`)
    for (const [format, options] of [['parquet', 'FORMAT parquet, COMPRESSION zstd'], ['csv', 'FORMAT csv, HEADER true']] as const) {
      const at = (name: string, ms: number) => { stages[`read ${format}: ${name}`] = ms }
      const temp = join(tmpDir, `scan.${format}`)
      at('COPY (dv scan query: casts by field id) TO a temp file', (await timeIt(() => duck.run(`COPY (${query}) TO ${sqlString(temp)} (${options})`))).ms)
      at('stream the temp file to the output (second write)', (await timeIt(() => pipeline(createReadStream(temp, { highWaterMark: 1 << 20 }), createWriteStream(join(tmpDir, `out.${format}`))))).ms)
      at('bare DuckDB COPY read_parquet TO the output, same instance', (await timeIt(() => duck.run(`COPY (SELECT * FROM read_parquet(${list})) TO ${sqlString(join(tmpDir, `bare.${format}`))} (${options})`))).ms)
    }
  } finally {
    duck.close()
    await rm(tmpDir, { recursive: true, force: true })
  }
}

export async function profileStages(ctx: BenchContext): Promise<StageTimes> {
  const stages: StageTimes = {}
  const steps: Array<[string, () => Promise<void>]> = [
    ['csv ingest', () => profileIngest(ctx, 'csv ingest', ctx.data.csv, stages)],
    ['parquet ingest', () => profileIngest(ctx, 'parquet ingest', ctx.data.parquet, stages)],
    ['read', async () => {
      const dir = await freshRepo(ctx, 'read-stages')
      const repo = await Repository.open(dir)
      try {
        await repo.write('bench', ctx.data.parquet, { commit: true, message: 'x' })
      } finally {
        await repo.close()
      }
      await profileRead(ctx, dir, stages)
      await rm(dir, { recursive: true, force: true })
    }],
  ]
  for (const [name, step] of steps) {
    try {
      await step()
    } catch (e) {
      ctx.log(`profile of ${name} failed (internal APIs may have moved): ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  return stages
}
