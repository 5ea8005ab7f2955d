/**
 * The escape attempts of test/fixtures/predicate-escapes.ts through the built
 * CLI, as `dv cat --where`, `dv write --mode delete --where` and
 * `dv write FILE --mode overwrite --where`: each exits 2, reads no file (a
 * sentinel the attempts name keeps its old atime and its secret appears in
 * no output), writes no file, and leaves refs, HEAD, staging and objects
 * byte-identical.
 *
 * Each attempt runs through one of the three commands in turn (every
 * attempt and every command is covered; a process costs ~0.5-2 s of a shared
 * machine); DV_ESCAPE_CLI=all runs every attempt through all three.
 * test/table/predicate-escapes.test.ts runs the full product in-process.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, DV, runDv } from './run-dv.js'
import { ESCAPE_ATTEMPTS, withSentinel } from '../fixtures/predicate-escapes.js'

const SECRET = 'dv-sentinel-secret-93b1'
let dir: string
let lake: string
let sentinel: string

beforeAll(async () => {
  buildIfStale()
  dir = await mkdtemp(path.join(tmpdir(), 'dv-cli-escapes-'))
  lake = path.join(dir, 'lake')
  sentinel = path.join(dir, 'sentinel.txt')
  expect(runDv(['init', lake], { cwd: dir }).code).toBe(0)
  await writeFile(path.join(lake, 'e.csv'), 'id,country,ts\n1,DE,2026-01-01 10:00:00\n2,XX,2026-01-02 10:00:00\n')
  await writeFile(path.join(lake, 'u.csv'), 'id,country,ts\n3,XX,2026-01-02 11:00:00\n')
  expect(runDv(['write', 'events', 'e.csv', '--commit', '-m', 'load'], { cwd: lake }).code).toBe(0)
  expect(runDv(['write', 'events', 'u.csv'], { cwd: lake }).code).toBe(0) // something staged, to see it kept
  await writeFile(sentinel, `secret\n${SECRET}\n`)
  // relatime updates the atime of a read file whose atime is older than its mtime: set it two days back
  const mtime = (await stat(sentinel)).mtime
  await utimes(sentinel, new Date(mtime.getTime() - 2 * 86400_000), mtime)
}, 120_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Every file of the repository but tmp/, with its bytes. */
async function snapshotRepo(): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(path.join(lake, '.dv', rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name)
      if (child === 'tmp') continue
      if (entry.isDirectory()) await walk(child)
      else files.set(child, (await readFile(path.join(lake, '.dv', child))).toString('base64'))
    }
  }
  await walk('')
  return files
}

function runAsync(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DV, ...args], { cwd: lake, env: { ...process.env, DV_AUTHOR: 'Test <test@example.com>' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr.on('data', (c: Buffer) => (output += c.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, output }))
  })
}

/** Runs `jobs` with at most `limit` processes at once (the machine is shared). */
async function pool<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length)
  let next = 0
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < jobs.length) {
      const i = next++
      results[i] = await jobs[i]()
    }
  }))
  return results
}

const COMMANDS: Array<{ name: string; args: (where: string) => string[] }> = [
  { name: 'cat', args: (where) => ['cat', 'events', '--where', where] },
  { name: 'delete', args: (where) => ['write', 'events', '--mode', 'delete', '--where', where, '--commit', '-m', 'escape'] },
  { name: 'overwrite', args: (where) => ['write', 'events', 'u.csv', '--mode', 'overwrite', '--where', where, '--commit', '-m', 'escape'] },
]

describe('escape attempts through the CLI', () => {
  it('exit 2, read no file, write no file, change no ref', async () => {
    const before = await snapshotRepo()
    const atime = (await stat(sentinel)).atimeMs
    // every attempt through the library (test/table/predicate-escapes.test.ts); through the CLI, one command per
    // attempt with DV_STRESS=1 (a step of .ci/run), every command with DV_ESCAPE_CLI=all, and every third
    // attempt in the default suite (each is a cold dv process)
    const all = process.env.DV_ESCAPE_CLI === 'all'
    const attempts = all || process.env.DV_STRESS === '1' ? ESCAPE_ATTEMPTS : ESCAPE_ATTEMPTS.filter((_, i) => i % 3 === 0)
    const runs = attempts.flatMap((attempt, i) => (all ? COMMANDS : [COMMANDS[i % COMMANDS.length]]).map((command) => ({ attempt, command })))
    const jobs = runs.map(({ attempt, command }) => (async () => {
      const where = withSentinel(attempt, sentinel)
      const r = await runAsync(command.args(where))
      return { label: `dv ${command.name} --where ${JSON.stringify(where)}`, ...r }
    }))
    const results = await pool(jobs, 3)
    const failures = results.filter((r) => r.code !== 2 || r.output.includes(SECRET) || !/invalid predicate|unknown column|the predicate is empty/.test(r.output))
    expect(failures.map((f) => `${f.label}: exit ${f.code}: ${f.output.slice(0, 300)}`)).toEqual([])
    expect((await stat(sentinel)).atimeMs, 'the sentinel was read').toBe(atime)
    expect(existsSync(`${sentinel}.copy`)).toBe(false)
    expect(await snapshotRepo()).toEqual(before)
    // the atime check can fail: one read moves it
    await readFile(sentinel)
    expect((await stat(sentinel)).atimeMs).toBeGreaterThan(atime)
  }, 900_000)
})
