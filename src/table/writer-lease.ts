/**
 * The lease of a writer in flight (format-spec/gc.md#writers-in-flight): an
 * action that stores data files in a remote store before its commit lands
 * (a write, a rewrite, a compaction of many partitions, a merge) names them
 * in a lease of its own once it has run for `afterMs`, renews it every
 * `everyMs` while it runs, and deletes it when it ends, after its commit
 * landed or failed. gc run elsewhere keeps what a live lease names, so an
 * action that outlasts the grace period loses nothing; a short one never
 * writes a lease (the grace period covers it).
 */
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { ObjectId } from '../ids.js'
import { leaseName, serializeLease } from '../format/index.js'
import type { LeaseStore } from '../store/types.js'

export interface WriterLeaseTiming {
  /** How long an action runs before it writes its lease (default 10 minutes, well below the 1 h grace floor). */
  afterMs: number
  /** How often the lease is written again while the action runs (default 10 minutes). */
  everyMs: number
  /** The lease's `ttl-ms` (default 30 minutes: three renewals). */
  ttlMs: number
}

export const WRITER_LEASE_TIMING: WriterLeaseTiming = { afterMs: 10 * 60_000, everyMs: 10 * 60_000, ttlMs: 30 * 60_000 }

/** What an action tells its lease: the data objects it stored and has not committed yet. */
export interface HeldObjects {
  add(ids: Iterable<ObjectId>): void
}

export interface WriterLease extends HeldObjects {
  /** Stops renewing and deletes the lease if one was written (a failed delete leaves it to expire). */
  release(): Promise<void>
}

export function writerLease(leases: LeaseStore, timing: WriterLeaseTiming = WRITER_LEASE_TIMING): WriterLease {
  const holder = `${hostname()} pid ${process.pid} (a dv write in flight)`
  const name = leaseName(`${holder} ${randomUUID()}`)
  const objects = new Set<ObjectId>()
  let timer: NodeJS.Timeout | undefined
  let writing: Promise<void> = Promise.resolve()
  let written = false
  let released = false

  const put = (): void => {
    // one put at a time, in order; a failed put is tried again at the next renewal (the grace period still holds)
    writing = writing.then(async () => {
      if (released) return
      try {
        await leases.put(name, serializeLease({ holder, ttlMs: timing.ttlMs, snapshots: [], tables: [], manifests: [], objects: [...objects] }))
        written = true
      } catch {
        // renewed at the next tick
      }
    })
  }
  const schedule = (ms: number): void => {
    timer = setTimeout(() => {
      put()
      schedule(timing.everyMs)
    }, ms)
    timer.unref()
  }

  return {
    add(ids) {
      if (released) return
      for (const id of ids) objects.add(id)
      if (timer === undefined && objects.size > 0) schedule(timing.afterMs)
    },
    async release() {
      released = true
      clearTimeout(timer)
      await writing
      if (written) await leases.delete(name).catch(() => undefined)
    },
  }
}
