/**
 * `dv reset` and unstaging through the library on a local repository with a
 * workspace (format-spec/workspace.md#reset, #unstaging).
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Repository, type DvError } from '../../src/index.js'
import { useTempDir } from '../support/temp-dir.js'
import { catchDvError } from '../conformance/storage-conformance.js'

const tmp = useTempDir('dv-reset-')
const { csv } = tmp

/** A repository with main at c3 -> c2 -> c1 -> root. */
async function history(name: string): Promise<{ repo: Repository; c: string[] }> {
  const repo = await Repository.init(join(tmp.path, name), { author: 'ann' })
  const c: string[] = [await repo.resolve('main')]
  for (const i of [1, 2, 3]) c.push((await repo.write('t', await csv(`${i},k\n`), { commit: true, message: `c${i}` })).commit!.snapshot)
  return { repo, c }
}

describe('reset', () => {
  it('moves the branch back only with --force, naming how many commits it drops; branch restore NAME@{1} brings the exact head back', async () => {
    const { repo, c } = await history('back')
    const refused = await catchDvError(() => repo.reset('main~2'))
    expect(refused.code).toBe('INVALID_ARGUMENT')
    expect(refused.message).toMatch(/would drop 2 commit\(s\) from it/)
    expect(refused.hint).toContain('dv branch restore main@{1}')
    expect(await repo.resolve('main')).toBe(c[3])
    expect((await repo.reflog('main')).entries).toHaveLength(4) // nothing logged by the refusal

    expect(await repo.reset('main~2', { force: true })).toMatchObject({ branch: 'main', mode: 'mixed', snapshot: c[1], previous: c[3], dropped: 2, unstaged: 0 })
    expect((await repo.log()).map((e) => e.message)).toEqual(['c1', 'initialize repository'])
    expect((await repo.reflog('main')).entries[0]).toMatchObject({ selector: 'main@{0}', snapshot: c[1], previous: c[3], message: 'reset --force main~2' })
    expect(await repo.restoreBranch('main@{1}')).toMatchObject({ snapshot: c[3], dropped: 0 })
    expect(await repo.resolve('main')).toBe(c[3])
    expect((await repo.show('main', 't')).table!.rows).toBe(3)
    await repo.close()
  })

  it('moves forward without --force; the same REV changes nothing and logs nothing', async () => {
    const { repo, c } = await history('forward')
    await repo.createBranch('old', c[1])
    await repo.checkout('old')
    expect(await repo.reset('main')).toMatchObject({ branch: 'old', snapshot: c[3], dropped: 0 })
    const logged = (await repo.reflog('old')).entries.length
    expect(await repo.reset('main')).toMatchObject({ snapshot: c[3], previous: c[3] })
    expect((await repo.reflog('old')).entries).toHaveLength(logged)
    expect((await repo.reflog()).name).toBe('old') // the checked-out branch by default
    await repo.close()
  })

  it('--soft and --mixed keep the staged changes, --hard discards them; a kept append rebases onto the new head', async () => {
    const { repo, c } = await history('modes')
    await repo.write('t', await csv('10,staged\n'))
    await repo.write('u', await csv('20,other\n'))
    expect(await repo.reset('main~1', { mode: 'soft', force: true })).toMatchObject({ unstaged: 0 })
    expect((await repo.status()).staged).toHaveLength(2)
    expect(await repo.reset(c[3]!, { mode: 'mixed' })).toMatchObject({ unstaged: 0 })
    expect((await repo.status()).staged).toHaveLength(2)
    await repo.reset('main~1', { mode: 'hard', force: true }).then((r) => expect(r).toMatchObject({ mode: 'hard', unstaged: 2, dropped: 1 }))
    expect((await repo.status()).staged).toEqual([])
    expect((await repo.reflog()).entries[0]!.message).toBe('reset --hard --force main~1')

    await repo.write('t', await csv('11,kept\n'))
    await repo.reset(c[3]!, { mode: 'soft' })
    await repo.commit({ message: 'after reset' })
    expect((await repo.show('main', 't')).table!.rows).toBe(4)
    await repo.close()
  })

  it('refuses a detached HEAD and an unknown REV; bad input writes nothing', async () => {
    const { repo, c } = await history('bad')
    const before = await repo.reflog('main')
    expect((await catchDvError(() => repo.reset('nope'))).code).toBe('NOT_FOUND')
    expect((await catchDvError(() => repo.reset('main@{9}'))).code).toBe('NOT_FOUND')
    expect((await catchDvError(() => repo.reset('main', { mode: 'sideways' as never }))).code).toBe('INVALID_ARGUMENT')
    await repo.checkout(c[2]!)
    expect((await catchDvError(() => repo.reset('main'))).message).toMatch(/detached/)
    expect(await repo.reflog('main')).toEqual(before)
    await repo.close()
  })
})

