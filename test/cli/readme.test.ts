/**
 * The README runs as written: every ```sh block, in order, with `dv` on PATH
 * pointing at the built CLI, in a directory prepared as the quickstart does
 * (examples/make-sample-data.mjs lake). Blocks share the working directory
 * (a `cd` in one holds for the next). A block fails the test on any non-zero
 * exit (bash -e -o pipefail) unless the README expects it with
 * `<!-- exit: N -->` right before the block. A block that cannot run here
 * carries `<!-- not-run: REASON -->` and is reported as skipped with it.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DV, ROOT, buildIfStale, makeSampleData } from './run-dv.js'

export interface ShellBlock {
  /** 1-based line of the opening fence. */
  line: number
  code: string
  notRun?: string
  exit: number
}

/** The ```sh blocks of a Markdown text with the markers in the HTML comment before each. */
export function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n')
  const blocks: ShellBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```sh') continue
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```')
    if (end < 0) throw new Error(`README line ${i + 1}: a \`\`\`sh block is never closed`)
    let before = i - 1
    while (before >= 0 && lines[before]!.trim() === '') before--
    const marker = before >= 0 ? /^<!--\s*(not-run|exit):\s*(.*?)\s*-->$/.exec(lines[before]!.trim()) : null
    blocks.push({
      line: i + 1,
      code: lines.slice(i + 1, end).join('\n'),
      ...(marker?.[1] === 'not-run' ? { notRun: marker[2] } : {}),
      exit: marker?.[1] === 'exit' ? Number(marker[2]) : 0,
    })
    i = end
  }
  return blocks
}

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
const blocks = shellBlocks(README)
let work: string
let bin: string
let cwdFile: string

beforeAll(() => {
  buildIfStale()
  work = mkdtempSync(path.join(tmpdir(), 'dv-readme-'))
  makeSampleData(path.join(work, 'lake'))
  bin = path.join(work, 'bin')
  mkdirSync(bin)
  writeFileSync(path.join(bin, 'dv'), `#!/bin/sh\nexec "${process.execPath}" "${DV}" "$@"\n`)
  chmodSync(path.join(bin, 'dv'), 0o755)
  cwdFile = path.join(work, '.cwd')
  writeFileSync(cwdFile, work)
}, 180_000) // may build dist first
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('README.md', () => {
  it('has shell blocks, and a reason for each one that does not run', () => {
    expect(blocks.filter((b) => b.notRun === undefined).length).toBeGreaterThanOrEqual(2)
    for (const b of blocks) if (b.notRun !== undefined) expect(b.notRun, `block at line ${b.line}`).not.toBe('')
  })

  for (const block of blocks) {
    const name = `the sh block at README line ${block.line}${block.notRun ? ` (not run: ${block.notRun})` : ''}`
    if (block.notRun !== undefined) {
      it.skip(name, () => undefined)
      continue
    }
    it(name, () => {
      const script = `cd "$(cat '${cwdFile}')"\n${block.code}\npwd > '${cwdFile}'\n`
      const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, DV_AUTHOR: 'README <readme@example.com>' }
      delete env.DV_DIR
      const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], { env, encoding: 'utf8', timeout: 180_000, maxBuffer: 64 << 20 })
      const detail = `exit ${r.status}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`
      expect(r.status, detail).toBe(block.exit)
      expect(r.stderr, detail).not.toMatch(/^error: /m)
    }, 180_000)
  }
})
