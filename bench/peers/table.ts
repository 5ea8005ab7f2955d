/**
 * The peer benchmark's result rows: per work item and measure, each system's
 * samples summarized (median, min-max), the best peer (lowest median) and how
 * many times it dv takes; rendered as a text table and kept as JSON.
 */
import { median } from '../measure.js'

export const DV_SYSTEMS = ['dv-cli', 'dv-lib'] as const
export const PEER_SYSTEMS = ['deltalake', 'pyiceberg', 'duckdb'] as const
export type DvSystem = (typeof DV_SYSTEMS)[number]
export type PeerSystem = (typeof PEER_SYSTEMS)[number]
export type SystemName = DvSystem | PeerSystem
export const SYSTEMS: readonly SystemName[] = [...DV_SYSTEMS, ...PEER_SYSTEMS]

/** Measured samples, or why the system has no such figure ("n/a": no branches, no CLI, ...). */
export type Cell = { samples: number[] } | { na: string }

export interface Summary {
  median: number
  min: number
  max: number
  samples: number[]
}

export interface ResultRow {
  item: string
  measure: string
  unit: 'ms' | 'MiB'
  cells: Partial<Record<SystemName, Cell>>
  note?: string
}

export interface SummarizedRow extends Omit<ResultRow, 'cells'> {
  cells: Partial<Record<SystemName, Summary | { na: string }>>
  /** The peer with the lowest median (lower is better for time and RSS alike). */
  best?: { system: PeerSystem; median: number }
  /** dv's median / the best peer's median: how many times the best peer's time (or memory) dv takes. */
  ratios: Partial<Record<DvSystem, number>>
}

export function summarize(samples: number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples')
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), samples }
}

export function summarizeRow(row: ResultRow): SummarizedRow {
  const cells: SummarizedRow['cells'] = {}
  for (const system of SYSTEMS) {
    const cell = row.cells[system]
    if (cell === undefined) continue
    cells[system] = 'na' in cell ? cell : summarize(cell.samples)
  }
  let best: SummarizedRow['best']
  for (const system of PEER_SYSTEMS) {
    const cell = cells[system]
    if (cell === undefined || 'na' in cell) continue
    if (best === undefined || cell.median < best.median) best = { system, median: cell.median }
  }
  const ratios: SummarizedRow['ratios'] = {}
  for (const system of DV_SYSTEMS) {
    const cell = cells[system]
    if (best !== undefined && cell !== undefined && !('na' in cell) && best.median > 0) ratios[system] = cell.median / best.median
  }
  return { ...row, cells, ...(best ? { best } : {}), ratios }
}

function number(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)
}

/** "512 (480-530)": median and range; one sample shows alone. */
export function formatCell(cell: Summary | { na: string } | undefined): string {
  if (cell === undefined) return '-'
  if ('na' in cell) return 'n/a'
  return cell.samples.length === 1 ? number(cell.median) : `${number(cell.median)} (${number(cell.min)}-${number(cell.max)})`
}

const HEADER = ['work', 'measure', 'unit', 'dv CLI', 'dv lib', 'deltalake', 'pyiceberg', 'duckdb', 'best peer', 'CLI/best', 'lib/best']

export function renderPeerTable(rows: SummarizedRow[]): string {
  const lines = rows.map((r) => [
    r.item, r.measure, r.unit,
    ...SYSTEMS.map((s) => formatCell(r.cells[s])),
    r.best ? r.best.system : '-',
    ...DV_SYSTEMS.map((s) => (r.ratios[s] === undefined ? '-' : `${r.ratios[s]!.toFixed(2)}x`)),
  ])
  const widths = HEADER.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)))
  const pad = (cells: string[]) => cells.map((cell, c) => (c < 3 || c === 8 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')
  return [pad(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(pad)].join('\n')
}
