// Prints the mutation score of each file and of the run in a StrykerJS JSON
// report (mutation-testing-report-schema), and exits 1 when a layer is under
// its bar (issue 14 §1): 80% for src/format and src/refs, 70% for src/table
// and the local store. Score = detected / valid mutants, as Stryker counts it:
// killed and timed-out mutants are detected; survived and uncovered ones are
// not; compile/runtime errors and ignored mutants do not count.
//   node .ci/mutation-score.mjs reports/mutation/format.json
import { readFileSync } from 'node:fs'

const BARS = [
  ['src/format/', 80],
  ['src/refs/', 80],
  ['src/table/', 70],
  ['src/store/', 70],
]
const bar = (file) => BARS.find(([prefix]) => file.startsWith(prefix))?.[1] ?? 0

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const layers = new Map()
const rows = []
for (const [file, { mutants }] of Object.entries(report.files)) {
  const count = (...statuses) => mutants.filter((m) => statuses.includes(m.status)).length
  const detected = count('Killed', 'Timeout')
  const undetected = count('Survived', 'NoCoverage')
  rows.push([file, detected, undetected])
  const layer = BARS.find(([prefix]) => file.startsWith(prefix))?.[0] ?? file
  const sum = layers.get(layer) ?? [0, 0]
  layers.set(layer, [sum[0] + detected, sum[1] + undetected])
}
const pct = (d, u) => (d + u === 0 ? 100 : (100 * d) / (d + u))
for (const [file, d, u] of rows.sort()) console.log(`${pct(d, u).toFixed(2).padStart(7)}%  ${String(d).padStart(4)} / ${String(d + u).padEnd(4)}  ${file}`)
let failed = false
for (const [layer, [d, u]] of layers) {
  const score = pct(d, u)
  const ok = score >= bar(layer)
  failed ||= !ok
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${layer}: ${score.toFixed(2)}% (${d} of ${d + u} mutants detected; bar ${bar(layer)}%)`)
}
process.exitCode = failed ? 1 : 0
