/** Small filesystem primitives for durable publishing (see format-spec storage requirements). */
import { open, unlink, type FileHandle } from 'node:fs/promises'
import { storageStep } from './crash-points.js'
import { hasErrno } from './fs-errors.js'

/** fsync of a directory: makes a link, rename or unlink in it durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } catch (e) {
    // Windows cannot fsync a directory (EPERM); that is the one tolerated case.
    if (!(process.platform === 'win32' && hasErrno(e, 'EPERM'))) throw e
  } finally {
    await handle.close()
  }
}

/** Unlinks a temporary file, ignoring every error (a leftover temp file is harmless). */
export async function removeQuietly(path: string): Promise<void> {
  try {
    await unlink(path)
  } catch {
    // a leftover temp file is harmless: no object or ref names it
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Writes all of `bytes` at the handle's current position (write(2) may write less than asked). */
export async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset)
    offset += bytesWritten
  }
}

/**
 * Creates `path` (which must not exist; read-only once closed), writes all of
 * `bytes` and fsyncs it: the first half of every tmp -> link publish. `step`
 * names the crash points (`STEP.tmp-write`, `STEP.tmp-fsync`).
 */
export async function writeDurableTemp(path: string, bytes: Uint8Array, step: string): Promise<void> {
  storageStep(`${step}.tmp-write`)
  const handle = await open(path, 'wx', 0o444)
  try {
    await writeAll(handle, bytes)
    storageStep(`${step}.tmp-fsync`)
    await handle.sync()
  } finally {
    await handle.close()
  }
}
