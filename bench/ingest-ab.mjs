/**
 * A/B of one ingest between two builds of dv, for a change's cost:
 * `node bench/ingest-ab.mjs DIST_A DIST_B FILE [REPS] [append]`, where DIST_x
 * is a build's `dist/src/index.js` (e.g. a worktree of the commit before).
 * Each repetition writes FILE to a new table with `--commit` in a fresh
 * process (A and B alternate) and prints wall and CPU (user+sys, DuckDB's
 * threads included) ms; medians at the end. With `append`, the table is made
 * from FILE first (not timed) and the timed write appends FILE to it, read
 * with the table's types. CPU is steadier than wall on a shared machine.
 */
import { spawnSync } from 'node:child_process'

const [, , a, b, file, repsArg, mode] = process.argv
if (!a || !b || !file) {
  console.error('usage: node bench/ingest-ab.mjs DIST_A/src/index.js DIST_B/src/index.js FILE [REPS] [append]')
  process.exit(2)
}
const reps = Number(repsArg ?? 3)
const child = `
const { Repository } = await import(process.argv[1])
const { mkdtempSync, rmSync } = await import('node:fs')
const dir = mkdtempSync('/tmp/dv-ingest-ab-')
const r = await Repository.init(dir + '/r', { author: 'bench' })
if (process.argv[3] === 'append') await r.write('t', process.argv[2], { commit: true, message: 'create' })
const t = performance.now(); const c = process.cpuUsage()
await r.write('t', process.argv[2], { commit: true, message: 'ab' })
const u = process.cpuUsage(c)
console.log(JSON.stringify({ wall: performance.now() - t, cpu: (u.user + u.system) / 1000 }))
await r.close(); rmSync(dir, { recursive: true, force: true })
`
const runs = { A: [], B: [] }
for (let i = 0; i < reps; i++) {
  for (const [name, lib] of [['A', a], ['B', b]]) {
    const p = spawnSync(process.execPath, ['--input-type=module', '-e', child, lib, file, mode ?? ''], { encoding: 'utf8' })
    if (p.status !== 0) throw new Error(`${name} failed: ${p.stderr}`)
    const m = JSON.parse(p.stdout.trim().split('\n').pop())
    runs[name].push(m)
    console.log(`${name} rep ${i + 1}: ${m.wall.toFixed(0)} ms wall, ${m.cpu.toFixed(0)} ms cpu`)
  }
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
for (const k of ['wall', 'cpu']) {
  const [ma, mb] = [median(runs.A.map((r) => r[k])), median(runs.B.map((r) => r[k]))]
  console.log(`median ${k}: A ${ma.toFixed(0)} ms, B ${mb.toFixed(0)} ms, B/A ${(mb / ma).toFixed(2)}x`)
}
