/**
 * Lineage in every commit (format-spec/snapshot.md#lineage, issue 12): each
 * write's input (name, size, SHA-256 of its bytes) is recorded by the commit
 * that lands it, staged or at once; `lineage.codeDir` inside a Git work tree
 * records the checked-out commit, branch, origin URL (credentials removed)
 * and whether a tracked file differs (untracked files do not count), read by
 * isomorphic-git, with `git` itself run here only as the independent
 * reference; outside a work tree nothing is recorded. `meta` pairs are kept
 * as given, and `log({ input })` finds the commits that read an input.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tableFromArrays } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository, type DvError } from '../../src/index.js'
import { useTempDir } from '../support/temp-dir.js'
import { MAX_CHECKED_FILES } from '../../src/workspace/code-version.js'

const dir = useTempDir('dv-lineage-')
let n = 0

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

function csv(text: string): string {
  const path = join(dir.path, `in-${n++}.csv`)
  writeFileSync(path, text)
  return path
}

/** A Git work tree with one commit (job.py), made by `git` (the reference; dv itself never runs it). */
function gitTree(name: string, remote?: string): string {
  const root = join(dir.path, name)
  mkdirSync(root)
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } }).toString().trim()
  git('init', '-q', '-b', 'main')
  git('config', 'user.email', 'ci@example.com')
  git('config', 'user.name', 'ci')
  writeFileSync(join(root, 'job.py'), 'print(1)\n')
  git('add', 'job.py')
  git('commit', '-q', '-m', 'job')
  if (remote) git('remote', 'add', 'origin', remote)
  return root
}
const gitIn = (root: string, ...args: string[]) => execFileSync('git', args, { cwd: root }).toString().trim()

let repo: Repository
beforeAll(async () => {
  repo = await Repository.init(join(dir.path, 'repo'), { author: 'test' })
})
afterAll(() => repo.close())

async function head() {
  const [entry] = await repo.log({ limit: 1 })
  return entry!
}

