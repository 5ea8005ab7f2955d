/**
 * SHA-256 object ids computed while streaming (files, uploads), and the checks
 * and errors every object store shares. One-shot hashing of bytes in memory is
 * ids.ts hashBytes.
 */
import { createHash, type Hash } from 'node:crypto'
import { createReadStream, type Stats } from 'node:fs'
import { open } from 'node:fs/promises'
import { DvError } from '../errors.js'
import { isObjectId, type ObjectId } from '../ids.js'
import { hasErrno, storageError } from './fs-errors.js'

/** Chunk size for streamed reads and copies. */
export const STREAM_CHUNK = 1024 * 1024

const HEX_PREFIX = /^[0-9a-f]{0,64}$/

export function startHash(): Hash {
  return createHash('sha256')
}

export function finishHash(hash: Hash): ObjectId {
  return hash.digest('hex') as ObjectId
}

/** Block size of hashFile's reads: large enough that a read costs little next to hashing it. */
const HASH_BLOCK = 4 * 1024 * 1024

/**
 * Hashes a file with bounded memory (two blocks): the next block is read
 * while the current one is hashed, into the same two buffers throughout, so
 * a large object makes no garbage (a stream allocated a buffer per chunk and
 * took 1.5x as long alone, 3x beside a running query: bench/query.ts).
 * `stats`: the file as it was opened, before any byte was read.
 */
export async function hashFile(path: string): Promise<{ id: ObjectId; bytes: number; stats: Stats }> {
  const hash = startHash()
  const handle = await open(path, 'r')
  let bytes = 0
  let pending: Promise<{ bytesRead: number }> | undefined
  let stats: Stats
  try {
    stats = await handle.stat()
    // a small file gets small blocks (a file that grows meanwhile is still read to its end)
    const size = Math.min(HASH_BLOCK, Math.max(16 * 1024, stats.size))
    const blocks = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)] as const
    let current = 0
    pending = handle.read(blocks[0], 0, size, null)
    for (;;) {
      const { bytesRead } = await pending
      if (bytesRead === 0) break
      const block = blocks[current]!
      current ^= 1
      pending = handle.read(blocks[current]!, 0, size, null)
      hash.update(block.subarray(0, bytesRead))
      bytes += bytesRead
    }
  } finally {
    await pending?.catch(() => undefined)
    await handle.close()
  }
  return { id: finishHash(hash), bytes, stats }
}

/** Rejects anything that is not an object id before it is used to build a path or key. */
export function checkObjectId(id: string): ObjectId {
  if (!isObjectId(id)) {
    throw new DvError('INVALID_ARGUMENT', `invalid object id '${String(id)}': expected 64 lowercase hex digits`)
  }
  return id as ObjectId
}

export function checkIdPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !HEX_PREFIX.test(prefix)) {
    throw new DvError('INVALID_ARGUMENT', `invalid object id prefix '${String(prefix)}': expected up to 64 lowercase hex digits`)
  }
  return prefix
}

export function corruptObjectError(id: string, actual: string, path?: string): DvError {
  const where = path === undefined ? '' : ` (${path})`
  return new DvError('CORRUPT', `object ${id} is corrupt${where}: its content hashes to ${actual}`, {
    hint: 'run `dv fsck`; the object is repaired by storing the same content again',
    details: { id, actual, ...(path === undefined ? {} : { path }) },
  })
}

export function missingObjectError(id: string): DvError {
  return new DvError('NOT_FOUND', `object ${id} not found`, { details: { id } })
}

/** Reads a file to be stored, chunk by chunk; a missing file is NOT_FOUND naming it, other failures STORAGE. */
export async function* readSourceFile(path: string): AsyncIterable<Buffer> {
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: STREAM_CHUNK })) yield chunk as Buffer
  } catch (e) {
    if (e instanceof DvError) throw e
    if (hasErrno(e, 'ENOENT')) throw new DvError('NOT_FOUND', `file not found: ${path}`, { details: { path } })
    throw storageError(e, 'cannot read', path)
  }
}
