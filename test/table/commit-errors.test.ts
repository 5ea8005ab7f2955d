/**
 * The commit protocol's refusals and reports (src/table/commit.ts,
 * format-spec/commit-protocol.md) on the memory store: an empty commit, a
 * missing branch, a branch that keeps moving, a reused idempotency key, an
 * edit whose table changed, an outcome that stays unknown, and the reflog
 * line each commit writes.
 */
import { describe, expect, it } from 'vitest'
import { DvError as DvErrorClass, type DvError } from '../../src/errors.js'
import type { SnapshotId } from '../../src/ids.js'
import { serializeSnapshot } from '../../src/format/index.js'
import { readReflog } from '../../src/refs/reflog.js'
import { createMemoryStorage, wrapFaulty, type FaultPlan } from '../../src/store/index.js'
import type { Storage } from '../../src/store/types.js'
import { commitChanges, type CommitRequest } from '../../src/table/commit.js'
import { readSnapshot, readTableMetadata, type RepoContext } from '../../src/table/context.js'
import { initStore } from '../../src/table/actions/init.js'
import { changeAt, dataFile, mainHead, repoContext } from '../support/changes.js'

const [F1, F2, F3] = ['1', '2', '3'].map((d) => d.repeat(64))
const FAST_RETRY = { attempts: 3, startingDelayMs: 1, maxDelayMs: 2, totalMs: 30_000 }

async function repo(plan?: FaultPlan): Promise<{ storage: Storage; ctx: RepoContext; inner: Storage }> {
  const inner = createMemoryStorage()
  await initStore(repoContext(inner))
  const storage = plan ? wrapFaulty(inner, plan) : inner
  return { storage, ctx: repoContext(storage), inner }
}

function request(message: string, changes: CommitRequest['changes'], extra: Partial<CommitRequest> = {}): CommitRequest {
  return { branch: 'main', message, author: 'unit', changes, retry: FAST_RETRY, ...extra }
}

async function appendOne(ctx: RepoContext, label: string, table = 't'): Promise<CommitRequest['changes'][number]> {
  return changeAt(ctx, await mainHead(ctx.storage), table, { files: [await dataFile(ctx.storage, label)] })
}

async function failure(p: Promise<unknown>): Promise<DvError> {
  return p.then(() => { throw new Error('expected a failure') }, (e: DvError) => e)
}