describe('inputs', () => {
  it('a committed write records its input: the name it was given, its size and the SHA-256 of its bytes', async () => {
    const path = csv('id,v\n1,a\n2,b\n')
    await repo.write('t', path, { commit: true, message: 'one' })
    expect((await head()).lineage).toEqual({ inputs: [{ table: 't', name: path, bytes: statSync(path).size, sha256: sha256(path) }] })
  })

  it('staged writes keep their inputs until the commit, which records them in order with its meta', async () => {
    const a = csv('id,v\n3,c\n')
    const b = csv('id,w\n1,x\n')
    await repo.write('t', a)
    await repo.write('u', b)
    await repo.commit({ message: 'two', lineage: { meta: { 'run-id': 'scheduled__2026-01-03', empty: '' } } })
    expect((await head()).lineage).toEqual({
      inputs: [{ table: 't', name: a, bytes: statSync(a).size, sha256: sha256(a) }, { table: 'u', name: b, bytes: statSync(b).size, sha256: sha256(b) }],
      meta: { 'run-id': 'scheduled__2026-01-03', empty: '' },
    })
  })

  it('Arrow batches are recorded as <arrow>, hashed as the Parquet they were spooled to; a delete reads no input', async () => {
    await repo.write('t', tableFromArrays({ id: BigInt64Array.from([9n]), v: ['z'] }), { commit: true, message: 'arrow' })
    const [input] = (await head()).lineage!.inputs!
    expect(input).toMatchObject({ table: 't', name: '<arrow>' })
    expect(input!.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(input!.bytes).toBeGreaterThan(0)
    await repo.write('t', undefined, { mode: 'delete', where: 'id = 9', commit: true, message: 'delete' })
    expect((await head()).lineage).toBeUndefined()
  })

  it('log({ input }) finds the commits that read an input, by its SHA-256 or a prefix; a malformed one is INVALID_ARGUMENT', async () => {
    const path = csv('id,v\n40,q\n')
    await repo.write('t', path, { commit: true, message: 'first read' })
    await repo.write('t', path, { commit: true, message: 'second read' })
    const hash = sha256(path)
    expect((await repo.log({ input: hash })).map((e) => e.message)).toEqual(['second read', 'first read'])
    expect((await repo.log({ input: hash.slice(0, 7).toUpperCase() })).map((e) => e.message)).toEqual(['second read', 'first read'])
    expect(await repo.log({ input: '0'.repeat(64) })).toEqual([])
    const e = await repo.log({ input: 'xyz' }).then(() => undefined, (x: DvError) => x)
    expect(e?.code).toBe('INVALID_ARGUMENT')
  })

  it('an empty meta key is INVALID_ARGUMENT and commits nothing', async () => {
    const before = await head()
    const e = await repo.write('t', csv('id,v\n5,e\n'), { commit: true, message: 'x', lineage: { meta: { '': 'v' } } }).then(() => undefined, (x: DvError) => x)
    expect(e?.code).toBe('INVALID_ARGUMENT')
    expect((await head()).snapshot).toBe(before.snapshot)
  })
})

describe('code version', () => {
  it('records the commit, branch and origin (without credentials) of a clean work tree; untracked files are not dirt', async () => {
    const root = gitTree('clean', 'https://ci-bot:ghp_secret@github.com/acme/pipelines.git')
    writeFileSync(join(root, 'scratch.csv'), 'untracked\n')
    mkdirSync(join(root, 'jobs'))
    await repo.write('t', csv('id,v\n6,f\n'), { commit: true, message: 'clean', lineage: { codeDir: join(root, 'jobs') } })
    expect((await head()).lineage?.code).toEqual({ commit: gitIn(root, 'rev-parse', 'HEAD'), branch: 'main', dirty: false, repository: 'https://github.com/acme/pipelines.git' })
  })

  it('is dirty when a tracked file changed in the work tree, or a change is staged in the index', async () => {
    const root = gitTree('dirty')
    writeFileSync(join(root, 'job.py'), 'print(2)\n')
    await repo.write('t', csv('id,v\n7,g\n'), { commit: true, message: 'dirty', lineage: { codeDir: root } })
    expect((await head()).lineage?.code).toMatchObject({ commit: gitIn(root, 'rev-parse', 'HEAD'), dirty: true })
    expect((await head()).lineage?.code?.repository).toBeUndefined()

    const staged = gitTree('staged', 'git@github.com:acme/pipelines.git')
    writeFileSync(join(staged, 'new.py'), 'print(3)\n')
    gitIn(staged, 'add', 'new.py')
    await repo.write('t', csv('id,v\n8,h\n'), { commit: true, message: 'staged', lineage: { codeDir: staged } })
    // scp-like remotes name a login, not a secret: kept as written
    expect((await head()).lineage?.code).toMatchObject({ dirty: true, repository: 'git@github.com:acme/pipelines.git' })
  })

  it('a detached HEAD has no branch; dv commit records the code too', async () => {
    const root = gitTree('detached')
    const commit = gitIn(root, 'rev-parse', 'HEAD')
    gitIn(root, 'checkout', '-q', '--detach')
    await repo.write('t', csv('id,v\n10,i\n'))
    await repo.commit({ message: 'detached', lineage: { codeDir: root } })
    expect((await head()).lineage?.code).toEqual({ commit, dirty: false })
  })

  it('a tree tracking more files than dv checks at a commit records no dirty state: not checked, never guessed', async () => {
    const root = gitTree('large')
    mkdirSync(join(root, 'many'))
    for (let i = 0; i <= MAX_CHECKED_FILES; i++) writeFileSync(join(root, 'many', `f${i}`), '')
    gitIn(root, 'add', 'many')
    gitIn(root, '-c', 'user.email=ci@example.com', '-c', 'user.name=ci', 'commit', '-q', '-m', 'many')
    writeFileSync(join(root, 'job.py'), 'print(4)\n')
    await repo.write('t', csv('id,v\n12,k\n'), { commit: true, message: 'large', lineage: { codeDir: root } })
    expect((await head()).lineage?.code).toEqual({ commit: gitIn(root, 'rev-parse', 'HEAD'), branch: 'main' })
  }, 60_000)

  it('outside a Git work tree nothing is recorded of the code', async () => {
    const outside = join(dir.path, 'not-git')
    mkdirSync(outside)
    await repo.write('t', csv('id,v\n11,j\n'), { commit: true, message: 'outside', lineage: { codeDir: outside } })
    expect((await head()).lineage?.code).toBeUndefined()
  })
})

describe('Iceberg export', () => {
  it('carries the lineage into each exported snapshot\'s summary: code, this table\'s inputs, meta', async () => {
    const root = gitTree('exported', 'https://github.com/acme/x.git')
    const a = csv('id,v\n50,x\n')
    const b = csv('id,w\n50,y\n')
    await repo.write('t', a)
    await repo.write('u', b)
    await repo.commit({ message: 'exported', lineage: { codeDir: root, meta: { 'run-id': 'r1' } } })
    const to = join(dir.path, 'ice')
    await repo.exportTable('t', { to })
    const metadata = JSON.parse(readFileSync(join(to, 'metadata', 'v1.metadata.json'), 'utf8')) as { 'current-snapshot-id': number; snapshots: Array<{ 'snapshot-id': number; summary: Record<string, string> }> }
    const current = metadata.snapshots.find((s) => s['snapshot-id'] === metadata['current-snapshot-id'])!
    const lineage = Object.fromEntries(Object.entries(current.summary).filter(([k]) => /^dv\.(code|input|meta)\./.test(k)))
    expect(lineage).toEqual({
      'dv.code.commit': gitIn(root, 'rev-parse', 'HEAD'), 'dv.code.branch': 'main', 'dv.code.repository': 'https://github.com/acme/x.git', 'dv.code.dirty': 'false',
      // only table t's input: u's is u's
      'dv.input.0.name': a, 'dv.input.0.bytes': String(statSync(a).size), 'dv.input.0.sha256': sha256(a),
      'dv.meta.run-id': 'r1',
    })
  })
})
