/**
 * The read-back check of the peer benchmark: after each work item every
 * system's table (or read result) is summarized as rows, sum(id) and
 * sum(value), and the summaries must agree with each other and with what the
 * generated data implies.
 */
import type { RecordBatch } from 'apache-arrow'

export interface Stats {
  rows: number
  /** Exact, as a decimal string (it exceeds 2^53 at a few hundred million rows). */
  sumId: string
  sumValue: number
}

export function statsOfBatches(batches: RecordBatch[]): Stats {
  let rows = 0
  let sumId = 0n
  let sumValue = 0
  for (const batch of batches) {
    rows += batch.numRows
    const ids = batch.getChild('id')
    const values = batch.getChild('value')
    if (!ids || !values) throw new Error(`read-back: a batch lacks column id or value (columns: ${batch.schema.fields.map((f) => f.name).join(', ')})`)
    for (let i = 0; i < batch.numRows; i++) {
      const id = ids.get(i) as bigint | number | null
      if (id !== null) sumId += BigInt(id)
      const value = values.get(i) as number | null
      if (value !== null) sumValue += value
    }
  }
  return { rows, sumId: sumId.toString(), sumValue }
}

/**
 * The main data set's ids are 0..rows-1 and every one-row append adds the row
 * with id `rows` again: the rows and sum(id) a table must hold after `appends`.
 */
export function expectedStats(rows: number, appends: number): Pick<Stats, 'rows' | 'sumId'> {
  const n = BigInt(rows)
  return { rows: rows + appends, sumId: ((n * (n - 1n)) / 2n + BigInt(appends) * n).toString() }
}

export interface ReadBack {
  /** Who read what, e.g. "deltalake table" or "dv-lib arrow". */
  system: string
  stats: Stats
  expected: Pick<Stats, 'rows' | 'sumId'>
}

/** Sums of doubles added in another order differ in the last bits; more than this is a different set of rows. */
const VALUE_TOLERANCE = 1e-9

/**
 * The mismatches among `readBacks` (empty when all agree): each one's rows and
 * sum(id) against its expectation, and sum(value) across those expecting the same rows.
 */
export function mismatches(item: string, readBacks: ReadBack[]): string[] {
  const problems: string[] = []
  const valueByRows = new Map<string, ReadBack>()
  for (const r of readBacks) {
    if (r.stats.rows !== r.expected.rows || r.stats.sumId !== r.expected.sumId) {
      problems.push(`${item}: ${r.system} read back ${r.stats.rows} rows, sum(id) ${r.stats.sumId}; expected ${r.expected.rows} rows, sum(id) ${r.expected.sumId}`)
    }
    const key = `${r.expected.rows}/${r.expected.sumId}`
    const first = valueByRows.get(key)
    if (first === undefined) {
      valueByRows.set(key, r)
    } else {
      const scale = Math.max(1, Math.abs(first.stats.sumValue))
      if (!(Math.abs(r.stats.sumValue - first.stats.sumValue) <= VALUE_TOLERANCE * scale)) {
        problems.push(`${item}: ${r.system} read back sum(value) ${r.stats.sumValue}, ${first.system} ${first.stats.sumValue}`)
      }
    }
  }
  return problems
}
