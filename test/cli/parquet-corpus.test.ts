/**
 * Real-world Parquet through the CLI: every file of the corpus written by
 * test/fixtures/parquet/make-corpus.py (pyarrow, pandas, fastparquet and
 * polars: every codec, encoding, page version, INT96, no statistics, damaged
 * copies) is ingested with `dv write t FILE --commit -m …` into a repository
 * of its own, then either
 *  - round-trips exactly: `dv cat --format parquet` read back by pyarrow holds
 *    the values pyarrow reads from the original, or
 *  - is rejected with exit 5, naming the file, and nothing is written: no ref
 *    moves, nothing is staged, no object is stored, or
 *  - (a valid file with no rows) is refused like any empty input: exit 2,
 *    naming the file, a hint naming --allow-empty, nothing written; written
 *    again with --allow-empty it round-trips (an empty table of its columns).
 * The first file of each expectation goes through the built `dv` (its exit
 * code and stderr are what users see); every other file goes through the
 * library in this process, which the CLI is a thin shell over (the same
 * Repository.write and Repository.cat), its error turned into the exit code
 * and stderr text by the CLI's own cli/report-error.ts: 2-3 fewer `dv`
 * processes per file.
 * Nested files round-trip exactly too (compared by test/support/compare_nested.py).
 * Nanosecond timestamps, time and unsigned types round-trip exactly too, and
 * INT96 (nanoseconds on disk) is read as `timestamp` when every value is a
 * whole microsecond (Spark's), as `timestamp_ns` otherwise (`units`).
 */
import { execFileSync } from 'node:child_process'
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { reportError } from '../../cli/report-error.js'
import { TextSink } from '../support/text-sink.js'
import { ROOT, buildIfStale, forEachLimit, runDv, runDvToFile } from './run-dv.js'
import { runPython, testPython } from '../support/python.js'

interface Entry {
  file: string
  writer: string
  what: string
  scope: 'flat' | 'nested' | 'nanos' | 'types'
  expect: 'ok' | 'reject' | 'empty'
  reference: string
  says?: string
  /** column -> the timestamp unit dv must read it as ("us": `timestamp`, "ns": `timestamp_ns`) */
  units?: Record<string, 'us' | 'ns'>
}

interface Outcome {
  write: { code: number; stderr: string }
  /** the refused empty input written again with --allow-empty */
  allowEmpty?: { code: number; stderr: string }
  cat?: { code: number; stderr: string }
  stateKept: boolean
  output: string
}

const python = testPython('the Parquet corpus suite (test/cli/parquet-corpus.test.ts)')
const CONCURRENCY = 3

// The corpus is written while the tests are collected, so each file is a test of its own.
const work = python ? mkdtempSync(path.join(tmpdir(), 'dv-parquet-corpus-')) : ''
const corpus = path.join(work, 'corpus')
let entries: Entry[] = []
if (python) {
  mkdirSync(corpus)
  execFileSync(python, [path.join(ROOT, 'test/fixtures/parquet/make-corpus.py'), corpus], { stdio: 'pipe' })
  entries = JSON.parse(readFileSync(path.join(corpus, 'corpus.json'), 'utf8')) as Entry[]
}
const outcomes = new Map<string, Outcome>()
const compared = new Map<string, { ok: boolean; problem?: string }>()

/** Every file of the repository (object files by name only); what a rejected write must leave as it was. */
function repoState(dir: string): string {
  const lines: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) {
        if (e.name !== 'tmp') walk(p)
      } else lines.push(p.includes(`${path.sep}objects${path.sep}`) ? p : `${p}: ${readFileSync(p, 'utf8')}`)
    }
  }
  walk(dir)
  return lines.join('\n')
}

type Run = { code: number; stderr: string }

/** `dv write t FILE --commit -m …` and `dv cat t --format parquet > output`, either through the built CLI or in process. */
interface Ingester {
  write(repo: string, args: string[], allowEmpty: boolean): Promise<Run>
  cat(repo: string, output: string): Promise<Run>
}

const viaCli: Ingester = {
  write: (repo, args, allowEmpty) => runDvToFile(['write', 't', ...args, '--commit', '-m', `load ${path.basename(args[0]!)}`, ...(allowEmpty ? ['--allow-empty'] : [])], { cwd: repo }),
  cat: (repo, output) => runDvToFile(['cat', 't', '--format', 'parquet'], { cwd: repo, stdoutFile: output }),
}

/** What the CLI exits with and prints on stderr for what `fn` throws: its own reportError (cli/report-error.ts). */
async function inProcess(repoDir: string, fn: (repo: Repository) => Promise<unknown>): Promise<Run> {
  const repo = await Repository.open(repoDir, { author: 'Test <test@example.com>' })
  try {
    await fn(repo)
    return { code: 0, stderr: '' }
  } catch (e) {
    const stderr = new TextSink()
    const code = reportError(e, { json: false, stdout: new TextSink(), stderr, debug: false })
    return { code, stderr: stderr.text }
  } finally {
    await repo.close()
  }
}

const viaLibrary: Ingester = {
  write: (repo, [file], allowEmpty) => inProcess(repo, (r) => r.write('t', file!, { commit: true, message: `load ${path.basename(file!)}`, ...(allowEmpty ? { allowEmpty } : {}) })),
  cat: (repo, output) => inProcess(repo, async (r) => {
    const out = createWriteStream(output)
    try {
      await r.cat('t', out, { format: 'parquet' })
    } finally {
      out.end()
      await once(out, 'close')
    }
  }),
}

