/** The result table: one Row per figure, printed for people and saved as JSON. */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { RESULTS_DIR } from './paths.js'

export type Unit = 'ms' | 'MB/s' | 'MiB' | 'commits/s'

export interface Row {
  section: string
  figure: string
  dv: number
  unit: Unit
  /** What the baseline is (shown in the notes below the table). */
  baselineName?: string
  baseline?: number
  /** How many times worse dv is than the baseline (time ratio; for MB/s baseline/dv). */
  ratio?: number
  target?: string
  pass?: boolean
  /** Peak RSS of the dv process (max over repetitions), MiB. */
  rssMiB?: number
  baselineRssMiB?: number
  /** Shown under the table (e.g. an error message). */
  note?: string
  /** Every repetition, for the JSON. */
  samples?: number[]
  baselineSamples?: number[]
}

export function ratioOf(dv: number, baseline: number, unit: Unit): number {
  return unit === 'MB/s' ? baseline / dv : dv / baseline
}

function fmt(value: number | undefined, unit?: Unit): string {
  if (value === undefined || Number.isNaN(value)) return '-'
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`
}

export function renderTable(rows: Row[]): string {
  const header = ['#', 'figure', 'dv', 'baseline', 'ratio', 'target', 'result', 'dv RSS', 'base RSS']
  const lines = rows.map((r, i) => [
    String(i + 1),
    r.figure,
    fmt(r.dv, r.unit),
    r.baseline === undefined ? '-' : fmt(r.baseline, r.unit),
    r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}x`,
    r.target ?? '-',
    r.pass === undefined ? '-' : r.pass ? 'PASS' : 'FAIL',
    r.rssMiB === undefined ? '-' : `${Math.round(r.rssMiB)} MiB`,
    r.baselineRssMiB === undefined ? '-' : `${Math.round(r.baselineRssMiB)} MiB`,
  ])
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)))
  const pad = (cells: string[]) => cells.map((cell, c) => (c === 1 || c === 5 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')
  const out = [pad(header), widths.map((w) => '-'.repeat(w)).join('  ')]
  let section = ''
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].section !== section) {
      section = rows[i].section
      out.push(`[${section}]`)
    }
    out.push(pad(lines[i]))
  }
  return out.join('\n')
}

export interface Report {
  command: string
  startedAt: string
  environment: Record<string, string | number>
  rows: Row[]
  baselines: Record<string, string>
  notes: string[]
  stages?: Record<string, number>
}

export async function saveReport(report: Report, name = 'latest.json'): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true })
  const path = join(RESULTS_DIR, name)
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`)
  return path
}
