/**
 * An AbortSignal stops a merge, revert or cherry-pick before its commit is
 * written (format-spec/merge.md#interrupting): aborted at every object write
 * of a merge of several tables, the call rejects with the signal's reason and
 * the branch, its reflog and the other refs are exactly as before; or, once
 * the commit is being written, the merge lands whole. Nothing is half landed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository, type ReflogResult } from '../../src/index.js'
import { createMemoryStorage } from '../../src/store/memory.js'
import type { ObjectStore, Storage } from '../../src/store/types.js'

let dir: string
let seq = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-merge-abort-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function csv(rows: string[]): Promise<string> {
  const path = join(dir, `in-${seq++}.csv`)
  await writeFile(path, `id,v\n${rows.map((r) => `${r}\n`).join('')}`)
  return path
}

/** A store whose object writes call `onPut` first (an abort there lands between the merge's steps). */
function withPutHook(storage: Storage, onPut: () => void): Storage {
  const inner = storage.objects
  const objects: ObjectStore = {
    ...inner,
    put: (bytes) => (onPut(), inner.put(bytes)),
    putFile: (path, expectedId) => (onPut(), inner.putFile(path, expectedId)),
    get: (id) => inner.get(id),
    has: (id) => inner.has(id),
    size: (id) => inner.size(id),
    localPath: (id) => inner.localPath(id),
    localRoot: () => inner.localRoot(),
    list: (prefix) => inner.list(prefix),
    delete: (id) => inner.delete(id),
  }
  return {
    objects, refs: storage.refs, reflog: storage.reflog, location: storage.location,
    readConfig: () => storage.readConfig(), createConfig: (bytes) => storage.createConfig(bytes), close: () => storage.close(),
  }
}

const TABLES = ['a', 'b', 'c', 'd']
const entries = (r: ReflogResult) => r.entries.map((e) => `${e.snapshot} ${e.message}`)

describe('an abort during a merge of many tables', () => {
  it('at every object write: rejects with the reason and changes no ref, or lands whole', async () => {
    let abortAt = 0
    let puts = 0
    let controller = new AbortController()
    const storage = withPutHook(createMemoryStorage(), () => {
      if (++puts === abortAt) controller.abort(new DOMException('interrupted by test', 'AbortError'))
    })
    const repo = await Repository.fromStorage(storage, { init: true, author: 'abort' })
    try {
      for (const t of TABLES) await repo.write(t, await csv(['1,base']), { commit: true, message: `create ${t}` })
      await repo.createBranch('src')
      // both sides append to every table: each is a three-way combine the merge writes
      for (const t of TABLES) await repo.write(t, await csv(['2,theirs']), { branch: 'src', commit: true, message: `src ${t}` })
      for (const t of TABLES) await repo.write(t, await csv(['3,ours']), { commit: true, message: `main ${t}` })
      const head = await repo.resolve('main')
      const src = await repo.resolve('src')
      const log = entries(await repo.reflog('main'))
      let landed = false
      let aborted = 0
      for (abortAt = 1; !landed && abortAt < 100; abortAt++) {
        controller = new AbortController()
        puts = 0
        const outcome = await repo.merge('src', { signal: controller.signal }).then((r) => r, (e: unknown) => e)
        if (outcome === controller.signal.reason) {
          aborted++
          expect(await repo.resolve('main'), `abort at put ${abortAt}`).toBe(head)
          expect(await repo.resolve('src')).toBe(src)
          expect(entries(await repo.reflog('main')), `abort at put ${abortAt}`).toEqual(log)
          continue
        }
        // the abort came after the last check: the commit was being written, and it completed
        expect(outcome).toMatchObject({ status: 'merged', previous: head })
        landed = true
        const after = await repo.resolve('main')
        expect(after).not.toBe(head)
        expect((await repo.log({ rev: 'main', limit: 1 }))[0]!.parents).toEqual([head, src])
        expect(entries(await repo.reflog('main'))).toEqual([`${after} merge: src`, ...log])
        for (const t of TABLES) {
          const rows: string[] = []
          for await (const batch of repo.scan(t, { columns: ['v'] })) for (const row of batch) rows.push(String(row.v))
          expect(rows.sort(), `table ${t}`).toEqual(['base', 'ours', 'theirs'])
        }
      }
      // one manifest and one table metadata per table at least were written before the last check
      expect(aborted).toBeGreaterThanOrEqual(TABLES.length * 2)
      expect(landed).toBe(true)
    } finally {
      await repo.close()
    }
  }, 120_000)

  it('an aborted revert or cherry-pick commits nothing', async () => {
    const repo = await Repository.fromStorage(createMemoryStorage(), { init: true, author: 'abort' })
    try {
      await repo.write('a', await csv(['1,base']), { commit: true, message: 'create a' })
      await repo.createBranch('src')
      await repo.write('a', await csv(['2,theirs']), { branch: 'src', commit: true, message: 'src a' })
      await repo.write('a', await csv(['3,ours']), { commit: true, message: 'main a' })
      const head = await repo.resolve('main')
      const log = entries(await repo.reflog('main'))
      const controller = new AbortController()
      controller.abort(new DOMException('interrupted by test', 'AbortError'))
      await expect(repo.revert('main', { signal: controller.signal })).rejects.toBe(controller.signal.reason)
      await expect(repo.cherryPick('src', { signal: controller.signal })).rejects.toBe(controller.signal.reason)
      expect(await repo.resolve('main')).toBe(head)
      expect(entries(await repo.reflog('main'))).toEqual(log)
      // without the abort both apply
      expect((await repo.cherryPick('src')).status).toBe('applied')
    } finally {
      await repo.close()
    }
  }, 60_000)
})
