/**
 * A commit stores its manifests, table metadata and snapshot concurrently
 * (src/table/deferred-puts.ts, format-spec/commit-protocol.md step 3), and
 * every one of them is durable before the reflog entry and the ref update.
 * The store here is the real local store with each put slowed down and
 * recorded, so the order of events is visible.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { openStorage } from '../../src/store/open.js'
import type { Storage } from '../../src/store/types.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-deferred-puts-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

interface Recorded {
  events: string[]
  maxInFlight: number
}

/** `storage` whose puts take 40 ms more and whose ref and reflog writes are recorded; `failing` makes the put of bytes it matches fail. */
function recorded(storage: Storage, failing?: (bytes: Uint8Array) => boolean): { storage: Storage; log: Recorded } {
  const log: Recorded = { events: [], maxInFlight: 0 }
  let inFlight = 0
  const objects = new Proxy(storage.objects, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function') return value
      if (prop !== 'put') return value.bind(target)
      return async (bytes: Uint8Array) => {
        inFlight++
        log.maxInFlight = Math.max(log.maxInFlight, inFlight)
        try {
          await new Promise((r) => setTimeout(r, 40))
          if (failing?.(bytes)) throw new Error('injected: disk full')
          const id = await target.put(bytes)
          log.events.push(`put ${new TextDecoder().decode(bytes).includes('"kind":"dv:snapshot:') ? 'snapshot' : 'object'} ${id}`)
          return id
        } finally {
          inFlight--
        }
      }
    },
  })
  const refs = new Proxy(storage.refs, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function') return value
      if (prop !== 'compareAndSwap') return value.bind(target)
      return async (name: string, expected: string | null, next: string | null) => {
        log.events.push(`swap ${name} ${next}`)
        return (value as (...a: unknown[]) => unknown).call(target, name, expected, next)
      }
    },
  })
  return { storage: { ...storage, objects, refs }, log }
}

async function csv(name: string, body: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, body)
  return path
}

describe('a commit stores its metadata objects at once, all before the ref update', () => {
  it('manifest, table metadata and snapshot are in flight together and durable before the swap', async () => {
    const root = join(dir, 'lake')
    await (await Repository.init(root, { author: 'test' })).close()
    const { storage, log } = recorded(await openStorage(join(root, '.dv')))
    const repo = await Repository.fromStorage(storage, { author: 'test' })
    try {
      const r = await repo.write('t', await csv('a.csv', 'id,v\n1,a\n'), { commit: true, message: 'one' })
      const swaps = log.events.filter((e) => e.startsWith('swap'))
      expect(swaps).toEqual([`swap branches/main ${r.commit!.snapshot}`])
      const swapAt = log.events.indexOf(swaps[0]!)
      const puts = log.events.filter((e) => e.startsWith('put'))
      expect(puts.length).toBeGreaterThanOrEqual(3)
      expect(puts).toContain(`put snapshot ${r.commit!.snapshot}`)
      // every put finished before the swap
      for (const p of puts) expect(log.events.indexOf(p)).toBeLessThan(swapAt)
      expect(log.maxInFlight).toBeGreaterThanOrEqual(3)
      expect((await repo.show('main', 't')).table!.rows).toBe(1)
      expect((await repo.verify({ full: true })).problems).toEqual([])
    } finally {
      await repo.close()
    }
  })

  it('a put that fails fails the commit with its error, and the branch does not move', async () => {
    const root = join(dir, 'lake')
    await (await Repository.init(root, { author: 'test' })).close()
    const isSnapshot = (bytes: Uint8Array) => new TextDecoder().decode(bytes).includes('"kind":"dv:snapshot:')
    const { storage, log } = recorded(await openStorage(join(root, '.dv')), isSnapshot)
    const repo = await Repository.fromStorage(storage, { author: 'test' })
    try {
      const before = await repo.resolve('main')
      const err = await repo.write('t', await csv('a.csv', 'id,v\n1,a\n'), { commit: true, message: 'one' }).catch((e: unknown) => e)
      expect(String(err)).toContain('injected: disk full')
      expect(log.events.filter((e) => e.startsWith('swap'))).toEqual([])
      expect(await repo.resolve('main')).toBe(before)
    } finally {
      await repo.close()
    }
  })
})
