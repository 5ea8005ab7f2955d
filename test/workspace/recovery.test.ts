/**
 * Recovery of staging (src/workspace/recovery.ts, format-spec/workspace.md):
 * changes a commit took out of staging are forgotten if the snapshot it was
 * about to publish is on the branch, and staged again otherwise; a commit
 * still running in another process is left alone. First with the landed and
 * liveness checks injected, then through the actions on a memory store with
 * real history, simulating a crash on either side of the ref update.
 */
import { mkdtemp, readdir, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SnapshotId } from '../../src/ids.js'
import { serializeSnapshot } from '../../src/format/index.js'
import { createMemoryStorage, wrapCounting } from '../../src/store/index.js'
import { DEFAULT_RETRY, commitChanges } from '../../src/table/commit.js'
import { readSnapshot } from '../../src/table/context.js'
import type { ActionContext } from '../../src/table/actions/context.js'
import { commit } from '../../src/table/actions/commit.js'
import { initStore } from '../../src/table/actions/init.js'
import { log } from '../../src/table/actions/log.js'
import { status } from '../../src/table/actions/status.js'
import { Workspace } from '../../src/workspace/workspace.js'
import { changeAt, dataFile, mainHead, repoContext } from '../support/changes.js'

let dir: string
let n = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-recovery-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A workspace in a fresh directory, over a memory store whose main holds nothing yet. */
async function setUp(): Promise<{ ctx: ActionContext; workspace: Workspace }> {
  const root = join(dir, `ws${n++}`)
  const workspace = await Workspace.prepare({ root, dvDir: join(root, '.dv') })
  const ctx: ActionContext = { ...repoContext(wrapCounting(createMemoryStorage())), retry: DEFAULT_RETRY, workspace, temp: { sweep: async () => [], list: async () => [] }, codeVersion: async () => undefined }
  await initStore(ctx)
  return { ctx, workspace }
}

/** Stages two writes to a new table `t` on main: the second planned on the first, as the staged view plans it. */
async function stageTwo(ctx: ActionContext, workspace: Workspace): Promise<string[]> {
  const head = await mainHead(ctx.storage)
  const createdMs = Date.now() // staged changes apply in the order of their creation times (then ids)
  const first = await changeAt(ctx, head, 't', { files: [await dataFile(ctx.storage, 'one')], createdMs })
  const second = await changeAt(ctx, head, 't', {
    files: [await dataFile(ctx.storage, 'two')], createdMs: createdMs + 1, creates: false, tableId: first.tableId, baseLastColumnId: first.lastColumnId,
  })
  for (const change of [first, second]) await workspace.stage('main', change)
  return [first.id, second.id]
}

const stagedIds = async (workspace: Workspace) => (await workspace.listStaged('main')).map((c) => c.id)
const takenDirs = async (workspace: Workspace) => readdir(workspace.takenDir).catch(() => [])
const SOME_SNAPSHOT = 'a'.repeat(64) as SnapshotId

describe('Workspace.recover (landed and liveness checks injected)', () => {
  it('forgets changes whose snapshot landed', async () => {
    const { ctx, workspace } = await setUp()
    await stageTwo(ctx, workspace)
    const taken = (await workspace.take('main'))!
    await workspace.markTaken(taken, SOME_SNAPSHOT)
    const asked: string[] = []
    await workspace.recover(async (branch, snapshot) => (asked.push(`${branch} ${snapshot}`), true), () => false)
    expect(asked).toEqual([`main ${SOME_SNAPSHOT}`])
    expect(await stagedIds(workspace)).toEqual([])
    expect(await takenDirs(workspace)).toEqual([])
  })

  it('stages again, in their order, changes whose snapshot did not land, or that never got one', async () => {
    const { ctx, workspace } = await setUp()
    const ids = await stageTwo(ctx, workspace)
    const taken = (await workspace.take('main'))!
    await workspace.markTaken(taken, SOME_SNAPSHOT)
    await workspace.recover(async () => false, () => false)
    expect(await stagedIds(workspace)).toEqual(ids)

    await workspace.take('main') // a crash before the snapshot was recorded: never reached the ref update
    const asked: string[] = []
    await workspace.recover(async (_, s) => (asked.push(s), true), () => false)
    expect(asked).toEqual([])
    expect(await stagedIds(workspace)).toEqual(ids)
    expect(await takenDirs(workspace)).toEqual([])
  })

  it('leaves alone what a commit still running in another process took', async () => {
    const { ctx, workspace } = await setUp()
    const ids = await stageTwo(ctx, workspace)
    const taken = (await workspace.take('main'))!
    const [name] = await takenDirs(workspace)
    const other = process.pid + 1
    const theirs = name.replace(`.${process.pid}.`, `.${other}.`)
    await rename(taken.dir, join(workspace.takenDir, theirs))
    await workspace.recover(async () => false, (pid) => pid === other)
    expect(await takenDirs(workspace)).toEqual([theirs])
    expect(await stagedIds(workspace)).toEqual([])
    await workspace.recover(async () => false, () => false) // that process is gone now
    expect(await stagedIds(workspace)).toEqual(ids)
  })
})

describe('recovery through the actions, with real history', () => {
  it('a commit that crashed after its ref update landed: status shows nothing staged, and nothing commits twice', async () => {
    const { ctx, workspace } = await setUp()
    await stageTwo(ctx, workspace)
    const taken = (await workspace.take('main'))!
    const landed = await commitChanges(ctx, {
      branch: 'main', message: 'crashed after the ref update', author: 'u', changes: taken.changes, retry: DEFAULT_RETRY,
      beforeRefUpdate: (id) => workspace.markTaken(taken, id),
    }) // ...and the process died before release()
    expect(await status(ctx)).toMatchObject({ branch: 'main', head: landed.snapshot, staged: [] })
    expect(await takenDirs(workspace)).toEqual([])
    await expect(commit(ctx, { message: 'again' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('a commit that crashed before its ref update did not land: its changes are staged again and commit once', async () => {
    const { ctx, workspace } = await setUp()
    const ids = await stageTwo(ctx, workspace)
    const taken = (await workspace.take('main'))!
    const head = await mainHead(ctx.storage)
    const parent = await readSnapshot(ctx, head)
    // the snapshot it was about to publish: written, recorded, never swapped into the ref
    const unpublished = await ctx.storage.objects.put(serializeSnapshot({ ...parent, parents: [head], timestampMs: parent.timestampMs + 1, message: 'unpublished' })) as SnapshotId
    await workspace.markTaken(taken, unpublished)
    expect((await status(ctx)).staged.map((s) => s.id)).toEqual(ids)
    const result = await commit(ctx, { message: 'retried' })
    expect(result.tables.t).toMatchObject({ operation: 'create', addedFiles: 2 })
    expect((await log(ctx, {})).map((e) => e.message)).toEqual(['retried', 'initialize repository'])
    expect((await status(ctx)).staged).toEqual([])
  })
})
