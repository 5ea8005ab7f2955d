/** The fixed cost every CLI figure includes: starting node and the CLI, and loading DuckDB. */
import { runDuck, runDv, type BenchContext } from './harness.js'
import { median } from './measure.js'
import type { Row } from './report.js'

export async function benchStartup(ctx: BenchContext): Promise<Row[]> {
  const version: number[] = []
  const duckOpen: number[] = []
  const duckWall: number[] = []
  let rss = 0
  for (let i = 0; i < ctx.lightReps; i++) {
    const v = await runDv(['--version'])
    version.push(v.ms)
    rss = Math.max(rss, v.rssMiB)
    const d = await runDuck([])
    duckOpen.push(d.openMs)
    duckWall.push(d.ms)
  }
  const section = 'Fixed process cost (median, info)'
  return [
    { section, figure: 'dv --version (node + CLI startup, process wall)', dv: median(version), unit: 'ms', rssMiB: rss, samples: version },
    {
      section, figure: 'node + load @duckdb/node-api + create instance (process wall; in-process part as baseline)', dv: median(duckWall), unit: 'ms',
      baselineName: 'duckdb-open-in-process', baseline: median(duckOpen), samples: duckWall, baselineSamples: duckOpen,
    },
  ]
}
