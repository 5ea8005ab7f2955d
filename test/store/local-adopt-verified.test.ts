/**
 * An object adoptFile has just hashed counts as verified in this process
 * (src/store/local-objects.ts verifiedByAdoption): its first read hashes
 * nothing. Only the very file that was hashed, unchanged, counts: one written
 * to between the hash and the link is hashed again on its first read, and
 * found CORRUPT. hashFile is observed (not replaced) to see what is hashed.
 */
import { createHash } from 'node:crypto'
import { mkdir, open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import type { ObjectId } from '../../src/ids.js'
import type { LocalStorage } from '../../src/store/local.js'
import { hashFile } from '../../src/store/object-hash.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { freshLocalStore } from './local-fixture.js'

vi.mock('../../src/store/object-hash.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/store/object-hash.js')>()
  return { ...original, hashFile: vi.fn(original.hashFile) }
})

let dir: string
let storage: LocalStorage
freshLocalStore('dv-adopt-verified-', (store) => ({ dir, storage } = store))

const sha = (text: string) => createHash('sha256').update(text).digest('hex') as ObjectId

async function temporary(text: string): Promise<string> {
  await mkdir(join(dir, 'out'), { recursive: true })
  const path = join(dir, 'out', 'data.parquet')
  await writeFile(path, text)
  return path
}

describe('an adopted object in the process that adopted it', () => {
  it('is read without being hashed again', async () => {
    const { id } = await storage.objects.adoptFile(await temporary('adopted bytes'))
    expect(id).toBe(sha('adopted bytes'))
    vi.mocked(hashFile).mockClear()
    expect(await storage.objects.localPath(id)).toBe(join(storage.objects.pathOf(id)))
    expect(hashFile).not.toHaveBeenCalled()
  })

  it('is hashed again on its first read, and found CORRUPT, when it was written to after its hash', async () => {
    const path = await temporary('original bytes')
    const writer = await open(path, 'r+') // opened before adoptFile makes the file read-only
    let pass!: () => void
    const ready = new Promise<void>((resolve) => { pass = resolve })
    const adopted = storage.objects.adoptFile(path, { ready })
    await vi.waitFor(() => expect(hashFile).toHaveBeenCalledWith(path))
    await vi.mocked(hashFile).mock.results.at(-1)!.value // hashed; adoptFile now waits for `ready` to link
    await writer.write('O', 0) // same size, new content and modification time
    await writer.close()
    pass()
    const { id } = await adopted
    expect(id).toBe(sha('original bytes'))
    vi.mocked(hashFile).mockClear()
    const err = await catchDvError(() => storage.objects.localPath(id))
    expect(err.code).toBe('CORRUPT')
    expect(hashFile).toHaveBeenCalledTimes(1)
  })
})
