// Merges the incremental report of a StrykerJS run (which holds only the
// files that run mutated) into a group's committed one (.ci/mutate.sh):
// the run's files and test files replace their older entries, the others stay.
//   node .ci/mutation-merge.mjs reports/stryker-incremental-refs.json .stryker-tmp/incremental-refs.json
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

const [into, from] = process.argv.slice(2)
const run = JSON.parse(readFileSync(from, 'utf8'))
const merged = existsSync(into) ? JSON.parse(readFileSync(into, 'utf8')) : { ...run, files: {}, testFiles: {} }
Object.assign(merged.files, run.files)
merged.testFiles = { ...merged.testFiles, ...run.testFiles }
merged.schemaVersion = run.schemaVersion
writeFileSync(into, `${JSON.stringify(merged, null, 2)}\n`)
