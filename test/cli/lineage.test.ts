/**
 * Lineage through the CLI (format-spec/snapshot.md#lineage): `dv write
 * --commit` and `dv commit` run inside a Git work tree record its commit,
 * with `-C` pointing at a repository elsewhere (the code is where the command
 * runs, not where the data lives); `--meta key=value` pairs are recorded;
 * `dv log` and `dv show` print Code, Input and Meta lines; `dv log --input
 * SHA256` finds the commits that read a file. Bad requests (--meta without
 * '=', --meta on a staged write, --input that is not hex) exit 2 and write
 * nothing.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, runDv, runDvAsync } from './run-dv.js'

const work = mkdtempSync(path.join(tmpdir(), 'dv-cli-lineage-'))
const code = path.join(work, 'code')
const repo = path.join(work, 'repo')
const input = path.join(code, 'events.csv')
const git = (...args: string[]) => execFileSync('git', args, { cwd: code, env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } }).toString().trim()
const head = () => readFileSync(path.join(repo, '.dv/refs/branches/main'), 'utf8')

beforeAll(() => {
  buildIfStale()
  mkdirSync(code)
  git('init', '-q', '-b', 'etl')
  git('config', 'user.email', 'ci@example.com')
  git('config', 'user.name', 'ci')
  writeFileSync(path.join(code, 'job.py'), 'print(1)\n')
  git('add', 'job.py')
  git('commit', '-q', '-m', 'job')
  git('remote', 'add', 'origin', 'https://bot:token@git.example.com/acme/etl.git')
  writeFileSync(input, 'id,v\n1,a\n2,b\n')
  expect(runDv(['init', repo], { cwd: work }).code).toBe(0)
}, 120_000)

describe('dv lineage', () => {
  it('records the code, the input and --meta from inside a work tree; log, show and log --input print them', () => {
    const w = runDv(['-C', repo, 'write', 'events', input, '--commit', '-m', 'load', '--meta', 'run-id=42', '--meta', 'dag=daily'], { cwd: code })
    expect(w.code, w.stderr).toBe(0)
    const commit = git('rev-parse', 'HEAD')
    const sha = createHash('sha256').update(readFileSync(input)).digest('hex')
    const log = runDv(['-C', repo, 'log', '-n', '1'], { cwd: work })
    expect(log.stdout).toContain(`Code:   https://git.example.com/acme/etl.git ${commit} (branch etl)\n`)
    expect(log.stdout).toContain(`Input:  events <- ${input} (13 bytes, sha256 ${sha})\n`)
    expect(log.stdout).toContain('Meta:   dag=daily run-id=42\n')
    expect(runDv(['-C', repo, 'show', 'HEAD'], { cwd: work }).stdout).toContain(`Input:  events <- ${input}`)

    // a staged write and dv commit, from a dirty tree
    writeFileSync(path.join(code, 'job.py'), 'print(2)\n')
    expect(runDv(['-C', repo, 'write', 'events', input], { cwd: code }).code).toBe(0)
    const c = runDv(['-C', repo, 'commit', '-m', 'again', '--json'], { cwd: code })
    expect(c.code, c.stderr).toBe(0)
    const json = JSON.parse(runDv(['-C', repo, 'log', '-n', '1', '--json'], { cwd: work }).stdout) as Array<{ lineage: unknown }>
    expect(json[0]!.lineage).toEqual({ code: { repository: 'https://git.example.com/acme/etl.git', commit, branch: 'etl', dirty: true }, inputs: [{ table: 'events', name: input, bytes: 13, sha256: sha }] })
    expect(runDv(['-C', repo, 'log', '--input', sha.slice(0, 12), '--oneline'], { cwd: work }).lines.map((l) => l.split(' ').at(-1))).toEqual(['again', 'load'])
  }, 60_000)

  it('refuses --meta without =, --meta on a staged write and a --input that is no SHA-256 with exit 2, writing nothing', async () => {
    const before = head()
    const runs = await Promise.all([
      runDvAsync(['-C', repo, 'write', 'events', input, '--commit', '-m', 'x', '--meta', 'run-id'], { cwd: code }),
      runDvAsync(['-C', repo, 'write', 'events', input, '--commit', '-m', 'x', '--meta', '=v'], { cwd: code }),
      runDvAsync(['-C', repo, 'write', 'events', input, '--meta', 'a=b'], { cwd: code }),
      runDvAsync(['-C', repo, 'log', '--input', 'not-hex'], { cwd: code }),
    ])
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2])
    expect(runs[0]!.stderr).toContain("--meta 'run-id' is not KEY=VALUE")
    expect(runs[2]!.stderr).toContain('--meta is recorded by a commit')
    expect(head()).toBe(before)
    expect(runDv(['-C', repo, 'status'], { cwd: work }).stdout).toContain('nothing staged')
  }, 60_000)
})
