/**
 * Compaction (issue 11): 1,000 small files of one partition (100 rows each)
 * into one, by Repository.compact in process, against DuckDB's own
 * `COPY (SELECT * FROM read_parquet([...1,000 files])) TO ... (zstd)` of the
 * same files in a fresh process (statement time). dv also verifies each
 * file's hash, reads the new file back and commits. Each repetition compacts
 * on a new branch made from the uncompacted head, so every one does the whole
 * work. Target: within 1.3x. Only on request (`--only compact`): the setup
 * commits 1,000 files (~1 min).
 */
import { join } from 'node:path'
import { mkdir } from 'node:fs/promises'
import { Repository } from '../src/index.js'
import { freshRepo, runDuck, sqlString, type BenchContext } from './harness.js'
import { median, timeIt } from './measure.js'
import type { Row } from './report.js'

const FILES = 1000
const ROWS_PER_FILE = 100

export async function benchCompact(ctx: BenchContext): Promise<Row[]> {
  const dir = join(ctx.work, 'compact-input')
  await mkdir(dir, { recursive: true })
  const files = Array.from({ length: FILES }, (_, k) => join(dir, `f${String(k).padStart(4, '0')}.parquet`))
  await runDuck(files.map((f, k) =>
    `COPY (SELECT i AS id, TIMESTAMP '2026-01-01' + to_seconds(i) AS ts, 'v' || i AS v, i * 0.5 AS amount FROM range(${k * ROWS_PER_FILE}, ${(k + 1) * ROWS_PER_FILE}) t(i)) ` +
    `TO ${sqlString(f)} (FORMAT parquet, COMPRESSION zstd)`))
  const repo = await Repository.open(await freshRepo(ctx, 'compact'))
  try {
    for (const f of files) await repo.write('t', f, { commit: true, message: 'small file' })
    ctx.log(`compact: ${FILES} files committed`)
    const sql = `COPY (SELECT * FROM read_parquet([${files.map(sqlString).join(', ')}])) TO ${sqlString(join(ctx.work, 'compact-duck.parquet'))} (FORMAT parquet, COMPRESSION zstd)`
    const dvMs: number[] = []
    const duckMs: number[] = []
    for (let i = 0; i < ctx.reps; i++) {
      const branch = `c${i}`
      await repo.createBranch(branch, 'main')
      const { ms, value } = await timeIt(() => repo.compact('t', { branch }))
      if (value.filesRemoved !== FILES || value.filesAdded !== 1 || value.rows !== FILES * ROWS_PER_FILE) {
        throw new Error(`compaction rewrote ${value.filesRemoved} files into ${value.filesAdded} (${value.rows} rows)`)
      }
      dvMs.push(ms)
      duckMs.push((await runDuck([sql])).statementMs[0]!)
    }
    const [d, b] = [median(dvMs), median(duckMs)]
    ctx.log(`compact ${FILES} files: dv ${d.toFixed(0)} ms, DuckDB COPY ${b.toFixed(0)} ms`)
    return [{
      section: `Compaction: ${FILES} files of ${ROWS_PER_FILE} rows in one partition into one (median)`,
      figure: `Repository.compact, ${ctx.reps} reps`,
      dv: d, unit: 'ms', baselineName: 'duckdb-copy-compact', baseline: b, ratio: d / b, target: '<= 1.3x', pass: d / b <= 1.3,
      samples: dvMs, baselineSamples: duckMs,
    }]
  } finally {
    await repo.close()
  }
}
