/**
 * Cold start of the `dv` CLI, command by command (issue 13, "Cold start"):
 * --version, init, a one-row CSV append with --commit, log, status and cat of
 * a small table, each a fresh process, against `node -e 0` (the floor no CLI
 * can beat). In run.ts as part `cold`; on its own,
 *
 *   node dist/bench/cold-start.js [--reps N] [--against OTHER/dist/cli/main.js]
 *
 * also runs another build of the CLI (e.g. a copy of main's dist/) in the
 * same loop, interleaved with this one, and prints before/after per command.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { BenchContext } from './harness.js'
import { measureNode, median } from './measure.js'
import { DV_CLI } from './paths.js'
import type { Row } from './report.js'

interface Step {
  name: string
  /** argv after the CLI; `dir` is the repository, `n` the repetition. */
  args: (dir: string, n: number) => string[]
  /** The directory the process runs in (default: the repository). */
  cwd?: (dir: string, n: number) => string
}

const STEPS: Step[] = [
  { name: 'dv --version', args: () => ['--version'] },
  { name: 'dv init (new directory)', args: (dir, n) => ['init', join(dir, '..', `init-${n}`)] },
  { name: 'dv write t one.csv --commit (1 row, existing table)', args: (_dir, n) => ['write', 't', 'one.csv', '--commit', '-m', `append ${n}`] },
  { name: 'dv log -n 10', args: () => ['log', '-n', '10'] },
  { name: 'dv status', args: () => ['status'] },
  { name: 'dv cat t (small table)', args: () => ['cat', 't'] },
]

/** A repository whose table `t` (id, name, ts) has a few commits, and a one-row CSV to append. */
async function prepareRepo(cli: string, parent: string): Promise<string> {
  const dir = join(parent, 'repo')
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'one.csv'), 'id,name,ts\n1,a,2026-01-01 00:00:00\n')
  await measureNode(cli, ['init', dir])
  for (let i = 0; i < 3; i++) await measureNode(cli, ['write', 't', 'one.csv', '--commit', '-m', `seed ${i}`], { cwd: dir })
  return dir
}

export interface ColdStartFigures {
  /** Per step (and `node -e 0`), the wall times of each build, ms. */
  samples: Map<string, number[][]>
}

/** Runs every step `reps` times for each CLI build in turn (interleaved), each build on its own repository. */
export async function measureColdStart(clis: string[], reps: number, work: string, log: (line: string) => void): Promise<ColdStartFigures> {
  const dirs = await Promise.all(clis.map((cli, i) => mkdir(join(work, `cli-${i}`), { recursive: true }).then(() => prepareRepo(cli, join(work, `cli-${i}`)))))
  const samples = new Map<string, number[][]>()
  const add = (name: string, i: number, ms: number) => {
    const rows = samples.get(name) ?? clis.map(() => [])
    rows[i]!.push(ms)
    samples.set(name, rows)
  }
  const floor = join(work, 'noop.mjs')
  await writeFile(floor, '')
  for (let n = 0; n < reps; n++) {
    log(`cold start: repetition ${n + 1} of ${reps}`)
    for (const step of STEPS) {
      for (const [i, cli] of clis.entries()) {
        const dir = dirs[i]!
        const run = await measureNode(cli, step.args(dir, n), { cwd: step.cwd?.(dir, n) ?? dir })
        add(step.name, i, run.ms)
      }
    }
    add('node (empty script): the floor', 0, (await measureNode(floor, [])).ms)
  }
  return { samples }
}

export async function benchColdStart(ctx: BenchContext): Promise<Row[]> {
  const work = join(ctx.work, 'cold-start')
  const { samples } = await measureColdStart([DV_CLI], ctx.lightReps, work, ctx.log)
  const floor = samples.get('node (empty script): the floor')![0]!
  const section = 'Cold start of the CLI, one process per command (median)'
  return STEPS.map((step) => {
    const mine = samples.get(step.name)![0]!
    return {
      section, figure: step.name, dv: median(mine), unit: 'ms' as const, samples: mine,
      baselineName: 'node-empty-script', baseline: median(floor), baselineSamples: floor,
      ...(step.name.startsWith('dv write') ? { target: '<= 150 ms (issue 13)', pass: median(mine) <= 150 } : {}),
    }
  })
}

async function main(argv: string[]): Promise<void> {
  let reps = 7
  let against: string | undefined
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--reps') reps = Number(argv[++i])
    else if (argv[i] === '--against') against = resolve(argv[++i] ?? '')
    else throw new Error(`unknown argument ${argv[i]}: expected --reps N, --against PATH/dist/cli/main.js`)
  }
  if (!(reps >= 1)) throw new Error('--reps takes a positive number')
  const clis = against === undefined ? [DV_CLI] : [against, DV_CLI]
  const work = await mkdtemp(join(tmpdir(), 'dv-cold-start-'))
  console.log(`node ${process.version}; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${reps} repetitions, medians in ms`)
  try {
    const { samples } = await measureColdStart(clis, reps, work, (l) => process.stderr.write(`  .. ${l}\n`))
    const head = against === undefined ? ['this build'] : ['--against', 'this build', 'change']
    console.log(`${'command'.padEnd(56)} ${head.map((h) => h.padStart(11)).join(' ')}`)
    for (const [name, perCli] of samples) {
      const m = perCli.filter((s) => s.length > 0).map(median)
      const change = m.length === 2 ? [`${(((m[1]! - m[0]!) / m[0]!) * 100).toFixed(0)}%`] : []
      console.log(`${name.padEnd(56)} ${[...m.map((v) => v.toFixed(0)), ...change].map((c) => c.padStart(11)).join(' ')}`)
    }
    if (against !== undefined) console.log(`--against: ${against}`)
    console.log(`load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2))
