import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { openLocalStorage, type LocalStorage } from '../../src/store/local.js'

export interface LocalStore {
  /** The test's temporary directory. */
  dir: string
  /** Its `.dv`: the store's root. */
  root: string
  storage: LocalStorage
}

/**
 * A fresh local store for every test of the file, in a temporary directory
 * named with `prefix`, closed and removed after it; `use` receives each one
 * (the suites keep their own `dir`, `root` and `storage` variables).
 */
export function freshLocalStore(prefix: string, use: (store: LocalStore) => void): void {
  let current: LocalStore | undefined
  beforeEach(async () => {
    const dir = await mkdtemp(join(tmpdir(), prefix))
    const root = join(dir, '.dv')
    current = { dir, root, storage: openLocalStorage(root) }
    use(current)
  })
  afterEach(async () => {
    if (!current) return
    await current.storage.close()
    await rm(current.dir, { recursive: true, force: true })
  })
}
