/**
 * Model-based test: random sequences of ref operations give the same answers
 * on every backend as on a plain Map.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DvError } from '../../src/errors.js'
import type { SnapshotId } from '../../src/ids.js'
import { openLocalStorage } from '../../src/store/local.js'
import { createMemoryStorage } from '../../src/store/memory.js'
import type { Storage } from '../../src/store/types.js'

const NAMES = ['branches/main', 'branches/dev', 'branches/feature/x', 'branches/feature/y', 'tags/v1', 'tags/release/1.0']
const snap = (n: number) => createHash('sha256').update(`s${n}`).digest('hex') as SnapshotId

type Op = { name: string; expectCurrent: boolean; staleWith: number; next: number | null }

const opArb: fc.Arbitrary<Op> = fc.record({
  name: fc.constantFrom(...NAMES),
  expectCurrent: fc.boolean(),
  staleWith: fc.integer({ min: 0, max: 3 }),
  next: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
})

async function check(storage: Storage, ops: Op[]): Promise<void> {
  const model = new Map<string, SnapshotId>()
  for (const op of ops) {
    const current = model.get(op.name) ?? null
    const expected = op.expectCurrent ? current : op.staleWith === 0 ? null : snap(op.staleWith)
    const next = op.next === null ? null : snap(op.next)
    let outcome: string
    try {
      const value = await storage.refs.compareAndSwap(op.name, expected, next)
      outcome = `ok ${value?.snapshot ?? 'deleted'}`
    } catch (e) {
      if (!(e instanceof DvError) || e.code !== 'CONFLICT') throw e
      outcome = 'conflict'
    }
    const modelOutcome = expected === current ? `ok ${next ?? 'deleted'}` : 'conflict'
    expect(outcome).toBe(modelOutcome)
    if (modelOutcome !== 'conflict') {
      if (next === null) model.delete(op.name)
      else model.set(op.name, next)
    }
  }
  const listed = await storage.refs.list('')
  expect(listed.map((r) => [r.name, r.value.snapshot])).toEqual([...model.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))
}

describe('refs behave like a map updated by compare-and-swap', () => {
  it('memory', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), (ops) => check(createMemoryStorage(), ops)), { numRuns: 100 })
  })

  it('local', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dv-refs-model-'))
    try {
      let run = 0
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), (ops) => check(openLocalStorage(join(dir, `r${run++}`)), ops)),
        { numRuns: 40 },
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
