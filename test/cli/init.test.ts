/**
 * `dv init` on bad targets: a file (exit 2, not 1), a directory inside a
 * store (exit 2), a store URL as DIR or through -C (creates the remote
 * repository, bare), and a refused --remote that leaves no local folder.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, runDv, type DvRun } from './run-dv.js'
import { createTestBucket, describeS3 } from '../support/s3-server.js'

let work: string
beforeAll(() => {
  buildIfStale()
  work = mkdtempSync(path.join(tmpdir(), 'dv-init-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

function expectUsage(r: DvRun, message: RegExp): void {
  expect(r.code).toBe(2)
  expect(r.stderr).toMatch(/^error: /)
  expect(r.stderr).toMatch(message)
  expect(r.stderr).toMatch(/^hint: /m)
}

describe('dv init refuses what cannot hold a repository', () => {
  it('a regular file, or a path through one, exits 2 and changes nothing', () => {
    const dir = mkdtempSync(path.join(work, 'file-'))
    writeFileSync(path.join(dir, 'data.csv'), 'id\n1\n')
    expectUsage(runDv(['init', 'data.csv'], { cwd: dir }), /data\.csv: it is a file, not a directory/)
    expectUsage(runDv(['init', 'data.csv/lake'], { cwd: dir }), /data\.csv is a file, not a directory/)
    expect(readdirSync(dir)).toEqual(['data.csv'])
  })

  it('a directory inside a store (.dv) exits 2 and nests nothing', () => {
    const dir = mkdtempSync(path.join(work, 'nest-'))
    expect(runDv(['init', 'r'], { cwd: dir }).code).toBe(0)
    const before = readdirSync(path.join(dir, 'r', '.dv')).sort()
    expectUsage(runDv(['init', 'r/.dv'], { cwd: dir }), /inside the dv store .*r\/\.dv/)
    expectUsage(runDv(['init', 'r/.dv/objects/sub'], { cwd: dir }), /inside the dv store/)
    expect(readdirSync(path.join(dir, 'r', '.dv')).sort()).toEqual(before)
    expect(existsSync(path.join(dir, 'r', '.dv', '.dv'))).toBe(false)
  })

  it('a URL with --remote too, or -C URL with a DIR, is a usage error', () => {
    const dir = mkdtempSync(path.join(work, 'url-'))
    expectUsage(runDv(['init', 's3://bucket/lake', '--remote', 's3://bucket/other'], { cwd: dir }), /two stores/)
    expectUsage(runDv(['-C', 's3://bucket/lake', 'init', 'lake'], { cwd: dir }), /names a store: dv init then takes no DIR/)
    expect(readdirSync(dir)).toEqual([])
  })

  it('a refused --remote leaves no local folder behind', () => {
    const dir = mkdtempSync(path.join(work, 'refused-'))
    expectUsage(runDv(['init', 'newdir', '--remote', 'ftp://host/lake'], { cwd: dir }), /unsupported remote/)
    expect(runDv(['init', 'a/b/c', '--remote', 's3://x/lake'], {
      cwd: dir, env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1', AWS_MAX_ATTEMPTS: '1' },
    }).code).toBe(2) // 'x' is not a valid bucket name: refused before anything is written
    expect(readdirSync(dir)).toEqual([])
  })
})

describeS3('dv init with a store URL on the shared test server', () => {
  it('dv init s3://… and dv -C s3://… init create the remote repository, no local folder', async () => {
    const bucket = await createTestBucket('init')
    const dir = mkdtempSync(path.join(work, 's3-'))
    const first = `s3://${bucket}/lake-${randomUUID().slice(0, 8)}`
    const r = runDv(['init', first], { cwd: dir })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/no workspace/)
    const second = `s3://${bucket}/other-${randomUUID().slice(0, 8)}`
    expect(runDv(['-C', second, 'init'], { cwd: dir }).code).toBe(0)
    expect(readdirSync(dir)).toEqual([]) // no 's3:' folder, no ./.dv
    for (const url of [first, second]) {
      const log = runDv(['-C', url, '--json', 'log'], { cwd: dir })
      expect(log.code).toBe(0)
      expect(JSON.parse(log.stdout)).toHaveLength(1)
    }
    expect(runDv(['init', first], { cwd: dir })).toMatchObject({ code: 4, stderr: expect.stringMatching(/already exists/) })
  })

  it('a refused init --remote (no such bucket) leaves no local folder', () => {
    const dir = mkdtempSync(path.join(work, 's3-refused-'))
    const r = runDv(['init', 'deep/lake', '--remote', `s3://no-such-bucket-${randomUUID().slice(0, 8)}/lake`], { cwd: dir })
    expect(r.code).toBe(3)
    expect(readdirSync(dir)).toEqual([])
  })
})
