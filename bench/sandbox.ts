/**
 * `node dist/bench/sandbox.js [--reps N]`: what the sandbox (a second,
 * locked-down DuckDB instance) costs. Each sample is a fresh process that
 * loads @duckdb/node-api, opens the ingest instance, then the sandbox, and
 * reports the time and RSS growth of each step, then checks one predicate
 * (parse + allow-list + render + bind) 50 times. Medians of N processes.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BENCH_ENV } from './paths.js'
import { median } from './measure.js'

interface Sample {
  loadMs: number
  ingestOpenMs: number
  ingestRssMiB: number
  sandboxOpenMs: number
  sandboxRssMiB: number
  checkMs: number
}

const MiB = 1024 * 1024

async function child(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dv-bench-sandbox-'))
  try {
    let t = performance.now()
    const { Duck } = await import('../src/io/duck.js')
    const { openSandbox } = await import('../src/io/sandbox.js')
    const { checkPredicate } = await import('../src/io/predicate.js')
    await import('@duckdb/node-api')
    const loadMs = performance.now() - t
    let rss = process.memoryUsage().rss
    t = performance.now()
    const ingest = await Duck.open()
    await ingest.all('SELECT 1')
    const ingestOpenMs = performance.now() - t
    const ingestRssMiB = (process.memoryUsage().rss - rss) / MiB
    rss = process.memoryUsage().rss
    t = performance.now()
    const sandbox = await openSandbox({ scratchDir: dir, readableDirectories: [dir] })
    await sandbox.all('SELECT 1')
    const sandboxOpenMs = performance.now() - t
    const sandboxRssMiB = (process.memoryUsage().rss - rss) / MiB
    const schema = { fields: [{ id: 1, name: 'ts', type: 'timestamp' as const, required: false }, { id: 2, name: 'country', type: 'string' as const, required: false }] }
    const where = "ts >= '2026-01-02' AND country IN ('DE', 'FR') AND lower(country) LIKE 'd%'"
    await checkPredicate(sandbox, where, schema)
    const times: number[] = []
    for (let i = 0; i < 50; i++) {
      const s = performance.now()
      await checkPredicate(sandbox, where, schema)
      times.push(performance.now() - s)
    }
    const sample: Sample = { loadMs, ingestOpenMs, ingestRssMiB, sandboxOpenMs, sandboxRssMiB, checkMs: median(times) }
    sandbox.close()
    ingest.close()
    process.stdout.write(JSON.stringify(sample))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function runChild(): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child'], { env: { ...process.env, ...BENCH_ENV }, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (c: Buffer) => (out += c.toString()))
    p.on('error', reject)
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Sample) : reject(new Error(`child exited with ${code}`))))
  })
}

async function main(): Promise<void> {
  const repsAt = process.argv.indexOf('--reps')
  const reps = repsAt > 0 ? Number(process.argv[repsAt + 1]) : 7
  const samples: Sample[] = []
  for (let i = 0; i < reps; i++) samples.push(await runChild())
  const m = (k: keyof Sample) => median(samples.map((s) => s[k])).toFixed(1)
  console.log(`sandbox cost, medians of ${reps} fresh processes:`)
  console.log(`  load @duckdb/node-api and dv's io modules     ${m('loadMs')} ms`)
  console.log(`  open the ingest instance (first in process)   ${m('ingestOpenMs')} ms, +${m('ingestRssMiB')} MiB RSS`)
  console.log(`  open the sandbox (second instance, locked)    ${m('sandboxOpenMs')} ms, +${m('sandboxRssMiB')} MiB RSS`)
  console.log(`  check one predicate (parse, allow-list, render, bind)  ${m('checkMs')} ms`)
}

if (process.argv.includes('--child')) await child()
else await main()
