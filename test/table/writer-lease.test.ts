/**
 * The writer lease's schedule (src/table/writer-lease.ts,
 * format-spec/gc.md#writers-in-flight) against a lease store in memory that
 * records every call: nothing for a short action, then a lease naming what
 * was stored so far, renewed with what came since, deleted at the end.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parseLease } from '../../src/format/index.js'
import type { ObjectId } from '../../src/ids.js'
import type { LeaseStore } from '../../src/store/types.js'
import { writerLease } from '../../src/table/writer-lease.js'

const id = (c: string) => c.repeat(64) as ObjectId
// fake timers: the schedule is exact whatever the machine's load
const sleep = (ms: number) => vi.advanceTimersByTimeAsync(ms)

function recordingStore(failPuts = 0): LeaseStore & { calls: string[]; last?: Uint8Array } {
  const store = {
    calls: [] as string[],
    last: undefined as Uint8Array | undefined,
    async put(name: string, bytes: Uint8Array) {
      if (failPuts-- > 0) {
        store.calls.push(`put-failed ${name}`)
        throw new Error('503 Slow Down')
      }
      store.calls.push(`put ${name} ${parseLease(bytes).objects.map((o) => o[0]).join('')}`)
      store.last = bytes
    },
    async delete(name: string) {
      store.calls.push(`delete ${name}`)
    },
    async list() {
      return []
    },
  }
  return store
}

const timing = { afterMs: 60, everyMs: 60, ttlMs: 1_800_000 }

describe('writer lease', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('an action that ends before the delay writes and deletes nothing', async () => {
    const store = recordingStore()
    const lease = writerLease(store, timing)
    lease.add([id('a')])
    await sleep(20)
    await lease.release()
    await sleep(80)
    expect(store.calls).toEqual([])
  })

  it('no stored object, no lease, however long the action runs', async () => {
    const store = recordingStore()
    const lease = writerLease(store, timing)
    lease.add([])
    await sleep(100)
    await lease.release()
    expect(store.calls).toEqual([])
  })

  it('names what was stored after the delay, renews with what came since, and is deleted at the end', async () => {
    const store = recordingStore()
    const lease = writerLease(store, timing)
    lease.add([id('b'), id('a')])
    await sleep(90) // the first put at 60 ms
    lease.add([id('c'), id('a')])
    await sleep(60) // the renewal at 120 ms
    await lease.release()
    const names = new Set(store.calls.map((c) => c.split(' ')[1]))
    expect(names.size).toBe(1)
    const [name] = names
    expect(name).toMatch(/^[0-9a-f]{16}$/)
    expect(store.calls).toEqual([`put ${name} ab`, `put ${name} abc`, `delete ${name}`])
    const written = parseLease(store.last!)
    expect(written).toMatchObject({ ttlMs: 1_800_000, snapshots: [], tables: [], manifests: [] })
    expect(written.holder).toMatch(/ pid \d+ \(a dv write in flight\)$/)
    await sleep(80)
    expect(store.calls).toHaveLength(3) // nothing after release
    lease.add([id('d')])
    await sleep(80)
    expect(store.calls).toHaveLength(3)
  })

  it('a failed put is tried again at the next renewal', async () => {
    const store = recordingStore(1)
    const lease = writerLease(store, timing)
    lease.add([id('e')])
    await sleep(150)
    await lease.release()
    expect(store.calls.map((c) => c.split(' ')[0])).toEqual(['put-failed', 'put', 'delete'])
  })

  it('a lease that was never written is not deleted', async () => {
    const store = recordingStore(5)
    const lease = writerLease(store, timing)
    lease.add([id('f')])
    await sleep(90)
    await lease.release()
    expect(store.calls.map((c) => c.split(' ')[0])).toEqual(['put-failed'])
  })
})
