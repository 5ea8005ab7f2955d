/**
 * `npm run build && node dist/bench/read-back-cost.js [--reps N]`: what the
 * read-back before publishing costs on the 2M-row ingest. Writes bench.csv
 * (rewritten by DuckDB's COPY) and bench.parquet (stored as-is) the way
 * `dv write` does, then times DataEngine.readBack on the resulting files.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDataEngine } from '../src/io/index.js'
import type { Schema } from '../src/format/index.js'
import { ensureDatasets } from './data.js'
import { median } from './measure.js'

const reps = Number(process.argv[process.argv.indexOf('--reps') + 1] || 5)
const data = await ensureDatasets((line) => console.error(line))
for (const [name, input] of [['bench.csv', data.csv], ['bench.parquet', data.parquet]] as const) {
  const engine = await createDataEngine()
  const work = await mkdtemp(join(tmpdir(), 'dv-read-back-cost-'))
  try {
    const source = await engine.openSource(input, { tmpDir: join(work, 'tmp') })
    const schema: Schema = { fields: source.columns.map((c, i) => ({ id: i + 1, name: c.name, type: c.type, required: false })) }
    let started = performance.now()
    const files = await source.writeParquet({ schema, partitionSpec: [], outDir: join(work, 'out') })
    const writeMs = performance.now() - started
    const times: number[] = []
    for (let i = 0; i < reps; i++) {
      started = performance.now()
      await engine.readBack(files)
      times.push(performance.now() - started)
    }
    const rows = files.reduce((n, f) => n + f.rows, 0)
    const how = files.every((f) => f.temporary) ? 'rewritten' : 'stored as-is'
    console.log(`${name}: ${rows} rows in ${files.length} file(s), ${how}; writeParquet ${writeMs.toFixed(0)} ms; ` +
      `readBack median ${median(times).toFixed(1)} ms (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}, ${reps} reps)`)
    await source.close()
  } finally {
    await engine.close()
    await rm(work, { recursive: true, force: true })
  }
}
