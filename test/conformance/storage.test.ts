import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { createMemoryStorage } from '../../src/store/memory.js'
import { openLocalStorage } from '../../src/store/local.js'
import { wrapCounting } from '../../src/store/counting.js'
import { describeStorageConformance } from './storage-conformance.js'

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

async function makeLocal() {
  const dir = await mkdtemp(join(tmpdir(), 'dv-local-'))
  dirs.push(dir)
  return openLocalStorage(join(dir, '.dv'))
}

describeStorageConformance('memory', async () => createMemoryStorage())
describeStorageConformance('local', makeLocal)
describeStorageConformance('counting(local)', async () => wrapCounting(await makeLocal()))
