/**
 * Ctrl-C during `dv merge` of many tables (format-spec/merge.md#interrupting):
 * the first object the merge publishes pauses 3 s (a slow disk), SIGINT
 * lands then, and the merge stops before its commit: exit 130, refs, reflog
 * and HEAD byte-identical, no temporary bytes left; the same merge then lands.
 */
import { spawn } from 'node:child_process'
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { buildIfStale, DV, runDv } from './run-dv.js'

const TABLES = ['t1', 't2', 't3', 't4', 't5', 't6']
let work: string
let lake: string

/** Refs, reflogs and HEAD as bytes: what an interrupted merge must leave as it was. */
function state(): string {
  const dvDir = path.join(lake, '.dv')
  const walk = (dir: string): string[] => (!existsSync(dir) ? [] : readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? walk(p) : [`${path.relative(dvDir, p)}: ${readFileSync(p, 'utf8')}`]
  }))
  return [...walk(path.join(dvDir, 'refs')), ...walk(path.join(dvDir, 'reflog')), readFileSync(path.join(dvDir, 'HEAD'), 'utf8')].join('\n')
}

function sizeOf(p: string): number {
  if (!existsSync(p)) return 0
  const st = lstatSync(p)
  return st.isDirectory() ? readdirSync(p).reduce((sum, name) => sum + sizeOf(path.join(p, name)), 0) : st.size
}

beforeAll(async () => {
  buildIfStale()
  work = mkdtempSync(path.join(tmpdir(), 'dv-merge-int-'))
  lake = path.join(work, 'lake')
  const file = (name: string, row: string) => {
    const p = path.join(work, `${name}.csv`)
    writeFileSync(p, `id,v\n${row}\n`)
    return p
  }
  const repo = await Repository.init(lake, { author: 'Test <test@example.com>' })
  try {
    for (const t of TABLES) await repo.write(t, file('base', '1,base'), { commit: true, message: `create ${t}` })
    await repo.createBranch('src')
    // both sides append to every table: each one is a three-way combine the merge writes
    for (const t of TABLES) await repo.write(t, file('theirs', '2,theirs'), { branch: 'src', commit: true, message: `src ${t}` })
    for (const t of TABLES) await repo.write(t, file('ours', '3,ours'), { commit: true, message: `main ${t}` })
  } finally {
    await repo.close()
  }
}, 180_000)
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('a signal during dv merge', () => {
  it('SIGINT while the merge writes its tables: exit 130, nothing merged, one --json error document; the merge lands after', async () => {
    const before = state()
    const steps = path.join(work, 'steps.log')
    const child = spawn(process.execPath, [DV, '--json', 'merge', 'src'], {
      cwd: lake,
      env: { ...process.env, DV_AUTHOR: 'Test <test@example.com>', DV_STEP_LOG: steps, DV_PAUSE_AT_LABEL: 'object.dir-fsync', DV_PAUSE_MS: '3000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    let stdout = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    let done = false
    void ended.then(() => (done = true))
    for (const started = Date.now(); !(existsSync(steps) && readFileSync(steps, 'utf8').includes('object.dir-fsync')); await new Promise((r) => setTimeout(r, 20))) {
      if (done) throw new Error(`the merge ended before it published an object: ${stderr}`)
      if (Date.now() - started > 60_000) throw new Error('timed out waiting for the merge to publish an object')
    }
    child.kill('SIGINT')
    expect(await ended, stderr).toBe(130)
    expect(stderr).toMatch(/interrupted: nothing was merged: the branch is unchanged/)
    expect(JSON.parse(stdout)).toEqual({
      error: { code: 'INTERRUPTED', message: 'interrupted by SIGINT: nothing was merged: the branch is unchanged', exitCode: 130 },
    })
    expect(state()).toBe(before)
    expect(sizeOf(path.join(lake, '.dv/tmp'))).toBe(0)

    const merged = runDv(['merge', 'src'], { cwd: lake })
    expect(merged.code, merged.stderr).toBe(0)
    expect(runDv(['reflog', '-n', '1'], { cwd: lake }).stdout).toMatch(/main@\{0\}: merge: src/)
    for (const t of TABLES) {
      expect(runDv(['cat', t, '--format', 'csv', '--columns', 'v'], { cwd: lake }).lines.slice(1).sort()).toEqual(['base', 'ours', 'theirs'])
    }
  }, 180_000)
})