describe('refusals', () => {
  it('refuses an empty commit unless allowed, naming the branch; an edit alone is not empty', async () => {
    const { ctx, storage } = await repo()
    const head = await mainHead(storage)
    const e = await failure(commitChanges(ctx, request('nothing', [])))
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', message: "nothing to commit on branch 'main'", hint: 'stage a change with `dv write TABLE FILE`, or pass --allow-empty' })
    expect(await mainHead(storage)).toBe(head)
    const empty = await commitChanges(ctx, request('empty', [], { allowEmpty: true }))
    expect(empty.parents).toEqual([head])
    expect(empty.tables).toEqual({})
  })

  it('refuses a branch that does not exist, and a bad branch name', async () => {
    const { ctx } = await repo()
    const e = await failure(commitChanges(ctx, request('x', [await appendOne(ctx, 'x')], { branch: 'nope' })))
    expect(e).toMatchObject({ code: 'NOT_FOUND', message: "branch 'nope' does not exist", hint: 'create it with `dv branch NAME [REV]`' })
    expect((await failure(commitChanges(ctx, request('x', [], { branch: 'a..b', allowEmpty: true })))).code).toBe('INVALID_ARGUMENT')
  })

  it('gives up on a branch that keeps moving after the policy\'s attempts: CONFLICT, nothing applied', async () => {
    const { ctx, storage } = await repo()
    let moves = 0
    const mover = async (): Promise<void> => {
      const head = await mainHead(storage)
      const s = await readSnapshot(ctx, head)
      const other = await storage.objects.put(serializeSnapshot({ ...s, parents: [head], timestampMs: s.timestampMs + 1, message: `other ${moves++}`, summary: {} }))
      await storage.refs.compareAndSwap('branches/main', head, other as SnapshotId)
    }
    const e = await failure(commitChanges(ctx, request('mine', [await appendOne(ctx, 'mine')], {
      retry: { attempts: 2, startingDelayMs: 1, maxDelayMs: 1, totalMs: 30_000 }, beforeRefUpdate: mover,
    })))
    expect(moves).toBe(2)
    expect(e.code).toBe('CONFLICT')
    expect(e.message).toMatch(/^branch 'main' kept moving: gave up after 2 attempts or 30000 ms \(last read at [0-9a-f]{7}\)$/)
    expect(e.hint).toBe('nothing was applied; retry the command (with the same --idempotency-key, if any)')
    expect(e.details).toEqual({ branch: 'main' })
    expect((await readSnapshot(ctx, await mainHead(storage))).message).toBe('other 1')
  })

  it('stops retrying once the policy\'s total time is spent, whatever attempts are left', async () => {
    const { ctx, storage } = await repo()
    let moves = 0
    const mover = async (): Promise<void> => {
      moves++
      const head = await mainHead(storage)
      const s = await readSnapshot(ctx, head)
      const other = await storage.objects.put(serializeSnapshot({ ...s, parents: [head], timestampMs: s.timestampMs + 1, summary: {} }))
      await storage.refs.compareAndSwap('branches/main', head, other as SnapshotId)
    }
    const e = await failure(commitChanges(ctx, request('mine', [await appendOne(ctx, 'mine')], {
      retry: { attempts: 50, startingDelayMs: 1, maxDelayMs: 1, totalMs: 0 }, beforeRefUpdate: mover,
    })))
    expect(e.code).toBe('CONFLICT')
    expect(moves).toBe(1)
  })

  it('refuses an idempotency key already used for a different request', async () => {
    const { ctx, storage } = await repo()
    const first = await commitChanges(ctx, request('keyed', [await appendOne(ctx, 'a')], { idempotencyKey: 'k', fingerprint: F1 }))
    const same = await commitChanges(ctx, request('keyed', [await appendOne(ctx, 'a2')], { idempotencyKey: 'k', fingerprint: F1 }))
    expect(same).toMatchObject({ snapshot: first.snapshot, idempotentReplay: true })
    const e = await failure(commitChanges(ctx, request('keyed', [await appendOne(ctx, 'b')], { idempotencyKey: 'k', fingerprint: F2 })))
    expect(e).toMatchObject({
      code: 'CONFLICT', hint: 'use a new key for new content; a retry must send the same input',
      message: `idempotency key 'k' was already used by snapshot ${first.snapshot.slice(0, 7)} for a different request`,
      details: { snapshot: first.snapshot, idempotencyKey: 'k' },
    })
    expect(await mainHead(storage)).toBe(first.snapshot)
    // a key without a fingerprint records none, and replays for any request
    const bare = await commitChanges(ctx, request('bare', [await appendOne(ctx, 'c')], { idempotencyKey: 'k2' }))
    expect((await readSnapshot(ctx, bare.snapshot as SnapshotId)).fingerprint).toBeUndefined()
    expect(await commitChanges(ctx, request('bare', [await appendOne(ctx, 'd')], { idempotencyKey: 'k2', fingerprint: F3 }))).toMatchObject({ snapshot: bare.snapshot, idempotentReplay: true })
  })

  it('refuses an edit computed on table metadata that has changed since (table-changed)', async () => {
    const { ctx, storage } = await repo()
    await commitChanges(ctx, request('create', [await appendOne(ctx, 'a')]))
    const base = await mainHead(storage)
    const baseTable = (await readSnapshot(ctx, base)).tables.t
    const meta = await readTableMetadata(ctx, baseTable)
    const edit = { table: 't', baseTable, baseSnapshot: base, next: { ...meta, schema: { fields: meta.schema.fields.map((f) => ({ ...f, required: true })) }, identifierFieldIds: [1] }, what: 'set-key' }
    await commitChanges(ctx, request('concurrent', [await appendOne(ctx, 'b')]))
    const head = await mainHead(storage)
    const now = (await readSnapshot(ctx, head)).tables.t
    const e = await failure(commitChanges(ctx, request('key', [], { edits: [edit] })))
    expect(e).toMatchObject({ code: 'CONFLICT', details: { rule: 'table-changed', table: 't', base, head } })
    expect(e.message).toBe(`set-key of table 't' (read at snapshot ${base.slice(0, 7)}) conflicts with snapshot ${head.slice(0, 7)}: the table changed (metadata ${baseTable.slice(0, 7)} -> ${now.slice(0, 7)})`)
    // the same edit twice in one request: the second read a table the first changed
    const fresh = { ...edit, baseTable: now, baseSnapshot: head }
    expect((await failure(commitChanges(ctx, request('twice', [], { edits: [fresh, fresh] })))).details.rule).toBe('table-changed')
    // on the head it was computed from, it lands as a schema change of its own
    const landed = await commitChanges(ctx, request('key', [], { edits: [fresh] }))
    expect(landed.tables).toEqual({ t: { operation: 'schema', addedFiles: 0, removedFiles: 0, addedRows: 0, removedRows: 0, addedBytes: 0, removedBytes: 0 } })
    expect((await readTableMetadata(ctx, (await readSnapshot(ctx, landed.snapshot as SnapshotId)).tables.t)).identifierFieldIds).toEqual([1])
  })
})

