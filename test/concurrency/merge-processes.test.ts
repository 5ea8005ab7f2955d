/**
 * Concurrent merges into one target from 4 OS processes (format-spec/merge.md#publishing):
 * each merge lands exactly once or conflicts, and the history checker finds
 * nothing lost, duplicated or out of order on main's first-parent chain.
 * Each worker merges three branches: two append to days of their own (they
 * always land, retried on the moved target), and one replaces day 1, which
 * all four workers' third branches do: exactly one of those lands.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { ensureDistBuilt } from '../crash/ensure-dist.js'
import { runNode } from '../support/run-node.js'
import { TextSink } from '../support/text-sink.js'
import { checkHistory, firstParentChain, readAttemptLog } from './history-checker.js'

const CHILD = join(__dirname, 'merge-child.mjs')
const WORKERS = 4
let dir: string

beforeAll(async () => {
  await ensureDistBuilt()
  dir = await mkdtemp(join(tmpdir(), 'dv-merge-procs-'))
}, 180_000)
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const day = (d: number) => `2026-01-${String(d).padStart(2, '0')} 10:00:00`

describe('merges from separate processes', () => {
  it(`${WORKERS} processes merging into main: each merge lands once or conflicts; nothing lost`, async () => {
    const lake = join(dir, 'lake')
    const repo = await Repository.init(lake, { author: 'setup' })
    let n = 0
    const csv = async (rows: string[]) => {
      const path = join(dir, `in-${n++}.csv`)
      await writeFile(path, `id,ts\n${rows.join('\n')}\n`)
      return path
    }
    await repo.write('events', await csv([`1,${day(1)}`, `2,${day(2)}`]), { partitionBy: 'day(ts)', commit: true, message: 'base' })
    const branches: string[][] = []
    for (let w = 0; w < WORKERS; w++) {
      branches.push([])
      for (let i = 0; i < 3; i++) {
        const name = `w${w}-b${i}`
        await repo.createBranch(name)
        const id = 100 + w * 10 + i
        const replace = i === 2
        await repo.write('events', await csv([`${id},${day(replace ? 1 : 3 + w * 2 + i)}`]), { branch: name, mode: replace ? 'replace-partitions' : 'append', commit: true, message: `on ${name}` })
        branches[w]!.push(name)
      }
    }
    const base = await repo.log({ rev: 'main' })
    const results = await Promise.all(branches.map((bs, w) => runNode(CHILD, [lake, `w${w}`, ...bs])))
    for (const r of results) expect(r.code, r.stderr).toBe(0)

    const attempts = await readAttemptLog(...branches.map((_, w) => join(lake, `attempts-w${w}.jsonl`)))
    expect(attempts).toHaveLength(WORKERS * 3)
    const errors = attempts.filter((a) => a.outcome === 'error' || a.outcome === 'unknown')
    expect(errors).toEqual([])
    const ok = attempts.filter((a) => a.outcome === 'ok')
    const replaces = ok.filter((a) => a.op.endsWith('-b2'))
    expect(replaces).toHaveLength(1) // one day-1 replacement lands; the others conflict with it
    expect(ok).toHaveLength(WORKERS * 2 + 1)
    for (const a of attempts.filter((x) => x.outcome === 'conflict')) expect(a.op).toMatch(/-b2$/)

    const head = await repo.resolve('main')
    const entries = await repo.log({ rev: 'main' })
    const chain = firstParentChain(head, entries)
    const check = checkHistory(attempts, chain, { base: base.map((e) => e.snapshot) })
    expect(check.violations).toEqual([])
    expect(check.landed).toBe(WORKERS * 2 + 1)
    for (const e of entries.filter((x) => x.message.includes(' merges '))) expect(e.parents).toHaveLength(2)

    const sink = new TextSink()
    await repo.cat('events', sink, { format: 'csv', columns: ['id'] })
    const ids = sink.text.trim().split('\n').slice(1).map(Number).sort((a, b) => a - b)
    const winner = Number(/^w(\d)/.exec(replaces[0]!.op)![1])
    const appended = branches.flatMap((_, w) => [100 + w * 10, 101 + w * 10])
    expect(ids).toEqual([2, ...appended, 100 + winner * 10 + 2].sort((a, b) => a - b))
    await repo.close()
  }, 300_000)
})
