import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashFile } from '../../src/store/object-hash.js'

const MiB = 1024 * 1024

describe('hashFile', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dv-hash-test-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  // sizes around its block edges: empty, one byte, its smallest block and one past, one 4 MiB block exactly and across several
  it.each([0, 1, 16 * 1024, 16 * 1024 + 1, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 9 * MiB + 3])('hashes %i bytes as one-shot SHA-256 does', async (size) => {
    const bytes = randomBytes(size)
    const path = join(dir, `f-${size}`)
    await writeFile(path, bytes)
    const { stats, ...hashed } = await hashFile(path)
    expect(hashed).toEqual({ id: createHash('sha256').update(bytes).digest('hex'), bytes: size })
    // the file as it was opened: its inode and size
    expect({ ino: stats.ino, size: stats.size }).toEqual({ ino: (await stat(path)).ino, size })
  })

  it('fails on a missing file with its errno', async () => {
    await expect(hashFile(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('fails on a directory with its errno', async () => {
    await expect(hashFile(dir)).rejects.toMatchObject({ code: 'EISDIR' })
  })
})
