/**
 * A suite's scratch directory: made before its tests, removed after them,
 * with numbered CSV inputs (header `id,kind`) written into it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'

export interface TempDir {
  /** The directory (set once the suite's beforeAll hooks have run). */
  readonly path: string
  /** Writes `rows` under the header `id,kind` to the next `in-N.csv` (N from 1) and returns its path. */
  csv(rows: string): Promise<string>
  /** The next number of the sequence `csv` names its files with, for other unique names. */
  next(): number
}

export function useTempDir(prefix: string): TempDir {
  let path = ''
  let n = 0
  beforeAll(async () => {
    path = await mkdtemp(join(tmpdir(), prefix))
  })
  afterAll(() => rm(path, { recursive: true, force: true }))
  return {
    get path() {
      return path
    },
    async csv(rows) {
      const file = join(path, `in-${++n}.csv`)
      await writeFile(file, `id,kind\n${rows}`)
      return file
    },
    next: () => ++n,
  }
}
