/**
 * Multi-process compare-and-swap race on one local store: 4 processes x 25
 * read-modify-CAS increments of branches/main. The lock file must serialise
 * them so that no increment is lost: the final chain has exactly 100 links.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { SnapshotId } from '../../src/ids.js'
import { openLocalStorage } from '../../src/store/local.js'
import { ensureStoreBuilt } from './build-dist.js'
import { runChild } from './process-helpers.js'

let storeIndex: string
let work: string

beforeAll(async () => {
  storeIndex = await ensureStoreBuilt()
  work = await mkdtemp(join(tmpdir(), 'dv-race-'))
}, 60_000)

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

it('4 processes x 25 CAS increments build a chain of exactly 100, none lost', async () => {
  const root = join(work, '.dv')
  const writers = ['w0', 'w1', 'w2', 'w3']
  const results = await Promise.all(writers.map((w) => runChild('race-child.mjs', [storeIndex, root, w, '25'])))
  for (const r of results) expect(r.code, r.stderr).toBe(0)
  const conflicts = results.reduce((n, r) => n + (JSON.parse(r.stdout) as { conflicts: number }).conflicts, 0)

  const storage = openLocalStorage(root)
  const seen = new Set<string>()
  let cursor: SnapshotId | null = (await storage.refs.get('branches/main'))!.snapshot
  while (cursor !== null) {
    const link = JSON.parse(new TextDecoder().decode(await storage.objects.get(cursor))) as {
      parent: SnapshotId | null
      writer: string
      i: number
    }
    seen.add(`${link.writer}:${link.i}`)
    cursor = link.parent
    expect(seen.size).toBeLessThanOrEqual(100)
  }
  expect(seen.size).toBe(100)
  for (const w of writers) for (let i = 0; i < 25; i++) expect(seen.has(`${w}:${i}`)).toBe(true)
  expect(await readdir(join(root, 'refs', 'branches'))).toEqual(['main'])
  // The writers really raced (a conflict is each lost race, retried).
  expect(conflicts).toBeGreaterThan(0)
})
