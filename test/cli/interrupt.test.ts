/**
 * Failures leave nothing behind (issue 7 §5): SIGINT, SIGTERM and SIGKILL at
 * points of a 200 MB `dv write --commit` chosen by what the write has done
 * (bytes in .dv/tmp: ingesting; a new object: publishing; the ref lock: just
 * before the ref update; after the ref rename). The log is unchanged (or has
 * exactly the new commit), the exit codes are 130/143, and after the next
 * write no temporary bytes remain in .dv/tmp.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, createWriteStream, existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { buildIfStale, DV, runDv } from './run-dv.js'

let dir: string
let big: string
/** Big enough to publish several objects, small enough to ingest in seconds: for signals and kills after the ingest. */
let medium: string
let small: string
/** A repository with one commit of `small`, made once by the CLI; each test works on a copy. */
let template: string
/** The template's log: that of every copy before its test writes. */
let before: string[]
let n = 0

async function writeBigCsv(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path)
  out.write('id,ts,name,amount\n')
  let written = 0
  for (let i = 0; written < bytes; i++) {
    const rows: string[] = []
    for (let j = 0; j < 10_000; j++) rows.push(`${i * 10_000 + j},2026-01-${String((j % 28) + 1).padStart(2, '0')}T00:00:00Z,name_${j % 977},${(j * 7) % 10_000}.25`)
    const chunk = rows.join('\n') + '\n'
    written += chunk.length
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()))
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())))
}

beforeAll(async () => {
  buildIfStale()
  dir = await mkdtemp(join(tmpdir(), 'dv-interrupt-'))
  big = join(dir, 'big.csv')
  await writeBigCsv(big, 200e6)
  medium = join(dir, 'medium.csv')
  await writeBigCsv(medium, 20e6)
  small = join(dir, 'small.csv')
  await writeFile(small, 'id,ts,name,amount\n1,2026-01-01T00:00:00Z,a,1.5\n')
  template = join(dir, 'template')
  expect(runDv(['init', template], { cwd: dir }).code).toBe(0)
  expect(runDv(['write', 't', small, '--commit', '-m', 'first'], { cwd: template }).code).toBe(0)
  before = log(template)
}, 120_000)
afterAll(() => rm(dir, { recursive: true, force: true }))

function sizeOf(path: string): number {
  if (!existsSync(path)) return 0
  const st = lstatSync(path)
  if (!st.isDirectory()) return st.size
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0)
}

function newRepo(): string {
  const repo = join(dir, `r${n++}`)
  cpSync(template, repo, { recursive: true })
  return repo
}

const log = (repo: string) => runDv(['log', '--format=%H'], { cwd: repo }).lines

interface Ended { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function startWrite(repo: string, env: Record<string, string> = {}, flags: string[] = [], input = big): { child: ChildProcess; ended: Promise<Ended> } {
  const child = spawn(process.execPath, [DV, ...flags, 'write', 't', input, '--commit', '-m', 'big'], {
    cwd: repo, env: { ...process.env, DV_AUTHOR: 'Test <test@example.com>', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
  const ended = new Promise<Ended>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })))
  return { child, ended }
}

/** Polls `ready` until true; fails if the write ended first. */
async function when(ready: () => boolean, run: { ended: Promise<Ended> }, what: string): Promise<void> {
  let done = false
  void run.ended.then(() => (done = true))
  for (const started = Date.now(); !ready(); await new Promise((r) => setTimeout(r, 20))) {
    if (done) throw new Error(`the write ended before ${what}`)
    if (Date.now() - started > 120_000) throw new Error(`timed out waiting for ${what}`)
  }
}

/** After the next write (a small one), .dv/tmp holds no bytes. */
function expectCleanAfterNextWrite(repo: string): void {
  expect(runDv(['write', 't', small, '--commit', '-m', 'next'], { cwd: repo }).code).toBe(0)
  expect(sizeOf(join(repo, '.dv/tmp'))).toBe(0)
}

