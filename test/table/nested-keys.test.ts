/**
 * Nested columns as partition sources or keys: dv partitions and keys by
 * top-level primitive columns only, so `--partition-by` naming a struct, a
 * field inside one or a list, and `--key` naming a struct or a list, are
 * refused as bad arguments (INVALID_ARGUMENT, exit 2) before anything is
 * written; a primitive key next to nested columns works.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository, type DvError } from '../../src/index.js'
import { TextSink } from '../support/text-sink.js'
import { buildIfStale, runDv } from '../cli/run-dv.js'

let dir: string
let input: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-nested-keys-'))
  input = join(dir, 'nested.ndjson')
  await writeFile(input, '{"id":1,"s":{"a":1,"b":"x"},"l":[1,2]}\n{"id":2,"s":{"a":2,"b":"y"},"l":[3]}\n')
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function refusal(r: Repository, run: () => Promise<unknown>): Promise<DvError> {
  const before = { head: await r.resolve('main'), staged: (await r.status()).staged }
  const e = await run().then(() => undefined, (x: DvError) => x)
  expect(e).toBeDefined()
  expect(await r.resolve('main')).toBe(before.head)
  expect((await r.status()).staged).toEqual(before.staged)
  return e!
}

describe('nested columns as partition sources and keys', () => {
  it.each([
    ['s', 'a nested column cannot be a partition source'],
    ['s.a', "'s.a' is a field inside a struct, and dv partitions by top-level columns only"],
    ['l', 'a nested column cannot be a partition source'],
    ['id,day(s)', 'a nested column cannot be a partition source'],
  ])('--partition-by %s is refused as INVALID_ARGUMENT, nothing written', async (spec, what) => {
    const r = await Repository.init(join(dir, `p-${spec.replace(/\W/g, '_')}`), { author: 'test' })
    const e = await refusal(r, () => r.write('t', input, { partitionBy: spec, commit: true, message: 'p' }))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toContain(what)
    await r.close()
  })

  it.each([['s'], ['l'], ['id,s']])('an upsert by --key %s is refused as INVALID_ARGUMENT naming the column and its type', async (key) => {
    const r = await Repository.init(join(dir, `k-${key.replace(/\W/g, '_')}`), { author: 'test' })
    await r.write('t', input, { commit: true, message: 'first' })
    const e = await refusal(r, () => r.write('t', input, { mode: 'upsert', key: key.split(','), commit: true, message: 'upsert' }))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toMatch(/key column '(s|l)' has type (struct|list)</)
    expect(e.hint).toContain('--key id')
    await r.close()
  })

  it('an upsert keyed by a primitive column of a table with nested columns replaces whole rows', async () => {
    const r = await Repository.init(join(dir, 'k-id'), { author: 'test' })
    await r.write('t', input, { commit: true, message: 'first' })
    const next = join(dir, 'next.ndjson')
    await writeFile(next, '{"id":2,"s":{"a":20,"b":"z"},"l":[]}\n{"id":3,"s":{"a":3,"b":"w"},"l":[4]}\n')
    await r.write('t', next, { mode: 'upsert', key: ['id'], commit: true, message: 'upsert' })
    const out = new TextSink()
    await r.cat('t', out, { format: 'ndjson' })
    expect(out.text.trim().split('\n').sort()).toEqual([
      '{"id":1,"s":{"a":1,"b":"x"},"l":[1,2]}',
      '{"id":2,"s":{"a":20,"b":"z"},"l":[]}',
      '{"id":3,"s":{"a":3,"b":"w"},"l":[4]}',
    ])
    await r.close()
  })

  it('the CLI exits 2 for a nested --partition-by and a nested --key', () => {
    buildIfStale()
    const lake = join(dir, 'cli')
    expect(runDv(['init', lake], { cwd: dir }).code).toBe(0)
    const p = runDv(['-C', lake, 'write', 't', input, '--partition-by', 's.a', '--commit', '-m', 'p'], { cwd: dir })
    expect(p.code, p.stderr).toBe(2)
    expect(runDv(['-C', lake, 'write', 't', input, '--commit', '-m', 'first'], { cwd: dir }).code).toBe(0)
    const k = runDv(['-C', lake, 'write', 't', input, '--mode', 'upsert', '--key', 's', '--commit', '-m', 'k'], { cwd: dir })
    expect(k.code, k.stderr).toBe(2)
    expect(k.stderr).toContain("key column 's' has type struct<")
  }, 60_000)
})