describe('unstaging', () => {
  it('keeps a table staged twice as two changes, unstages one by id, then a table, then all', async () => {
    const repo = await Repository.init(join(tmp.path, 'unstage'), { author: 'ann' })
    const a = (await repo.write('t', await csv('1,a\n'))).staged!.id
    const b = (await repo.write('t', await csv('2,b\n'))).staged!.id
    await repo.write('u', await csv('3,c\n'))
    await repo.write('v', await csv('4,d\n'))
    expect((await repo.status()).staged.map((s) => [s.table, s.id])).toEqual([['t', a], ['t', b], ['u', expect.any(String)], ['v', expect.any(String)]])

    expect(await repo.unstage({ change: b.slice(0, 6) })).toMatchObject({ branch: 'main', unstaged: [{ id: b, table: 't', rows: 1 }] })
    expect((await repo.status()).staged.map((s) => s.id)).not.toContain(b)
    expect((await repo.unstage({ tables: ['t'] })).unstaged.map((s) => s.id)).toEqual([a])
    expect((await repo.unstage()).unstaged.map((s) => s.table)).toEqual(['u', 'v'])
    expect((await repo.status()).staged).toEqual([])
    await repo.close()
  })

  it('refuses what is not staged, unknown or ambiguous ids, before removing anything', async () => {
    const repo = await Repository.init(join(tmp.path, 'unstage-bad'), { author: 'ann' })
    expect((await catchDvError(() => repo.unstage())).code).toBe('NOT_FOUND')
    await repo.write('t', await csv('1,a\n'))
    const staged = (await repo.status()).staged
    expect((await catchDvError(() => repo.unstage({ tables: ['t', 'nope'] }))).message).toMatch(/'nope' have no staged changes/)
    expect((await catchDvError(() => repo.unstage({ tables: ['bad name'] }))).code).toBe('INVALID_ARGUMENT')
    expect((await catchDvError(() => repo.unstage({ change: 'ffffffff' }))).code).toBe('NOT_FOUND')
    expect((await catchDvError(() => repo.unstage({ change: 'ab' }))).code).toBe('INVALID_ARGUMENT')
    expect((await repo.status()).staged).toEqual(staged)
    await repo.close()
  })

  it('is safe against concurrent writes and commits in the same workspace: no staged row is lost or committed twice', async () => {
    for (let round = 0; round < 4; round++) {
      const root = join(tmp.path, `unstage-race-${round}`)
      const repo = await Repository.init(root, { author: 'ann' })
      const inputs = await Promise.all(Array.from({ length: 12 }, (_, i) => csv(`${100 + i},r\n`)))
      for (const p of inputs.slice(0, 6)) await repo.write('t', p)
      const other = await Repository.open(root, { author: 'bob' })
      const [unstaged, , committed] = await Promise.allSettled([
        repo.unstage({ tables: ['t'] }),
        Promise.all(inputs.slice(6).map((p) => other.write('t', p))),
        other.commit({ message: 'race' }),
      ])
      let removed = 0
      if (unstaged.status === 'fulfilled') removed = unstaged.value.unstaged.length
      else {
        // NOT_FOUND: the commit took every staged change first; CONFLICT: it took some of those being unstaged
        expect(['NOT_FOUND', 'CONFLICT']).toContain((unstaged.reason as DvError).code)
        removed = ((unstaged.reason as DvError).details.unstaged as string[] | undefined)?.length ?? 0
      }
      if (committed.status === 'rejected') expect((committed.reason as DvError).code).toBe('INVALID_ARGUMENT') // nothing left to commit
      const landed = committed.status === 'fulfilled' ? committed.value.tables.t!.addedRows : 0
      const left = (await repo.status()).staged.reduce((sum, c) => sum + c.rows, 0)
      expect(removed + landed + left, `round ${round}`).toBe(12)
      expect((await readdir(join(root, '.dv', 'tmp'))).filter((x) => x.startsWith('unstaged-'))).toEqual([])
      await other.close()
      await repo.close()
    }
  })
})