describe('a signal during a write', () => {
  it('SIGINT while ingesting: exit 130, nothing committed, no temporary bytes left', async () => {
    const repo = newRepo()
    const run = startWrite(repo)
    await when(() => sizeOf(join(repo, '.dv/tmp')) > 4e6, run, 'ingest wrote 4 MB')
    run.child.kill('SIGINT')
    const ended = await run.ended
    expect(ended.stderr).toMatch(/interrupted: nothing was committed/)
    expect(ended.code).toBe(130)
    expect(log(repo)).toEqual(before)
    expect(sizeOf(join(repo, '.dv/tmp'))).toBe(0)
    expect(runDv(['status'], { cwd: repo }).stdout).not.toMatch(/\bt\b.*append/)
  }, 180_000)

  it('SIGTERM while publishing objects: exit 143, nothing committed, no temporary bytes left; --json says so in its one document', async () => {
    const repo = newRepo()
    // the first data object's publish pauses 3 s (a slow disk), so the signal lands mid-publish on any machine
    const steps = `${repo}.steps.log`
    const run = startWrite(repo, { DV_STEP_LOG: steps, DV_PAUSE_AT_LABEL: 'object.dir-fsync', DV_PAUSE_MS: '3000' }, ['--json'], medium)
    await when(() => existsSync(steps) && readFileSync(steps, 'utf8').includes('object.dir-fsync'), run, 'the first object was being published')
    run.child.kill('SIGTERM')
    const ended = await run.ended
    expect(ended.stderr).toMatch(/interrupted: nothing was committed/)
    expect(ended.code).toBe(143)
    expect(JSON.parse(ended.stdout)).toEqual({
      error: { code: 'INTERRUPTED', message: 'interrupted by SIGTERM: nothing was committed', exitCode: 143 },
    })
    expect(log(repo)).toEqual(before)
    expect(sizeOf(join(repo, '.dv/tmp'))).toBe(0)
  }, 180_000)

  it('a second SIGINT while stopping exits at once (130); the next write removes what it left', async () => {
    const repo = newRepo()
    const run = startWrite(repo)
    await when(() => sizeOf(join(repo, '.dv/tmp')) > 4e6, run, 'ingest wrote 4 MB')
    run.child.kill('SIGINT')
    // two signals sent at once are delivered as one: the second follows the first one's message
    let stderr = ''
    run.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    await when(() => /stopping \(SIGINT\)/.test(stderr), run, 'the first SIGINT was handled')
    run.child.kill('SIGINT')
    const ended = await run.ended
    expect(ended.code).toBe(130)
    expect(ended.stderr).toMatch(/interrupted again: stopped at once/)
    expect(log(repo)).toEqual(before)
    expectCleanAfterNextWrite(repo)
  }, 180_000)
})

