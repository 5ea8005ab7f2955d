/**
 * Every escape attempt of test/fixtures/predicate-escapes.ts through every
 * operation that takes a predicate, in-process: `Repository.cat` and
 * `Repository.scan` with `where`, `write --mode delete` and
 * `write --mode overwrite --where`. Each is INVALID_ARGUMENT, reads no file (a
 * sentinel keeps its old atime), and leaves the repository's files
 * byte-identical. (test/cli/predicate-escapes.test.ts does the same through
 * the built CLI.)
 */
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { isDvError } from '../../src/errors.js'
import { TextSink } from '../support/text-sink.js'
import { ESCAPE_ATTEMPTS, withSentinel } from '../fixtures/predicate-escapes.js'

let dir: string
let root: string
let repo: Repository
let sentinel: string
let input: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-escapes-'))
  root = join(dir, 'lake')
  sentinel = join(dir, 'sentinel.txt')
  input = join(dir, 'u.csv')
  let t = Date.UTC(2026, 0, 1)
  repo = await Repository.init(root, { now: () => (t += 1000), author: 'test' })
  await writeFile(join(dir, 'e.csv'), 'id,country,ts\n1,DE,2026-01-01 10:00:00\n2,XX,2026-01-02 10:00:00\n')
  await writeFile(input, 'id,country,ts\n3,XX,2026-01-02 11:00:00\n')
  await repo.write('events', join(dir, 'e.csv'), { commit: true, message: 'load' })
  await repo.write('events', input) // staged, to see it kept
  await writeFile(sentinel, 'secret\n')
  const mtime = (await stat(sentinel)).mtime
  await utimes(sentinel, new Date(mtime.getTime() - 2 * 86400_000), mtime)
})

afterAll(async () => {
  await repo.close()
  await rm(dir, { recursive: true, force: true })
})

async function snapshotRepo(): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(join(root, '.dv', rel), { withFileTypes: true })) {
      const child = join(rel, entry.name)
      if (child === 'tmp') continue
      if (entry.isDirectory()) await walk(child)
      else files.set(child, (await readFile(join(root, '.dv', child))).toString('base64'))
    }
  }
  await walk('')
  return files
}

const OPERATIONS: Array<[string, (where: string) => Promise<unknown>]> = [
  ['cat', (where) => repo.cat('events', new TextSink(), { where })],
  ['scan', async (where) => { for await (const batch of repo.scan('events', { where })) void batch }],
  ['delete', (where) => repo.write('events', undefined, { mode: 'delete', where, commit: true, message: 'escape' })],
  ['overwrite', (where) => repo.write('events', input, { mode: 'overwrite', where, commit: true, message: 'escape' })],
]

describe('escape attempts through the library', () => {
  it('are INVALID_ARGUMENT for every operation, read no file and change nothing', async () => {
    const before = await snapshotRepo()
    const atime = (await stat(sentinel)).atimeMs
    const wrong: string[] = []
    for (const attempt of ESCAPE_ATTEMPTS) {
      const where = withSentinel(attempt, sentinel)
      for (const [name, run] of OPERATIONS) {
        const outcome = await run(where).then(() => 'accepted', (e) => (isDvError(e, 'INVALID_ARGUMENT') ? undefined : `${String(e)}`))
        if (outcome) wrong.push(`${name} ${JSON.stringify(where)}: ${outcome}`)
      }
    }
    expect(wrong).toEqual([])
    expect((await stat(sentinel)).atimeMs, 'the sentinel was read').toBe(atime)
    expect(await snapshotRepo()).toEqual(before)
  }, 300_000)
})
