/** Opens the Storage named by a location: 'memory:', a `.dv` directory path, or 's3://BUCKET/PREFIX'. */
import { fileURLToPath } from 'node:url'
import { DvError } from '../errors.js'
import { openLocalStorage } from './local.js'
import { createMemoryStorage } from './memory.js'
import type { Storage } from './types.js'

export async function openStorage(location: string): Promise<Storage> {
  if (location === 'memory:') return createMemoryStorage()
  // the AWS SDK costs ~0.2 s to load: only commands on an s3:// store pay for it
  if (location.startsWith('s3://')) return (await import('./s3.js')).openS3Storage(location)
  if (location.startsWith('file://')) return openLocalStorage(fileURLToPath(location))
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)
  if (scheme !== null) {
    throw new DvError('INVALID_ARGUMENT', `unsupported storage location '${location}': unknown scheme '${scheme[1]}'`, {
      hint: "use a directory path, 'memory:' or s3://BUCKET/PREFIX",
    })
  }
  if (location.trim() === '') throw new DvError('INVALID_ARGUMENT', 'empty storage location')
  return openLocalStorage(location)
}
