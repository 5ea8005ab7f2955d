/**
 * `dv export --format iceberg` read by a real engine: PyIceberg opens each
 * export with StaticTable.from_metadata and reads every exported snapshot by
 * its Iceberg snapshot id (time travel), the current one, refs and filtered
 * scans (which prune on the exported partition values and statistics); each
 * must give exactly the rows `dv cat --at` gives. Tables: partitioned with
 * appends, deletes, overwrites and replace-partitions; schema evolution (add,
 * rename, widen, drop); nested types; Parquet files ingested as they were,
 * without field ids (read through the name mapping). One Python process
 * reads all of them. Also: incremental re-export writes only what is new and
 * moves version-hint.text; bad input (a type Iceberg v2 lacks, a target
 * holding another table, an unknown --at) exits with its code and writes nothing.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { ROOT, buildIfStale, runDv, runDvToFile } from './run-dv.js'
import { runPython, testPython } from '../support/python.js'
import { TEST_CREDENTIALS, createTestBucket, s3Endpoint } from '../support/s3-server.js'

const python = testPython('the Iceberg export suite (test/cli/iceberg-export.test.ts)')
const work = python ? mkdtempSync(path.join(tmpdir(), 'dv-iceberg-')) : ''

interface Check { snapshot?: string | null; ref?: string; filter?: string; expected: string }
interface Job { name: string; metadata: string; checks: Check[]; properties?: Record<string, string> }
interface Result { name: string; ok?: boolean; problem?: string; info?: { snapshots: string[]; current: string; refs: Record<string, { snapshot: string; type: string }>; schema: string } }

function dv(cwd: string, ...args: string[]): string {
  const r = runDv(args, { cwd })
  if (r.code !== 0) throw new Error(`dv ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

/** The repository's commits on HEAD's first-parent chain, oldest first. */
function commits(cwd: string): string[] {
  return (JSON.parse(dv(cwd, 'log', '--json')) as Array<{ snapshot: string }>).map((e) => e.snapshot).reverse()
}

const icebergId = (snapshot: string) => String(Number.parseInt(snapshot.slice(0, 13), 16))

let expectedCount = 0
/** `dv cat TABLE --at REV [--where W] --format parquet` into a file of its own: the rows a check expects. */
async function expected(cwd: string, table: string, at: string, where?: string): Promise<string> {
  const file = path.join(work, `expected-${expectedCount++}.parquet`)
  const r = await runDvToFile(['cat', table, '--at', at, '--format', 'parquet', ...(where ? ['--where', where] : [])], { cwd, stdoutFile: file })
  if (r.code !== 0) throw new Error(`dv cat ${table} --at ${at} exited ${r.code}: ${r.stderr}`)
  return file
}

function exportJson(cwd: string, table: string, to: string, ...more: string[]): { metadata: string; newSnapshots: number; manifestsWritten: number; upToDate: boolean; snapshots: number; refs: string[] } {
  return JSON.parse(dv(cwd, 'export', table, '--format', 'iceberg', '--to', to, '--json', ...more)) as ReturnType<typeof exportJson>
}

/** Every commit of the table's history as a time-travel check, and the current state. */
async function historyChecks(cwd: string, table: string, snapshots: string[]): Promise<Check[]> {
  const checks: Check[] = [{ snapshot: null, expected: await expected(cwd, table, 'HEAD') }]
  for (const s of snapshots) checks.push({ snapshot: icebergId(s), expected: await expected(cwd, table, s) })
  return checks
}

function csv(dir: string, name: string, text: string): string {
  const file = path.join(dir, name)
  writeFileSync(file, text)
  return file
}

function listing(dir: string): Map<string, number> {
  return new Map(readdirSync(dir).map((f) => [f, statSync(path.join(dir, f)).mtimeMs]))
}

const jobs: Job[] = []
let noFieldIds = 0
const results = new Map<string, Result>()
const scenario: Record<string, { repo: string; out: string; snapshots: string[]; first?: ReturnType<typeof exportJson> }> = {}

