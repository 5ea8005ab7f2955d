/**
 * `dv fsck` through the library (format-spec/gc.md#verification-dv-fsck): a
 * flipped byte in each kind of object, and in a ref, is reported with the
 * refs that reach it; a missing object is NOT_FOUND; nothing is repaired.
 */
import { createHash } from 'node:crypto'
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { parseManifest, parseSnapshot, parseTableMetadata } from '../../src/format/index.js'

let dir: string
let lake: string
const ids: Record<'snapshot' | 'table' | 'manifest' | 'data', string> = { snapshot: '', table: '', manifest: '', data: '' }

const objectPath = (root: string, id: string) => join(root, '.dv', 'objects', id.slice(0, 2), id)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-fsck-'))
  lake = join(dir, 'lake')
  const input = join(dir, 'in.csv')
  await writeFile(input, 'id,kind\n1,a\n2,b\n')
  const repo = await Repository.init(lake, { author: 'ann' })
  await repo.write('t', input, { commit: true, message: 'one' })
  await repo.createBranch('side')
  await repo.createTag('v1')
  ids.snapshot = await repo.resolve('main')
  await repo.close()
  const snap = parseSnapshot(await readFile(objectPath(lake, ids.snapshot)))
  ids.table = snap.tables.t
  const table = parseTableMetadata(await readFile(objectPath(lake, ids.table)))
  ids.manifest = table.manifests[0].id
  ids.data = parseManifest(await readFile(objectPath(lake, ids.manifest))).files[0].id
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A copy of the lake with `damage` applied, verified by a fresh Repository. */
async function fsckAfter(name: string, damage: (root: string) => Promise<void>, full = false) {
  const root = join(dir, name)
  await cp(lake, root, { recursive: true })
  await damage(root)
  const repo = await Repository.open(root)
  try {
    return await repo.verify({ full })
  } finally {
    await repo.close()
  }
}

async function flipByte(path: string, at = 20): Promise<void> {
  const bytes = await readFile(path)
  await chmod(path, 0o644)
  bytes[Math.min(at, bytes.length - 1)] ^= 0x01
  await writeFile(path, bytes)
}

describe('fsck', () => {
  it('is clean on an intact repository, with and without --full', async () => {
    const repo = await Repository.open(lake)
    expect((await repo.verify()).problems).toEqual([])
    const full = await repo.verify({ full: true })
    expect(full).toMatchObject({ ok: true, full: true, dataFiles: 1 })
    // --full opened the engine, whose scratch directory is fsck's own: not a leftover to report
    expect(full.temporary).toEqual({ bytes: 0, entries: [] })
    await repo.close()
  })

  it.each(['snapshot', 'table', 'manifest'] as const)('a flipped byte in the %s is CORRUPT, naming it and every ref that reaches it', async (kind) => {
    const result = await fsckAfter(`flip-${kind}`, (root) => flipByte(objectPath(root, ids[kind])))
    expect(result.ok).toBe(false)
    expect(result.problems).toEqual([expect.objectContaining({ object: ids[kind], kind, code: 'CORRUPT', refs: ['branches/main', 'branches/side', 'tags/v1'] })])
  })

  it('a flipped byte in a data file is found by --full (re-hash), not by the quick check', async () => {
    const damage = (root: string) => flipByte(objectPath(root, ids.data), 200)
    expect((await fsckAfter('flip-data-quick', damage)).problems).toEqual([])
    const result = await fsckAfter('flip-data-full', damage, true)
    expect(result.problems).toEqual([expect.objectContaining({ object: ids.data, kind: 'data', code: 'CORRUPT', refs: ['branches/main', 'branches/side', 'tags/v1'] })])
  })

  it('a missing object of each kind is NOT_FOUND with the refs that reach it', async () => {
    for (const kind of ['snapshot', 'table', 'manifest', 'data'] as const) {
      const result = await fsckAfter(`missing-${kind}`, (root) => rm(objectPath(root, ids[kind])))
      expect(result.problems, kind).toEqual([expect.objectContaining({ object: ids[kind], kind, code: 'NOT_FOUND', refs: ['branches/main', 'branches/side', 'tags/v1'] })])
    }
  })

  it('a ref whose byte flip names another snapshot reports that snapshot missing, reached from that ref alone', async () => {
    const result = await fsckAfter('flip-ref', async (root) => {
      const ref = join(root, '.dv', 'refs', 'branches', 'side')
      const text = await readFile(ref, 'utf8')
      await writeFile(ref, `${text[0] === 'a' ? 'b' : 'a'}${text.slice(1)}`)
    })
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'snapshot', code: 'NOT_FOUND', refs: ['branches/side'] })])
  })

  it('a ref file that is not a snapshot id is CORRUPT, naming the file', async () => {
    const result = await fsckAfter('garbage-ref', (root) => writeFile(join(root, '.dv', 'refs', 'tags', 'v1'), 'not an id\n'))
    expect(result.problems).toEqual([expect.objectContaining({ ref: 'tags/', code: 'CORRUPT', message: expect.stringContaining(join('refs', 'tags', 'v1')) })])
  })

  it('never repairs: a damaged object stays as it was', async () => {
    const root = join(dir, 'no-repair')
    await fsckAfter('no-repair', (r) => flipByte(objectPath(r, ids.manifest)))
    const before = await readFile(objectPath(root, ids.manifest))
    const repo = await Repository.open(root)
    await repo.verify({ full: true })
    await repo.close()
    expect(await readFile(objectPath(root, ids.manifest))).toEqual(before)
  })

  it('counts the data files of staged changes apart from dangling objects', async () => {
    const root = join(dir, 'staged')
    await cp(lake, root, { recursive: true })
    const input = join(dir, 'staged.csv')
    await writeFile(input, 'id,kind\n3,c\n')
    const repo = await Repository.open(root)
    try {
      await repo.write('t', input)
      // an abandoned object: an id-named file no ref and no staged change reaches
      const junk = new TextEncoder().encode('abandoned')
      const id = createHash('sha256').update(junk).digest('hex')
      await mkdir(join(root, '.dv', 'objects', id.slice(0, 2)), { recursive: true })
      await writeFile(objectPath(root, id), junk)
      const result = await repo.verify()
      expect(result).toMatchObject({ ok: true, staged: 1, dangling: 1 })
    } finally {
      await repo.close()
    }
  })
})
