/**
 * The contract check is part of every commit attempt
 * (format-spec/contracts.md#enforcement, step 4): when the compare-and-swap
 * finds the branch moved, the commit is rebuilt on the new head and the
 * contract is evaluated again, on the new result. A statistics-only rule
 * (rowCount) keeps this test free of a data engine.
 */
import { describe, expect, it } from 'vitest'
import type { SnapshotId } from '../../src/ids.js'
import { CONTRACT_FORMAT } from '../../src/format/types.js'
import { createMemoryStorage, wrapCounting } from '../../src/store/index.js'
import { buildSnapshot, commitChanges, type CommitRequest } from '../../src/table/commit.js'
import { readSnapshot, readTableMetadata } from '../../src/table/context.js'
import { initStore } from '../../src/table/actions/init.js'
import { changeAt, dataFile, mainHead, repoContext } from '../support/changes.js'

const CONTRACT = 'apiVersion: v3.1.0\nkind: DataContract\nid: t\nversion: 1.0.0\nstatus: active\nschema:\n  - name: t\n    quality:\n      - {metric: rowCount, mustBeLessOrEqualTo: 2}\n'
const FAST_RETRY = { attempts: 3, startingDelayMs: 1, maxDelayMs: 2, totalMs: 30_000 }

function request(message: string, changes: CommitRequest['changes'], extra: Partial<CommitRequest> = {}): CommitRequest {
  return { branch: 'main', message, author: 'unit', changes, retry: FAST_RETRY, ...extra }
}

describe('a commit that rebases', () => {
  it('passes its first attempt, then fails QUALITY on the head a concurrent commit made; the branch keeps the other commit', async () => {
    const storage = wrapCounting(createMemoryStorage())
    const ctx = repoContext(storage)
    await initStore(ctx)
    await commitChanges(ctx, request('create t', [await changeAt(ctx, await mainHead(storage), 't', { files: [await dataFile(storage, 'f0')] })]))
    const head = await mainHead(storage)
    const tableId = (await readSnapshot(ctx, head)).tables.t!
    const meta = await readTableMetadata(ctx, tableId)
    await commitChanges(ctx, request('contract', [], { edits: [{ table: 't', baseTable: tableId, baseSnapshot: head, next: { ...meta, contract: { format: CONTRACT_FORMAT, text: CONTRACT } }, what: 'contract-set' }] }))
    const mine = await changeAt(ctx, await mainHead(storage), 't', { files: [await dataFile(storage, 'mine')] })
    let other: SnapshotId | undefined
    let attempts = 0
    const err = await commitChanges(ctx, request('mine', [mine], {
      beforeRefUpdate: async () => {
        attempts++
        if (other) return
        // another writer appends one row between this attempt's check and its ref update: 2 rows, within the contract
        const at = await mainHead(storage)
        const built = await buildSnapshot(ctx, { changes: [await changeAt(ctx, at, 't', { files: [await dataFile(storage, 'other')] })], author: 'bob', message: 'other' }, at, await readSnapshot(ctx, at))
        other = built.id
        await storage.refs.compareAndSwap('branches/main', at, other)
      },
    })).catch((e: unknown) => e)
    expect(attempts).toBe(1) // the first attempt passed the check (1 + 1 rows); the second did not reach the ref update
    expect(err).toMatchObject({ code: 'QUALITY' })
    expect((err as Error).message).toContain('rowCount')
    expect(await mainHead(storage)).toBe(other)
  })
})
