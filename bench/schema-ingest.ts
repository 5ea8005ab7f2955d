/**
 * A 2M-row CSV append to an existing table, read with the table's schema
 * (types given to DuckDB's reader, no inference), against the same file
 * written with inference (a new table in the same repository: DuckDB's
 * sniffer plus dv's lossless-inference pass). The bar: the append read with
 * the table's schema is no slower. Both are CLI process walls, interleaved so
 * the machine's noise hits them alike.
 */
import { rm } from 'node:fs/promises'
import { freshRepo, runDv, type BenchContext } from './harness.js'
import { median, type ProcessRun } from './measure.js'
import { ratioOf, type Row } from './report.js'

export async function benchSchemaIngest(ctx: BenchContext): Promise<Row[]> {
  const { csv } = ctx.data
  const typed: ProcessRun[] = []
  const inferred: ProcessRun[] = []
  for (let i = 0; i < ctx.reps; i++) {
    const repo = await freshRepo(ctx, 'schema-ingest')
    await runDv(['-C', repo, 'write', 'bench', csv, '--commit', '-m', 'create']) // throws when it fails
    // alternate the order so neither side always runs on a warmer page cache
    const runs = i % 2 === 0 ? ['typed', 'inferred'] : ['inferred', 'typed']
    for (const which of runs) {
      const table = which === 'typed' ? 'bench' : `fresh${i}`
      const run = await runDv(['-C', repo, 'write', table, csv, '--commit', '-m', which])
      ;(which === 'typed' ? typed : inferred).push(run)
    }
    await rm(repo, { recursive: true, force: true })
    ctx.log(`schema ingest ${i + 1}/${ctx.reps}: append with the table's schema ${typed[i].ms.toFixed(0)} ms, same file with inference ${inferred[i].ms.toFixed(0)} ms`)
  }
  const typedMs = median(typed.map((r) => r.ms))
  const inferredMs = median(inferred.map((r) => r.ms))
  return [{
    section: `CSV append read with the table's schema, 2M rows, 150 MB (median of ${ctx.reps})`,
    figure: "dv write (append, table's types) vs dv write (new table, inferred types), CLI process wall", dv: typedMs, unit: 'ms',
    baselineName: 'dv-inferred-csv', baseline: inferredMs, ratio: ratioOf(typedMs, inferredMs, 'ms'), target: '<= 1.0x',
    pass: typedMs <= inferredMs, rssMiB: Math.max(...typed.map((r) => r.rssMiB)), baselineRssMiB: Math.max(...inferred.map((r) => r.rssMiB)),
    samples: typed.map((r) => r.ms), baselineSamples: inferred.map((r) => r.ms),
  }]
}
