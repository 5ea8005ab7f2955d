/**
 * dist/cli/main.js runs the CLI bundle (rolldown.config.mjs) only when it is
 * at least as new as tsc's cli/program.js: after a `tsc` without the bundler
 * step, the stale bundle must not run. The built main.js is run against
 * stand-in program.js files in a scratch copy of the layout.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DV, buildIfStale } from './run-dv.js'

buildIfStale()
const root = mkdtempSync(path.join(tmpdir(), 'dv-bundle-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function layout(name: string, bundleAgeS: number | undefined): string {
  const dir = path.join(root, name)
  mkdirSync(path.join(dir, 'cli'), { recursive: true })
  copyFileSync(DV, path.join(dir, 'cli', 'main.js'))
  writeFileSync(path.join(dir, 'cli', 'program.js'), "process.stdout.write('tsc')\n")
  const now = Date.now() / 1000
  utimesSync(path.join(dir, 'cli', 'program.js'), now - 100, now - 100)
  if (bundleAgeS !== undefined) {
    mkdirSync(path.join(dir, 'cli-bundle'))
    writeFileSync(path.join(dir, 'cli-bundle', 'program.js'), "process.stdout.write('bundle')\n")
    utimesSync(path.join(dir, 'cli-bundle', 'program.js'), now - bundleAgeS, now - bundleAgeS)
  }
  return path.join(dir, 'cli', 'main.js')
}

function runs(main: string, env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [main], { encoding: 'utf8', env: { ...process.env, DV_NO_BUNDLE: '', ...env } })
  expect(r.status, r.stderr).toBe(0)
  return r.stdout
}

describe('dv start-up picks the CLI bundle only when it is current', () => {
  it('runs the bundle when it is as new as tsc output or newer', () => {
    expect(runs(layout('newer', 10))).toBe('bundle')
    expect(runs(layout('same', 100))).toBe('bundle')
  })

  it("runs tsc's output when the bundle is older, missing, or DV_NO_BUNDLE=1", () => {
    expect(runs(layout('older', 200))).toBe('tsc')
    expect(runs(layout('missing', undefined))).toBe('tsc')
    expect(runs(layout('opted-out', 10), { DV_NO_BUNDLE: '1' })).toBe('tsc')
  })

  it('the built dist/ has a current bundle, so spawned CLIs run it', () => {
    const hook = path.join(root, 'which-program.mjs')
    writeFileSync(hook, `import { register } from 'node:module'
register('data:text/javascript,' + encodeURIComponent("export async function resolve(s, c, next) { const r = await next(s, c); if (/program\\\\.js$/.test(r.url)) process.stderr.write('PROGRAM ' + r.url + '\\\\n'); return r }"))
`)
    const r = spawnSync(process.execPath, ['--import', hook, DV, '--version'], { encoding: 'utf8', env: { ...process.env, DV_NO_BUNDLE: '' } })
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
    expect(r.stderr.split('\n').filter((l) => l.startsWith('PROGRAM'))).toEqual([`PROGRAM file://${path.resolve(path.dirname(DV), '..', 'cli-bundle', 'program.js')}`])
  })
})
