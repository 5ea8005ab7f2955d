/**
 * A file dv wrote itself is taken over by the store (adoptFile) while the
 * engine reads it back: hashed and synced meanwhile, but linked into the
 * store only once the read-back passed (table/write.ts publishFiles). Here
 * the real read-back runs and then reports a problem, late enough that the
 * hash and fsync of a small file are long done: nothing may be stored.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { DvError } from '../../src/errors.js'
import { Repository } from '../../src/index.js'

const failing = vi.hoisted(() => ({ on: false, calls: 0 }))

vi.mock('../../src/io/read-back.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/io/read-back.js')>()
  return {
    ...real,
    readBack: async (...args: Parameters<typeof real.readBack>) => {
      await real.readBack(...args)
      if (!failing.on) return
      failing.calls++
      await new Promise((r) => setTimeout(r, 300))
      throw new DvError('CORRUPT', 'injected: the read-back found a damaged page')
    },
  }
})

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-read-back-gate-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function objects(root: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(join(root, '.dv', 'objects'), { recursive: true, withFileTypes: true })) if (entry.isFile()) out.push(entry.name)
  return out.sort()
}

describe('a written file that fails its read-back', () => {
  it('is never linked into the store, though it was hashed and synced meanwhile', async () => {
    const root = join(dir, 'lake')
    const repo = await Repository.init(root, { author: 'test' })
    try {
      const csv = join(dir, 'rows.csv')
      await writeFile(csv, 'id,s\n1,a\n2,b\n')
      await repo.write('t', csv, { commit: true, message: 'first' })
      const before = await objects(root)
      await writeFile(csv, 'id,s\n3,c\n4,d\n')
      failing.on = true
      const err = await repo.write('t', csv, { commit: true, message: 'second' }).catch((e: unknown) => e)
      failing.on = false
      expect(failing.calls).toBe(1)
      expect(err).toMatchObject({ code: 'CORRUPT', message: 'injected: the read-back found a damaged page' })
      expect(await objects(root)).toEqual(before)
      expect((await repo.log()).map((e) => e.message)).toEqual(['first', 'initialize repository'])
      expect(await readdir(join(root, '.dv', 'tmp')).then((names) => names.filter((n) => !n.startsWith('proc.')))).toEqual([])
    } finally {
      await repo.close()
    }
  })
})
