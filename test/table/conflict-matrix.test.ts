/**
 * The conflict matrix of format-spec/conflicts.md, cell by cell: write A is
 * staged against a base, a concurrent write B commits to the same table, then
 * A is committed and must either rebase (R) or fail with CONFLICT (C),
 * naming both snapshots and applying nothing.
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository, type WriteOptions } from '../../src/index.js'
import { TextSink } from '../support/text-sink.js'

type Outcome = 'R' | 'C'
interface Write { label: string; csv?: string; options: WriteOptions }

let dir: string
let base: string
let seq = 0

async function csv(rows: string[], extra = false): Promise<string> {
  const path = join(dir, `in-${seq++}.csv`)
  await writeFile(path, (extra ? 'id,ts,v,extra\n' : 'id,ts,v\n') + rows.map((r) => `${r}\n`).join(''))
  return path
}
const day = (d: number, id: number, extra = false) => `${id},2026-01-0${d} 10:00:00,r${id}${extra ? ',x' : ''}`

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-matrix-'))
  base = join(dir, 'base')
  const repo = await Repository.init(base, { author: 'matrix' })
  await repo.write('events', await csv([day(1, 1), day(1, 2), day(1, 3), day(2, 4), day(2, 5), day(2, 6), day(3, 7), day(3, 8), day(3, 9)]), {
    partitionBy: 'day(ts)', commit: true, message: 'base',
  })
  await repo.close()
}, 60_000)
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

// A: the write that is staged first and committed last (only the cell's own input file is written)
async function writeA(kind: string): Promise<Write> {
  switch (kind) {
    case 'append': return { label: 'append', csv: await csv([day(1, 100)]), options: { mode: 'append' } }
    case 'append+column': return { label: 'append adding a column', csv: await csv([day(1, 101, true)], true), options: { mode: 'append' } }
    case 'overwrite': return { label: 'overwrite', csv: await csv([day(1, 1)]), options: { mode: 'overwrite' } }
    case 'replace-partitions': return { label: 'replace-partitions day 1', csv: await csv([day(1, 1), day(1, 2)]), options: { mode: 'replace-partitions' } }
    case 'delete': return { label: "delete where ts < '2026-01-02'", options: { mode: 'delete', where: "ts < '2026-01-02'" } }
    case 'overwrite-where': return { label: 'overwrite where day 1', csv: await csv([day(1, 1)]), options: { mode: 'overwrite', where: "ts < '2026-01-02'" } }
    case 'upsert': return { label: 'upsert keys 1,2', csv: await csv([day(1, 1), day(1, 2)]), options: { mode: 'upsert', key: ['id'] } }
  }
  throw new Error(kind)
}

// B: the concurrent commit, touching A's scope ("same": day 1, ids 1-2) or not ("other": day 3)
async function writeB(kind: string, same: boolean): Promise<Write> {
  const d = same ? 1 : 3
  switch (kind) {
    case 'append': return { label: 'append', csv: await csv([same ? day(1, 2) : day(3, 300)]), options: { mode: 'append' } }
    case 'append+column': return { label: 'append adding a column', csv: await csv([same ? day(1, 2, true) : day(3, 300, true)], true), options: { mode: 'append' } }
    case 'overwrite': return { label: 'overwrite', csv: await csv([day(d, 500)]), options: { mode: 'overwrite' } }
    case 'replace-partitions': return { label: 'replace-partitions', csv: await csv(same ? [day(1, 1), day(1, 2)] : [day(3, 7), day(3, 300)]), options: { mode: 'replace-partitions' } }
    case 'delete': return { label: 'delete', options: { mode: 'delete', where: same ? 'id = 2' : 'id = 8' } }
    case 'upsert': return { label: 'upsert', csv: await csv([same ? day(1, 2) : day(3, 8)]), options: { mode: 'upsert', key: ['id'] } }
  }
  throw new Error(kind)
}

const SCOPED = ['replace-partitions', 'delete', 'overwrite-where', 'upsert']
function expected(a: string, b: string, same: boolean): Outcome {
  if (a === 'append') return 'R'
  if (a === 'append+column') return b === 'append+column' ? 'C' : 'R'
  if (a === 'overwrite') return 'C'
  if (SCOPED.includes(a)) return b === 'overwrite' ? 'C' : same ? 'C' : 'R'
  throw new Error(a)
}

const A_KINDS = ['append', 'append+column', 'overwrite', 'replace-partitions', 'delete', 'overwrite-where', 'upsert']
const B_KINDS = ['append', 'append+column', 'overwrite', 'replace-partitions', 'delete', 'upsert']
const cells = A_KINDS.flatMap((a) => B_KINDS.flatMap((b) => [true, false].map((same) => ({ a, b, same, want: expected(a, b, same) }))))

// Each cell works on its own copy of the base repository, so the cells run concurrently (vitest's
// maxConcurrency, 5 at once): a cell spends much of its time waiting on the disk (fsync).
describe.concurrent('conflict matrix (format-spec/conflicts.md)', () => {
  it.for(cells)('$a after concurrent $b (same scope: $same) -> $want', async ({ a, b, same, want }, { expect }) => {
    const root = join(dir, `cell-${seq++}`)
    await cp(base, root, { recursive: true })
    const repo = await Repository.open(root, { author: 'matrix' })
    try {
      const A = await writeA(a)
      await repo.write('events', A.csv, A.options)
      const B = await writeB(b, same)
      const bCommit = await repo.write('events', B.csv, { ...B.options, commit: true, message: `B: ${B.label}` })
      const before = await repo.resolve('main')
      const result = await repo.commit({ message: `A: ${A.label}` }).catch((e) => e)
      if (want === 'C') {
        expect(result, `expected a conflict, got ${JSON.stringify(result)}`).toMatchObject({ code: 'CONFLICT' })
        expect(result.message).toContain(bCommit.commit!.snapshot.slice(0, 7))
        expect(await repo.resolve('main')).toBe(before) // nothing applied
        expect((await repo.status()).staged).toHaveLength(1) // the change is still staged
      } else {
        expect(result instanceof Error ? `${result.message}` : 'ok').toBe('ok')
        expect(result.parents).toEqual([before])
        if (a === 'delete') {
          const sink = new TextSink()
          await repo.cat('events', sink, { where: "ts < '2026-01-02'", format: 'csv' })
          expect(sink.text.trim().split('\n')).toHaveLength(1) // header only: A's delete holds after rebase
        }
      }
      expect((await repo.verify()).problems).toEqual([])
    } finally {
      await repo.close()
    }
  })
})
