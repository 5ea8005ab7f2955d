/**
 * Bounded retry (G3): with the branch CAS failing with CONFLICT k times, a
 * commit retried at most R times (attempts = R + 1) succeeds iff k <= R. At
 * k = R + 1 it fails with CONFLICT, the branch is unchanged, nothing
 * reachable is lost, and a success after k failures adds exactly one manifest.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { wrapFaulty } from '../../src/store/index.js'
import { createBaseRepo, sharedStorage, type BaseRepo } from './setup.js'

const R = 4 // Iceberg's default commit.retry.num-retries
let dir: string
let base: BaseRepo
let checker: Repository

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-retry-'))
  base = await createBaseRepo(dir, 'memory')
  checker = await Repository.fromStorage(sharedStorage(base.storage))
}, 60_000)
afterAll(async () => {
  await checker?.close()
  await rm(dir, { recursive: true, force: true })
})

it.each(Array.from({ length: R + 2 }, (_, k) => k))(`k = %i injected CAS conflicts with R = ${R} retries`, async (k) => {
  const faulty = wrapFaulty(base.storage, { conflictOnCas: Array.from({ length: k }, (_, i) => i + 1) })
  const repo = await Repository.fromStorage(sharedStorage(faulty), { retry: { attempts: R + 1, startingDelayMs: 1, maxDelayMs: 4, totalMs: 30_000 } })
  try {
    const csv = join(base.inputs, `k${k}.csv`)
    await writeFile(csv, `id,worker,seq\nk${k},retry,${k}\n`)
    const head = await checker.resolve('main')
    const before = (await checker.show('main', 'events')).table!
    const result = await repo.write('events', csv, { commit: true, message: `k=${k}`, idempotencyKey: `k${k}` }).catch((e: unknown) => e)
    expect(faulty.injected).toHaveLength(Math.min(k, R + 1))
    if (k <= R) {
      expect(result).not.toBeInstanceOf(Error)
      const commit = (result as Awaited<ReturnType<Repository['write']>>).commit!
      expect(commit.parents).toEqual([head])
      expect(await checker.resolve('main')).toBe(commit.snapshot)
      const after = (await checker.show('main', 'events')).table!
      expect(after.rows).toBe(before.rows + 1)
      expect(after.manifests).toBe(before.manifests + 1)
    } else {
      expect(result).toMatchObject({ code: 'CONFLICT' })
      expect((result as Error).message).toMatch(/gave up after 5 attempts/)
      expect(await checker.resolve('main')).toBe(head)
      expect(await checker.log({ idempotencyKey: `k${k}` })).toEqual([])
    }
    expect((await checker.verify()).problems).toEqual([])
  } finally {
    await repo.close()
  }
}, 30_000)
