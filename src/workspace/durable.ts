/** Durable replacement of a small workspace file (HEAD, staged changes, SNAPSHOT markers). */
import { randomBytes } from 'node:crypto'
import { open, rename } from 'node:fs/promises'

/** tmp file + fsync + rename + fsync(dir): `path` holds the old text or the new, never a mix. */
export async function writeDurably(dir: string, path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`
  const fh = await open(tmp, 'w')
  try {
    await fh.writeFile(text)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
  const d = await open(dir, 'r')
  try {
    await d.sync()
  } finally {
    await d.close()
  }
}