describe.skipIf(!python)('dv export --format iceberg, read by PyIceberg', () => {
  beforeAll(async () => {
    buildIfStale()

    // A: partitioned by day(ts); append, append, delete, overwrite --where, replace-partitions
    const a = path.join(work, 'a')
    dv(work, 'init', a)
    dv(a, 'write', 'events', csv(a, '1.csv', 'id,name,ts,amount\n1,ann,2026-01-01T10:00:00Z,1.50\n2,bob,2026-01-02T11:00:00Z,2.25\n3,cy,2026-01-02T23:59:59Z,\n10,ida,2026-01-02T01:00:00Z,10.00\n11,jo,2026-01-02T02:00:00Z,-3.00\n12,kim,2026-01-02T03:00:00Z,12.00\n'),
      '--partition-by', 'day(ts)', '--schema', 'id long not null, name string, ts timestamptz, amount decimal(10,2)', '--commit', '-m', 'load')
    dv(a, 'write', 'events', csv(a, '2.csv', 'id,name,ts,amount\n4,dee,2026-01-03T00:00:00Z,4.00\n5,,2026-01-01T00:00:00Z,-0.50\n'), '--commit', '-m', 'more')
    dv(a, 'tag', 'v1')
    dv(a, 'write', 'events', '--mode', 'delete', '--where', 'id = 2', '--commit', '-m', 'drop bob')
    dv(a, 'write', 'events', csv(a, '3.csv', 'id,name,ts,amount\n6,eve,2026-01-03T08:00:00Z,6.00\n'), '--mode', 'overwrite', '--where', 'id >= 4 and id < 10', '--commit', '-m', 'replace 4 and 5')
    dv(a, 'write', 'events', csv(a, '4.csv', 'id,name,ts,amount\n7,fay,2026-01-01T12:00:00Z,7.00\n'), '--mode', 'replace-partitions', '--commit', '-m', 'redo jan 1')
    dv(a, 'branch', 'side', 'v1')
    const aOut = path.join(work, 'a-export')
    scenario.a = { repo: a, out: aOut, snapshots: commits(a).slice(1) }
    scenario.a.first = exportJson(a, 'events', aOut, '--branch-refs')
    const aChecks = await historyChecks(a, 'events', scenario.a.snapshots)
    aChecks.push({ ref: 'v1', expected: await expected(a, 'events', 'v1') })
    aChecks.push({ ref: 'side', expected: await expected(a, 'events', 'side') })
    aChecks.push({ snapshot: null, filter: 'id >= 5', expected: await expected(a, 'events', 'HEAD', 'id >= 5') })
    aChecks.push({ snapshot: null, filter: 'id >= 11', expected: await expected(a, 'events', 'HEAD', 'id >= 11') })
    aChecks.push({ snapshot: icebergId(scenario.a.snapshots[0]), filter: "name > 'j'", expected: await expected(a, 'events', scenario.a.snapshots[0], "name > 'j'") })
    aChecks.push({ snapshot: null, filter: "ts >= '2026-01-02T00:00:00+00:00'", expected: await expected(a, 'events', 'HEAD', "ts >= '2026-01-02T00:00:00Z'") })
    aChecks.push({ snapshot: null, filter: 'amount < 2', expected: await expected(a, 'events', 'HEAD', 'amount < 2') })
    aChecks.push({ snapshot: null, filter: 'name is null', expected: await expected(a, 'events', 'HEAD', 'name is null') })
    jobs.push({ name: 'partitioned', metadata: scenario.a.first.metadata, checks: aChecks })

    // incremental: one more commit, exported again to the same place
    dv(a, 'write', 'events', csv(a, '5.csv', 'id,name,ts,amount\n8,gus,2026-01-04T00:00:00Z,8.00\n'), '--commit', '-m', 'late')
    const incremental = exportJson(a, 'events', aOut)
    jobs.push({ name: 'incremental', metadata: incremental.metadata, checks: await historyChecks(a, 'events', commits(a).slice(1)) })
    jobs.push({ name: 'previous-version', metadata: scenario.a.first.metadata, checks: [{ snapshot: null, expected: aChecks[0].expected }] })
    Object.assign(scenario.a, { incremental })

    // B: schema evolution: add a column, rename, widen int -> long, drop, append after each
    const b = path.join(work, 'b')
    dv(work, 'init', b)
    dv(b, 'write', 't', csv(b, '1.csv', 'id,v,name\n1,10,a\n2,20,b\n'), '--schema', 'id long not null, v int, name string', '--commit', '-m', 'load')
    dv(b, 'table', 'alter', 't', 'add-column', 'extra', 'string')
    dv(b, 'write', 't', csv(b, '2.csv', 'id,v,name,extra\n3,30,c,x\n'), '--commit', '-m', 'with extra')
    dv(b, 'table', 'alter', 't', 'rename-column', 'name', 'label')
    dv(b, 'write', 't', csv(b, '3.csv', 'id,v,label,extra\n4,40,d,y\n'), '--commit', '-m', 'after rename')
    dv(b, 'table', 'alter', 't', 'widen', 'v', 'long')
    dv(b, 'write', 't', csv(b, '4.csv', 'id,v,label,extra\n5,500,e,z\n'), '--commit', '-m', 'a long')
    dv(b, 'table', 'alter', 't', 'drop-column', 'extra')
    dv(b, 'write', 't', csv(b, '5.csv', 'id,v,label\n6,60,f\n'), '--commit', '-m', 'after drop')
    scenario.b = { repo: b, out: path.join(work, 'b-export'), snapshots: commits(b).slice(1) }
    const bExport = exportJson(b, 't', scenario.b.out)
    const bChecks = await historyChecks(b, 't', scenario.b.snapshots)
    bChecks.push({ snapshot: null, filter: 'v > 100', expected: await expected(b, 't', 'HEAD', 'v > 100') })
    jobs.push({ name: 'evolution', metadata: bExport.metadata, checks: bChecks })

    // C: nested types
    const c = path.join(work, 'c')
    dv(work, 'init', c)
    execFileSync(python!, ['-c', `import pyarrow as pa, pyarrow.parquet as pq, sys
pq.write_table(pa.table({
  'id': pa.array([1, 2, 3, 4], pa.int64()),
  'tags': pa.array([['a', 'b'], [], None, ['c', None]], pa.list_(pa.string())),
  'payload': pa.array([{'user': {'name': 'ann', 'age': 30}, 'n': 1}, {'user': None, 'n': 2}, None, {'user': {'name': None, 'age': 4}, 'n': None}],
                      pa.struct([('user', pa.struct([('name', pa.string()), ('age', pa.int32())])), ('n', pa.int64())])),
  'attrs': pa.array([[('k', 1.5), ('j', -2.5)], [], None, [('z', None)]], pa.map_(pa.string(), pa.float64())),
}), sys.argv[1])`, path.join(c, 'nested.parquet')])
    dv(c, 'write', 'n', path.join(c, 'nested.parquet'), '--commit', '-m', 'nested')
    dv(c, 'write', 'n', '--mode', 'delete', '--where', 'id = 2', '--commit', '-m', 'delete 2')
    scenario.c = { repo: c, out: path.join(work, 'c-export'), snapshots: commits(c).slice(1) }
    jobs.push({ name: 'nested', metadata: exportJson(c, 'n', scenario.c.out).metadata, checks: await historyChecks(c, 'n', scenario.c.snapshots) })

    // D: a Parquet file from pyarrow, without field ids, kept as it is; then renamed and appended to
    const d = path.join(work, 'd')
    dv(work, 'init', d)
    execFileSync(python!, ['-c', `import pyarrow as pa, pyarrow.parquet as pq, sys
pq.write_table(pa.table({'k': pa.array([1, 2, 3], pa.int64()), 's': ['x', None, 'z']}), sys.argv[1])`, path.join(d, 'plain.parquet')])
    dv(d, 'write', 'p', path.join(d, 'plain.parquet'), '--commit', '-m', 'as is')
    dv(d, 'table', 'alter', 'p', 'rename-column', 's', 'label')
    dv(d, 'write', 'p', csv(d, 'more.csv', 'k,label\n4,w\n'), '--commit', '-m', 'more')
    // the name mapping is what this scenario tests: dv must have kept the file as it was, without field ids
    noFieldIds = Number(execFileSync(python!, ['-c', `import pyarrow.parquet as pq, glob, sys
n = 0
for f in glob.glob(sys.argv[1] + '/objects/*/*'):
    try:
        s = pq.read_schema(f)
    except Exception:
        continue
    n += all(b'PARQUET:field_id' not in (x.metadata or {}) for x in s)
print(n)`, path.join(d, '.dv')], { encoding: 'utf8' }).trim())
    scenario.d = { repo: d, out: path.join(work, 'd-export'), snapshots: commits(d).slice(1) }
    jobs.push({ name: 'no-field-ids', metadata: exportJson(d, 'p', scenario.d.out).metadata, checks: await historyChecks(d, 'p', scenario.d.snapshots) })

    // E: a repository on S3 (when the test server runs): the data files are s3:// URIs the engine reads there
    if (s3Endpoint) {
      const bucket = await createTestBucket('export')
      const remote = `s3://${bucket}/lake`
      const env = { AWS_ENDPOINT_URL: s3Endpoint, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' }
      const s3dv = (...args: string[]) => {
        const r = runDv(['-C', remote, ...args], { cwd: work, env })
        if (r.code !== 0) throw new Error(`dv ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
        return r.stdout
      }
      expect(runDv(['init', remote], { cwd: work, env }).code).toBe(0)
      s3dv('write', 'r', csv(work, 's3-1.csv', 'id,c\n1,a\n2,b\n3,a\n'), '--partition-by', 'c', '--commit', '-m', 'one')
      s3dv('write', 'r', '--mode', 'delete', '--where', 'id = 3', '--commit', '-m', 'two')
      const exported = JSON.parse(s3dv('export', 'r', '--format', 'iceberg', '--to', path.join(work, 's3-export'), '--json')) as { metadata: string }
      const checks: Check[] = []
      for (const at of ['HEAD~1', 'HEAD']) {
        const file = path.join(work, `s3-${at}.parquet`)
        const r = await runDvToFile(['-C', remote, 'cat', 'r', '--at', at, '--format', 'parquet'], { cwd: work, stdoutFile: file }) // the S3 settings come from the test's environment (sourced env file)
        if (r.code !== 0) throw new Error(r.stderr)
        const id = (JSON.parse(s3dv('log', at, '-n', '1', '--json')) as Array<{ snapshot: string }>)[0].snapshot
        checks.push({ snapshot: icebergId(id), expected: file })
      }
      jobs.push({ name: 's3', metadata: exported.metadata, checks, properties: {
        's3.endpoint': s3Endpoint, 's3.access-key-id': TEST_CREDENTIALS.accessKeyId, 's3.secret-access-key': TEST_CREDENTIALS.secretAccessKey, 's3.region': 'us-east-1',
      } })
    }

    for (const r of JSON.parse(await runPython(python!, path.join(ROOT, 'test/support/read_iceberg.py'), [], { input: JSON.stringify(jobs) })) as Result[]) {
      results.set(r.name, r)
    }
  }, 600_000)

  it.each(['partitioned', 'incremental', 'previous-version', 'evolution', 'nested', 'no-field-ids'])('%s: every snapshot, ref and filtered scan gives the rows of dv cat', (name) => {
    const job = jobs.find((j) => j.name === name)!
    const failed = job.checks.map((_, i) => results.get(`${name}#${i}`)).filter((r) => !r?.ok)
    expect(failed, JSON.stringify(failed, null, 1)).toEqual([])
    const head = name === 'previous-version' || name === 'partitioned' ? scenario.a.snapshots.at(-1)! : commits(scenarioOf(name).repo).at(-1)!
    expect(results.get(`${name}:info`)?.info?.current).toBe(icebergId(head))
  })

  it.skipIf(!s3Endpoint)('s3: a repository on S3 exports s3:// data file URIs that the engine reads', () => {
    const job = jobs.find((j) => j.name === 's3')!
    const failed = job.checks.map((_, i) => results.get(`s3#${i}`)).filter((r) => !r?.ok)
    expect(failed, JSON.stringify(failed, null, 1)).toEqual([])
    expect(readFileSync(new URL(job.metadata.replace(/v\d+\.metadata\.json$/, 'version-hint.text')), 'utf8')).toBe('1')
  })

  it('reads a data file without Parquet field ids through schema.name-mapping.default, after a rename too', () => {
    expect(noFieldIds).toBe(1)
    expect(results.get('no-field-ids#0')?.ok).toBe(true)
  })

  it('exports one Iceberg snapshot per commit of the table, oldest first, with refs for branches and tags', () => {
    const info = results.get('partitioned:info')!.info!
    expect(info.snapshots).toEqual(scenario.a.snapshots.map(icebergId))
    expect(info.refs.v1).toEqual({ snapshot: icebergId(scenario.a.snapshots[1]), type: 'tag' })
    expect(info.refs.side).toEqual({ snapshot: icebergId(scenario.a.snapshots[1]), type: 'branch' })
    expect(results.get('evolution:info')!.info!.schema).toContain('2: v: optional long')
  })

  it('re-exports incrementally: one new snapshot, its manifest, list and metadata; version-hint moved; old files untouched', () => {
    const { out, first } = scenario.a
    const incremental = (scenario.a as unknown as { incremental: ReturnType<typeof exportJson> }).incremental
    expect(first!.metadata.endsWith('/v1.metadata.json')).toBe(true)
    expect(incremental).toMatchObject({ newSnapshots: 1, manifestsWritten: 1, upToDate: false, snapshots: first!.snapshots + 1 })
    expect(incremental.metadata.endsWith('/v2.metadata.json')).toBe(true)
    expect(readFileSync(path.join(out, 'metadata', 'version-hint.text'), 'utf8')).toBe('2')
    const files = readdirSync(path.join(out, 'metadata'))
    // v1's export wrote 1 list per snapshot and at most one manifest per dv manifest; v2 added 1 manifest, 1 list, 1 metadata file
    expect(files.filter((f) => f.startsWith('snap-'))).toHaveLength(incremental.snapshots)
    const before = listing(path.join(out, 'metadata'))
    const again = exportJson(scenario.a.repo, 'events', out)
    expect(again).toMatchObject({ upToDate: true, newSnapshots: 0, manifestsWritten: 0 })
    expect(listing(path.join(out, 'metadata'))).toEqual(before)
  })

  it('refuses a type Iceberg v2 cannot represent: exit 5 naming the column, nothing written', () => {
    const repo = path.join(work, 'ns')
    dv(work, 'init', repo)
    dv(repo, 'write', 'ns', csv(repo, '1.csv', 'id,t\n1,2026-01-01T00:00:00.123456789\n'), '--schema', 'id long, t timestamp_ns', '--commit', '-m', 'ns')
    const out = path.join(work, 'ns-export')
    const r = runDv(['export', 'ns', '--format', 'iceberg', '--to', out], { cwd: repo })
    expect(r.code).toBe(5)
    expect(r.stderr).toMatch(/column 't' of table 'ns' has type timestamp_ns, which Iceberg format version 2 cannot represent/)
    expect(r.stderr).toMatch(/hint: .*Iceberg v3/)
    expect(existsSync(out)).toBe(false)
  })

  it('refuses a target holding another table, or other files: exit 2, the target unchanged', () => {
    const { repo } = scenario.b
    const before = listing(path.join(scenario.a.out, 'metadata'))
    const r = runDv(['export', 't', '--format', 'iceberg', '--to', scenario.a.out], { cwd: repo })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/holds another table/)
    expect(listing(path.join(scenario.a.out, 'metadata'))).toEqual(before)
    const other = path.join(work, 'not-empty')
    mkdirSync(other)
    writeFileSync(path.join(other, 'notes.txt'), 'mine')
    const o = runDv(['export', 't', '--format', 'iceberg', '--to', pathToFileURL(other).href], { cwd: repo })
    expect(o.code).toBe(2)
    expect(readdirSync(other)).toEqual(['notes.txt'])
  })

  it('an unknown --at is exit 3 and writes nothing', () => {
    const out = path.join(work, 'unknown-at')
    const r = runDv(['export', 't', '--format', 'iceberg', '--to', out, '--at', 'no-such-rev'], { cwd: scenario.b.repo })
    expect(r.code).toBe(3)
    expect(existsSync(out)).toBe(false)
  })
})

function scenarioOf(job: string): { repo: string } {
  return { partitioned: scenario.a, incremental: scenario.a, 'previous-version': scenario.a, evolution: scenario.b, nested: scenario.c, 'no-field-ids': scenario.d }[job]!
}