describe('queues', () => {
  it('keep the commits of two memory stores apart, even issued in one tick', async () => {
    const [a, b] = [await repo(), await repo()]
    const [blocker, ca, cb] = [await appendOne(a.ctx, 'first', 'x'), await appendOne(a.ctx, 'in-a'), await appendOne(b.ctx, 'in-b')]
    // 'to a' and 'to b' both wait behind 'first': one shared queue would land them as one batch on one store
    const [, ra, rb] = await Promise.all([
      commitChanges(a.ctx, request('first', [blocker])), commitChanges(a.ctx, request('to a', [ca])), commitChanges(b.ctx, request('to b', [cb])),
    ])
    expect(await mainHead(a.storage)).toBe(ra.snapshot)
    expect(await mainHead(b.storage)).toBe(rb.snapshot)
    expect((await readSnapshot(b.ctx, await mainHead(b.storage))).message).toBe('to b')
  })
})

describe('unknown outcomes', () => {
  it('reports OUTCOME_UNKNOWN when the ref cannot be re-read after a lost response', async () => {
    const { ctx, inner } = await repo({ lostResponseOnCas: [1] })
    const reading = { ...ctx, storage: { ...ctx.storage, refs: { ...ctx.storage.refs } } }
    let gets = 0
    // the ref update's response is lost, and so is every later read of the ref (the branch's: the
    // settings read before the update, format-spec/settings.md#enforcement, is not this ref)
    reading.storage.refs.get = async (name) => {
      if (name === 'branches/main' && ++gets > 1) throw new Error('network down')
      return ctx.storage.refs.get(name)
    }
    const change = await changeAt(ctx, await mainHead(inner), 't', { files: [await dataFile(inner, 'y')] })
    const e = await failure(commitChanges(reading, request('lost', [change], { idempotencyKey: 'k9' })))
    expect(e.code).toBe('OUTCOME_UNKNOWN')
    expect(e.message).toMatch(/^the commit [0-9a-f]{7} to branch 'main' may or may not have landed$/)
    expect(e.hint).toBe('check with `dv log main`, or retry with the same --idempotency-key k9; nothing was deleted')
    expect(e.details).toMatchObject({ branch: 'main' })
    expect((e.details as { snapshot: string }).snapshot).toBe(await mainHead(inner)) // it did land
  })
})

describe('unknown outcomes that did not land', () => {
  it('report OUTCOME_UNKNOWN when the ref update may have failed and the branch does not hold the commit', async () => {
    const { ctx, inner } = await repo()
    const head = await mainHead(inner)
    // a ref store whose update fails with an unknown outcome without applying (a timeout before the write)
    const refs = { ...inner.refs, compareAndSwap: () => Promise.reject(new DvErrorClass('OUTCOME_UNKNOWN', 'timed out')) }
    const lossy = { ...ctx, storage: { ...ctx.storage, refs } }
    const e = await failure(commitChanges(lossy, request('maybe', [await appendOne(ctx, 'm')])))
    expect(e.code).toBe('OUTCOME_UNKNOWN')
    expect(e.hint).toBe('check with `dv log main`; nothing was deleted')
    expect(await mainHead(inner)).toBe(head)
  })
})

describe('snapshots', () => {
  it('keep the tables a commit does not touch, and record a fingerprint only with an idempotency key', async () => {
    const { ctx, storage } = await repo()
    await commitChanges(ctx, request('x', [await appendOne(ctx, 'x', 'x')]))
    const r = await commitChanges(ctx, request('t', [await appendOne(ctx, 't')], { fingerprint: F1 }))
    const s = await readSnapshot(ctx, r.snapshot as SnapshotId)
    expect(Object.keys(s.tables).sort()).toEqual(['t', 'x'])
    expect(s.fingerprint).toBeUndefined()
    expect(await mainHead(storage)).toBe(r.snapshot)
  })
})

describe('reflog lines', () => {
  it('are "commit: SUBJECT" for one commit and "commit (N commits): SUBJECT" for a group, SUBJECT the last first line', async () => {
    const { ctx, storage } = await repo()
    await commitChanges(ctx, request('one\n\nbody', [await appendOne(ctx, 'a')]))
    const changes = [await appendOne(ctx, 'b'), await appendOne(ctx, 'c'), await appendOne(ctx, 'd')]
    await Promise.all(changes.map((c, i) => commitChanges(ctx, request(`g${i}\nmore`, [c]))))
    const log = await readReflog(storage, 'branches/main')
    expect(log.items.slice(0, 3).map((i) => i.entry?.message)).toEqual(['commit (2 commits): g2', 'commit: g0', 'commit: one'])
  })
})