async function ingest(entry: Entry, template: string, via: Ingester): Promise<Outcome> {
  const repo = path.join(work, 'repos', entry.file)
  cpSync(template, repo, { recursive: true })
  const before = repoState(path.join(repo, '.dv'))
  const args = [path.join(corpus, entry.file)]
  const write = await via.write(repo, args, false)
  const output = path.join(work, 'out', entry.file)
  if (write.code !== 0) {
    const stateKept = repoState(path.join(repo, '.dv')) === before
    if (entry.expect !== 'empty') return { write, stateKept, output }
    const allowEmpty = await via.write(repo, args, true)
    if (allowEmpty.code !== 0) return { write, allowEmpty, stateKept, output }
    const cat = await via.cat(repo, output)
    return { write, allowEmpty, cat, stateKept, output }
  }
  const cat = await via.cat(repo, output)
  return { write, cat, stateKept: false, output }
}

/** The first file of each expectation (ok, reject, empty): the ones that go through the built CLI. */
function throughCli(all: Entry[]): Set<string> {
  const first = new Map<string, string>()
  for (const e of all) if (!first.has(e.expect)) first.set(e.expect, e.file)
  return new Set(first.values())
}

describe.skipIf(!python)('real-world Parquet through dv write and dv cat', () => {
  beforeAll(async () => {
    buildIfStale()
    for (const d of ['out', 'repos']) mkdirSync(path.join(work, d))
    const template = path.join(work, 'template')
    expect(runDv(['init', template], { cwd: work }).code).toBe(0)
    const cli = throughCli(entries)
    expect([...cli].map((f) => entries.find((e) => e.file === f)!.expect).sort()).toEqual(['empty', 'ok', 'reject'])
    await forEachLimit(entries, CONCURRENCY, async (entry) => {
      outcomes.set(entry.file, await ingest(entry, template, cli.has(entry.file) ? viaCli : viaLibrary))
    })
    const pairs = entries
      .filter((e) => outcomes.get(e.file)?.cat?.code === 0 && e.scope !== 'nested')
      // an empty file's reference is itself: the empty table dv writes with --allow-empty holds its columns
      .map((e) => ({ name: e.file, expected: path.join(corpus, e.reference), actual: outcomes.get(e.file)!.output, units: e.units ?? {} }))
    const results = JSON.parse(await runPython(python!, path.join(ROOT, 'test/support/compare_tables.py'), [], { input: JSON.stringify(pairs) })) as
      Array<{ name: string; ok: boolean; problem?: string }>
    for (const r of results) compared.set(r.name, r)
    const nested = entries
      .filter((e) => outcomes.get(e.file)?.cat?.code === 0 && e.scope === 'nested')
      .map((e) => ({ name: e.file, expected: path.join(corpus, e.reference), actual: outcomes.get(e.file)!.output, format: 'parquet' }))
    const nestedResults = JSON.parse(await runPython(python!, path.join(ROOT, 'test/support/compare_nested.py'), [], { input: JSON.stringify(nested) })) as
      Array<{ name: string; ok: boolean; problem?: string }>
    for (const r of nestedResults) compared.set(r.name, r)
  }, 900_000)

  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it('covers every codec and encoding the brief names, from several writers', () => {
    const text = entries.map((e) => `${e.writer}: ${e.what}`).join('\n')
    for (const feature of ['NONE', 'SNAPPY', 'GZIP', 'BROTLI', 'ZSTD', 'LZ4_RAW', 'Hadoop', 'raw block', 'LZ4 frame', 'BYTE_STREAM_SPLIT on INT32',
      'BYTE_STREAM_SPLIT on FIXED_LEN_BYTE_ARRAY', 'DELTA_BINARY_PACKED', 'DELTA_LENGTH_BYTE_ARRAY', 'DELTA_BYTE_ARRAY', 'RLE_DICTIONARY',
      'PLAIN_DICTIONARY', 'data page v2', 'INT96', 'no statistics', 'datetime64[ns]', 'garbled Thrift footer', 'garbled page header',
      'footer magic', 'cut in half', 'flipped bytes']) {
      expect(text, feature).toContain(feature)
    }
    expect(new Set(entries.map((e) => e.writer.split(' ')[0])).size).toBeGreaterThanOrEqual(4)
  })

  it.each(entries)('$file: $what ($writer)', (entry) => {
    const outcome = outcomes.get(entry.file)!
    const label = `${entry.file} (${entry.writer}: ${entry.what}): ${outcome.write.stderr.trim()}`
    expect(outcome.write.code, label).not.toBe(1)
    if (entry.expect === 'ok') {
      expect(outcome.write.code, label).toBe(0)
      expect(outcome.cat?.code, `${label} / cat: ${outcome.cat?.stderr}`).toBe(0)
      expect(compared.get(entry.file), label).toEqual({ name: entry.file, ok: true })
    } else if (entry.expect === 'empty') {
      expect(outcome.write.code, label).toBe(2)
      expect(outcome.write.stderr, label).toContain(entry.file)
      expect(outcome.write.stderr, label).toContain('--allow-empty')
      expect(outcome.stateKept, `${label}: the repository changed`).toBe(true)
      expect(outcome.allowEmpty?.code, `${label} / --allow-empty: ${outcome.allowEmpty?.stderr}`).toBe(0)
      expect(outcome.cat?.code, `${label} / cat: ${outcome.cat?.stderr}`).toBe(0)
      expect(compared.get(entry.file), label).toEqual({ name: entry.file, ok: true })
    } else if (entry.expect === 'reject') {
      expect(outcome.write.code, label).toBe(5)
      expect(outcome.write.stderr, label).toContain(entry.file)
      if (entry.says) expect(outcome.write.stderr, label).toContain(entry.says)
      expect(outcome.stateKept, `${label}: the repository changed`).toBe(true)
    } else {
      throw new Error(`${entry.file}: unknown expectation ${String(entry.expect)}`)
    }
  })
})
