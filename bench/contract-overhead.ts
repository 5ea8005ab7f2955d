/**
 * `npm run build && node dist/bench/contract-overhead.js [--rows N] [--reps N]`:
 * the cost of a data contract on a write. The same append of N rows
 * (default 2,000,000) with `commit: true` into a table with and without a
 * contract that has every row-level rule type (required, unique, range,
 * length, pattern, format, valid values, missing values), alternating,
 * each rep on fresh repositories holding the same 1,000 rows. Prints the
 * medians and the overhead; the bar is <= 25% of the write's time.
 *
 * `--unique [--base N] [--rows M]`: the cost of a uniqueness rule alone: an
 * append of M rows (default 100,000) to a table of N rows (default
 * 10,000,000) with and without a contract whose only rule is `id unique`;
 * the bar is <= 2x the append without the rule. The table is written once
 * per rep, outside the timing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository } from '../src/index.js'

const CONTRACT = `apiVersion: v3.1.0
kind: DataContract
id: bench
version: 1.0.0
status: active
schema:
  - name: events
    properties:
      - name: id
        logicalType: integer
        required: true
        unique: true
      - name: email
        logicalType: string
        logicalTypeOptions: {format: email, maxLength: 64}
      - name: country
        logicalType: string
        logicalTypeOptions: {pattern: "^[A-Z]{2}$", minLength: 2}
        quality:
          - {metric: invalidValues, arguments: {validValues: [DE, FR, NL, US, GB]}, mustBe: 0}
      - name: amount
        logicalType: number
        logicalTypeOptions: {minimum: 0, maximum: 1000000}
        quality:
          - {metric: missingValues, arguments: {missingValues: [null]}, mustBe: 0}
`

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

async function csv(path: string, from: number, rows: number): Promise<void> {
  const countries = ['DE', 'FR', 'NL', 'US', 'GB']
  const chunks: string[] = ['id,email,country,amount\n']
  let chunk = ''
  for (let i = from; i < from + rows; i++) {
    chunk += `${i},user${i}@example.com,${countries[i % 5]},${(i % 10000) / 10}\n`
    if (chunk.length > 1 << 20) {
      chunks.push(chunk)
      chunk = ''
    }
  }
  chunks.push(chunk)
  await writeFile(path, chunks.join(''))
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const UNIQUE_ONLY = `apiVersion: v3.1.0
kind: DataContract
id: bench
version: 1.0.0
status: active
schema:
  - name: events
    properties:
      - name: id
        logicalType: integer
        unique: true
`

async function timedAppend(dir: string, name: string, seed: string, input: string, contract: string | undefined): Promise<number> {
  const repo = await Repository.init(join(dir, name), { author: 'bench' })
  try {
    await repo.write('events', seed, { commit: true, message: 'seed' })
    if (contract) await repo.setContract('events', contract)
    const started = performance.now()
    await repo.write('events', input, { commit: true, message: 'append' })
    return performance.now() - started
  } finally {
    await repo.close()
  }
}

async function main(): Promise<void> {
  const unique = process.argv.includes('--unique')
  const rows = arg('--rows', unique ? 100_000 : 2_000_000)
  const base = unique ? arg('--base', 10_000_000) : 1000
  const contract = unique ? UNIQUE_ONLY : CONTRACT
  const reps = arg('--reps', 3)
  const dir = await mkdtemp(join(tmpdir(), 'dv-bench-contract-'))
  try {
    const seed = join(dir, 'seed.csv')
    const input = join(dir, 'input.csv')
    await csv(seed, 0, base)
    await csv(input, base, rows)
    const plain: number[] = []
    const checked: number[] = []
    for (let r = 0; r < reps; r++) {
      plain.push(await timedAppend(dir, `plain-${r}`, seed, input, undefined))
      checked.push(await timedAppend(dir, `checked-${r}`, seed, input, contract))
      await rm(join(dir, `plain-${r}`), { recursive: true, force: true })
      await rm(join(dir, `checked-${r}`), { recursive: true, force: true })
    }
    const p = median(plain)
    const c = median(checked)
    console.log(`append of ${rows} rows to ${base} rows, ${reps} reps each (ms): without contract ${plain.map((x) => x.toFixed(0)).join(', ')}; with ${unique ? 'id unique' : 'the contract'} ${checked.map((x) => x.toFixed(0)).join(', ')}`)
    if (unique) console.log(`median ${p.toFixed(0)} ms vs ${c.toFixed(0)} ms: ${(c / p).toFixed(2)}x the append without the rule (bar <= 2x)`)
    else console.log(`median ${p.toFixed(0)} ms vs ${c.toFixed(0)} ms: contract overhead ${(((c - p) / p) * 100).toFixed(1)}% (bar <= 25%)`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
