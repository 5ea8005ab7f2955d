/**
 * G1: 8 OS processes x 50 commits to one branch of a local repository, each
 * commit appending a unique one-row CSV under a unique idempotency key. Every
 * attempt is logged; afterwards the history checker finds 0 lost and 0
 * duplicated acknowledged commits, the row count equals the acknowledged
 * commits, verification is clean, and main's reflog is exactly its history.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { ensureDistBuilt } from '../crash/ensure-dist.js'
import { runNode } from '../support/run-node.js'
import { checkHistory, firstParentChain, readAttemptLog } from './history-checker.js'
import { catIds, expectedIds } from './setup.js'

// 8 x 50 with DV_STRESS=1 (a step of .ci/run); the default suite takes 4 x 25
const STRESS = process.env.DV_STRESS === '1'
const WORKERS = Number(process.env.DV_STRESS_WORKERS ?? (STRESS ? 8 : 4))
const COMMITS = Number(process.env.DV_STRESS_COMMITS ?? (STRESS ? 50 : 25))
const CHILD = join(__dirname, 'writer-child.mjs')
let dir: string

beforeAll(async () => {
  await ensureDistBuilt()
  dir = await mkdtemp(join(tmpdir(), 'dv-procs-'))
}, 180_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})


it(`${WORKERS} processes x ${COMMITS} commits on one branch: none lost, none duplicated, real-time order holds`, async () => {
  const root = join(dir, 'repo')
  const inputs = join(dir, 'inputs')
  await mkdir(inputs)
  const repo = await Repository.init(root, { author: 'base' })
  try {
    const baseCsv = join(inputs, 'base.csv')
    await writeFile(baseCsv, 'id,worker,seq\nbase,base,0\n')
    await repo.write('events', baseCsv, { commit: true, message: 'base' })
    const baseIds = (await repo.log()).map((e) => e.snapshot)

    const started = Date.now()
    const workers = Array.from({ length: WORKERS }, (_, i) => `w${i}`)
    const logs = workers.map((w) => join(dir, `${w}.jsonl`))
    const results = await Promise.all(workers.map((w, i) => runNode(CHILD, [root, w, String(COMMITS), logs[i], inputs])))
    for (const r of results) expect(r.code, r.stderr).toBe(0)
    const elapsed = Date.now() - started

    const attempts = await readAttemptLog(...logs)
    const head = await repo.resolve('main')
    const chain = firstParentChain(head, await repo.log({ rev: head }))
    const check = checkHistory(attempts, chain, { base: baseIds })
    expect(check.violations).toEqual([])
    const keys = new Set(attempts.filter((a) => a.outcome === 'ok').map((a) => a.key))
    expect(keys.size).toBe(WORKERS * COMMITS)
    expect(chain.length).toBe(baseIds.length + keys.size)
    expect((await repo.show('main', 'events')).table!.rows).toBe(1 + keys.size)
    expect(await catIds(repo)).toEqual(expectedIds(attempts))
    expect((await repo.verify()).problems).toEqual([])
    // every landed commit is one update of main in its reflog (one process, one writer: no group commits),
    // newest first down to init; entries of swaps that lost their race are left out
    const reflog = (await repo.reflog('main')).entries
    expect(reflog[0]!.snapshot).toBe(head)
    expect(reflog.map((e) => e.snapshot)).toEqual(chain.map((c) => c.snapshot).reverse()) // the chain is oldest first
    expect(reflog.filter((e) => /^commit: /.test(e.message))).toHaveLength(keys.size + 1) // + the base commit
    const count = (o: string) => attempts.filter((a) => a.outcome === o).length
    const reasons = new Map<string, number>()
    for (const a of attempts) if (a.error) reasons.set(a.error.replace(/[0-9a-f]{7,}/g, 'ID').replace(/w\d+-\d+/g, 'KEY').slice(0, 90), (reasons.get(a.error.replace(/[0-9a-f]{7,}/g, 'ID').replace(/w\d+-\d+/g, 'KEY').slice(0, 90)) ?? 0) + 1)
    console.log(`${WORKERS}x${COMMITS} processes: ${elapsed} ms, ${((keys.size * 1000) / elapsed).toFixed(1)} commits/s; attempts ok=${count('ok')} conflict=${count('conflict')} unknown=${count('unknown')} error=${count('error')}`, Object.fromEntries(reasons))
  } finally {
    await repo.close()
  }
}, 300_000)
