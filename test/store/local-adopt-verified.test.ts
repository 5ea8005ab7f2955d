/**
 * An object adoptFile has just hashed counts as verified in this process
 * (src/store/local-objects.ts verifiedByAdoption): its first read hashes
 * nothing. Only the very file that was hashed, unchanged, counts: one written
 * to between the hash and the link is hashed again on its first read, and
 * found CORRUPT. What a read hashes is seen in the bytes this process read
 * (/proc/self/io: vitest runs each file in a process of its own).
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, open, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import type { ObjectId } from '../../src/ids.js'
import type { LocalStorage } from '../../src/store/local.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { freshLocalStore } from './local-fixture.js'

let dir: string
let storage: LocalStorage
freshLocalStore('dv-adopt-verified-', (store) => ({ dir, storage } = store))

const sha = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex') as ObjectId

/** Bytes this process has read through read(2) and friends so far. */
function bytesRead(): number {
  return Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))![1])
}

async function temporary(bytes: Uint8Array | string): Promise<string> {
  await mkdir(join(dir, 'out'), { recursive: true })
  const path = join(dir, 'out', 'data.parquet')
  await writeFile(path, bytes)
  return path
}

describe('an adopted object in the process that adopted it', () => {
  it.skipIf(!existsSync('/proc/self/io'))('is read without being hashed again', async () => {
    const bytes = new Uint8Array(4 << 20).map((_, i) => i % 251)
    const { id } = await storage.objects.adoptFile(await temporary(bytes))
    expect(id).toBe(sha(bytes))
    const before = bytesRead()
    expect(await storage.objects.localPath(id)).toBe(storage.objects.pathOf(id))
    expect(bytesRead() - before).toBeLessThan(1 << 20) // a hash would have read all 4 MiB
  })

  it('is hashed again on its first read, and found CORRUPT, when it was written to after its hash', async () => {
    const path = await temporary('original bytes')
    const writer = await open(path, 'r+') // opened before adoptFile makes the file read-only
    let pass!: () => void
    const ready = new Promise<void>((resolve) => { pass = resolve })
    const adopted = storage.objects.adoptFile(path, { ready })
    // adoptFile makes the file read-only once it is hashed, then waits for `ready` to link it: the write lands between
    await vi.waitFor(async () => expect((await stat(path)).mode & 0o222).toBe(0), { timeout: 10_000 })
    await writer.write('O', 0) // same size, new content and modification time
    await writer.close()
    pass()
    const { id } = await adopted
    expect(id).toBe(sha('original bytes'))
    const err = await catchDvError(() => storage.objects.localPath(id))
    expect(err.code).toBe('CORRUPT')
  })
})