describe('SIGKILL during a write', () => {
  it('while ingesting: fsck reports the leftover bytes; the next write removes them', async () => {
    const repo = newRepo()
    const run = startWrite(repo)
    await when(() => sizeOf(join(repo, '.dv/tmp')) > 4e6, run, 'ingest wrote 4 MB')
    run.child.kill('SIGKILL')
    expect((await run.ended).signal).toBe('SIGKILL')
    expect(log(repo)).toEqual(before)
    const left = sizeOf(join(repo, '.dv/tmp'))
    expect(left).toBeGreaterThan(4e6)
    const fsck = runDv(['fsck'], { cwd: repo })
    expect(fsck.code).toBe(0)
    expect(fsck.stdout).toMatch(/temporary files: [\d.]+ MiB in 1 entry \(not an error\)/)
    expect(fsck.stdout).toMatch(/\.dv\/tmp\/proc\.[^ ]+ +[\d.]+ MiB +\(left by dv process \d+, which is gone: the next write removes it, or rm -rf/)
    const json = JSON.parse(runDv(['fsck', '--json'], { cwd: repo }).stdout) as { temporary: { bytes: number; entries: Array<{ owner: string }> } }
    expect(json.temporary.bytes).toBe(left)
    expect(json.temporary.entries.map((e) => e.owner)).toEqual(['gone'])
    expectCleanAfterNextWrite(repo)
    expect(log(repo)).toHaveLength(before.length + 1)
  }, 180_000)

  it('just before the ref update: the log is unchanged', async () => {
    const repo = newRepo()
    const run = startWrite(repo, { DV_CRASH_AT_LABEL: 'ref.lock-create' }, [], medium)
    expect((await run.ended).signal).toBe('SIGKILL')
    expect(log(repo)).toEqual(before)
    expectCleanAfterNextWrite(repo)
  }, 180_000)

  it('after the ref update: the log has exactly the new commit', async () => {
    const repo = newRepo()
    const run = startWrite(repo, { DV_CRASH_AT_LABEL: 'ref.dir-fsync' }, [], medium)
    expect((await run.ended).signal).toBe('SIGKILL')
    const after = log(repo)
    expect(after).toHaveLength(before.length + 1)
    expect(after.slice(1)).toEqual(before)
    expectCleanAfterNextWrite(repo)
  }, 180_000)
})

describe('the library', () => {
  it('an aborted signal stages and commits nothing, and rejects with its reason', async () => {
    const repo = await Repository.open(newRepo())
    const history = await repo.log()
    const controller = new AbortController()
    const reason = new Error('stop')
    controller.abort(reason)
    await expect(repo.write('t', small, { signal: controller.signal })).rejects.toBe(reason)
    await expect(repo.write('t', small, { commit: true, message: 'm', signal: controller.signal })).rejects.toBe(reason)
    expect((await repo.status()).staged).toEqual([])
    await repo.write('t', small)
    await expect(repo.commit({ message: 'm', signal: controller.signal })).rejects.toBe(reason)
    expect((await repo.status()).staged).toHaveLength(1)
    expect(await repo.log()).toEqual(history)
    await repo.close()
  }, 60_000)
})

describe('a signal during a read', () => {
  // A read spools its output in .dv/tmp before it streams it: with stdout never read, the spooled file stays
  // there while the signal lands. The signal's default action would leave it for the next write to sweep.
  it.each([
    ['SIGINT', 'cat', 130, ['cat', 't', '--format', 'csv']],
    ['SIGTERM', 'query', 143, ['query', 'SELECT * FROM t ORDER BY id']],
  ] as const)('%s while `dv %s` spools its output: exit %i, no temporary bytes left', async (signal, _, code, args) => {
    const repo = newRepo()
    expect(runDv(['write', 't', medium, '--commit', '-m', 'medium'], { cwd: repo }).code).toBe(0)
    const child = spawn(process.execPath, [DV, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] })
    const ended = new Promise<Ended>((resolve) => child.on('close', (c, s) => resolve({ code: c, signal: s, stdout: '', stderr: '' })))
    await when(() => sizeOf(join(repo, '.dv/tmp')) > 1e6, { ended }, 'the read spooled 1 MB')
    child.kill(signal)
    expect((await ended).code).toBe(code)
    expect(sizeOf(join(repo, '.dv/tmp'))).toBe(0)
    expect(readdirSync(join(repo, '.dv/tmp'))).toEqual([])
  }, 120_000)
})

describe('a signal during dv compact', () => {
  it('SIGINT while the compacted file is published: exit 130, nothing committed, no temporary bytes left', async () => {
    const repo = newRepo()
    expect(runDv(['write', 't', small, '--commit', '-m', 'second'], { cwd: repo }).code).toBe(0)
    const committed = log(repo)
    const steps = `${repo}.compact-steps.log`
    const child = spawn(process.execPath, [DV, 'compact', 't'], {
      cwd: repo, env: { ...process.env, DV_AUTHOR: 'Test <test@example.com>', DV_STEP_LOG: steps, DV_PAUSE_AT_LABEL: 'object.dir-fsync', DV_PAUSE_MS: '3000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    await when(() => existsSync(steps) && readFileSync(steps, 'utf8').includes('object.dir-fsync'), { ended: ended.then(() => ({}) as Ended) }, 'the compacted file was being published')
    child.kill('SIGINT')
    expect(await ended).toBe(130)
    expect(stderr).toMatch(/interrupted: nothing was committed: table 't' is unchanged/)
    expect(log(repo)).toEqual(committed)
    expect(sizeOf(join(repo, '.dv/tmp'))).toBe(0)
    expect(runDv(['compact', 't'], { cwd: repo }).stdout).toMatch(/rewrote 2 files/)
  }, 180_000)
})
