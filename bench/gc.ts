/**
 * dv gc at scale (issue 11): a repository of 10,000 commits (4 branches of
 * one-row appends) and 100,000 objects (the commits' ~40,000 and abandoned
 * uploads for the rest), on the local store and on the S3 test server.
 *
 *   npm run build && node dist/bench/gc.js [--commits 10000] [--objects 100000] [--reps 3] [--stores local,s3]
 *   (bash .ci/s3-server.sh start && source /tmp/dv-s3-server/env first for the S3 figures)
 *
 * The loopback S3 server stores ~100 keys a second, so the S3 repository is a
 * tenth of that (--s3-commits, --s3-objects) unless asked.
 *
 * Figures, per store:
 *   1. the first gc (a listing of the store): mark, listing, sweep of the garbage;
 *   2. the next gc after 1% more abandoned objects: mark, inventory + log, sweep;
 *   3. what the mark read: metadata objects and bytes, and data-file bytes (the bar: none);
 *   4. learning what is stored from the inventory against listing the store, in the
 *      same state (dry runs, alternated, median of --reps): the baseline is the listing.
 * The bar (issue 11): mark time that grows with live metadata, not with data bytes,
 * and no full listing after the first run.
 *
 * The fixture is built once (~4 min) into bench/data/gc-<commits>-<objects>/ and
 * copied for each store (uploaded key by key to S3, the same layout).
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { randomBytes, randomUUID } from 'node:crypto'
import { cp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { Repository, type GcResult } from '../src/index.js'
import { mapLimit, openLocalStorage, openS3Storage, wrapCounting, type Storage } from '../src/store/index.js'
import { median } from './measure.js'
import { DATA_DIR } from './paths.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  return i < 0 ? fallback : Number(process.argv[i + 1])
}
const COMMITS = arg('--commits', 10_000)
const OBJECTS = arg('--objects', 100_000)
/** The loopback S3 server (moto) stores ~100 keys/s: its repository is a tenth of the local one unless asked. */
const S3_COMMITS = arg('--s3-commits', Math.ceil(COMMITS / 10))
const S3_OBJECTS = arg('--s3-objects', Math.ceil(OBJECTS / 10))
const REPS = arg('--reps', 3)
/** Which stores to measure: `--stores local,s3` (default both; s3 needs DV_TEST_S3_ENDPOINT). */
const STORES = new Set((process.argv[process.argv.indexOf('--stores') + 1] ?? 'local,s3').split(','))
const WRITERS = 4
const say = (line: string): void => void process.stderr.write(`  .. ${line}\n`)

/** A repository with `commits` commits and `objects` objects, built once. */
async function fixture(commits: number, objects: number): Promise<string> {
  const dir = join(DATA_DIR, `gc-${commits}-${objects}`)
  if (await stat(join(dir, 'done')).then(() => true, () => false)) return dir
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const started = performance.now()
  const repo = await Repository.init(dir)
  const csv = (w: number, i: number): Promise<string> => {
    const path = join(dir, `w${w}.csv`)
    return writeFile(path, `id,writer\n${i},${w}\n`).then(() => path)
  }
  await repo.write('t', await csv(0, 0), { commit: true, message: 'init' })
  for (let w = 0; w < WRITERS; w++) await repo.createBranch(`w${w}`, 'main')
  const per = Math.ceil((commits - 1) / WRITERS)
  await Promise.all(Array.from({ length: WRITERS }, async (_, w) => {
    for (let i = 0; i < per; i++) {
      await repo.write('t', await csv(w, w * per + i + 1), { commit: true, message: `row ${i}`, branch: `w${w}` })
      if (w === 0 && i % 500 === 0) say(`fixture: ${i * WRITERS} commits, ${((performance.now() - started) / 1000).toFixed(0)} s`)
    }
  }))
  await repo.close()
  const storage = openLocalStorage(join(dir, '.dv'))
  let stored = 0
  for await (const _ of storage.objects.list('')) stored++
  const garbage = Math.max(0, objects - stored)
  say(`fixture: ${stored} objects from the commits; storing ${garbage} abandoned ones`)
  await mapLimit(Array.from({ length: garbage }, (_, i) => i), 16, () => storage.objects.put(randomBytes(256)))
  await writeFile(join(dir, 'done'), `${commits} commits, ${objects} objects, built in ${((performance.now() - started) / 1000).toFixed(0)} s\n`)
  say(`fixture built in ${((performance.now() - started) / 1000).toFixed(0)} s`)
  return dir
}

/** Every file of the repository that S3 holds too (the same layout, without the workspace's files). */
async function repositoryFiles(root: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, e.name)
      if (e.isDirectory()) await walk(path)
      else out.push(relative(root, path))
    }
  }
  for (const top of ['objects', 'refs', 'reflog']) await walk(join(root, top)).catch(() => undefined)
  out.push('config.json')
  return out
}

interface StoreUnderTest {
  name: string
  /** A fresh copy of the fixture, opened. */
  open(): Promise<Storage>
}

function localStore(fixtureDir: string): StoreUnderTest {
  return {
    name: 'local',
    async open() {
      const dir = join(DATA_DIR, 'work', `gc-local-${randomUUID()}`)
      await mkdir(join(DATA_DIR, 'work'), { recursive: true })
      await cp(join(fixtureDir, '.dv'), dir, { recursive: true, filter: (src) => !/[/\\](gc|tmp|staging)$/.test(src) })
      return openLocalStorage(dir)
    },
  }
}

function s3Store(fixtureDir: string, endpoint: string): StoreUnderTest {
  const credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'dvtest', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'dvtest' }
  const bucket = `dv-gc-bench-${randomUUID().slice(0, 8)}`
  return {
    name: 's3',
    async open() {
      const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials })
      await client.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined)
      const prefix = `repo-${randomUUID().slice(0, 8)}`
      const root = join(fixtureDir, '.dv')
      const files = await repositoryFiles(root)
      const started = performance.now()
      await mapLimit(files, 32, async (f) => client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${f}`, Body: await readFile(join(root, f)) })))
      say(`s3: uploaded ${files.length} keys in ${((performance.now() - started) / 1000).toFixed(0)} s`)
      client.destroy()
      const cache = join(DATA_DIR, 'work', `gc-s3-cache-${randomUUID()}`)
      return openS3Storage(`s3://${bucket}/${prefix}`, { endpoint, region: 'us-east-1', credentials, cache: { dir: cache } })
    },
  }
}

function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`
}

function phases(r: GcResult): string {
  return `mark ${fmtMs(r.ms.mark)}, ${r.inventory.source === 'listing' ? 'listing' : 'inventory + log'} ${fmtMs(r.ms.stored)}, sweep ${fmtMs(r.ms.sweep)}`
}

async function benchStore(store: StoreUnderTest): Promise<string[]> {
  const lines: string[] = []
  const storage = wrapCounting(await store.open())
  try {
    const repo = await Repository.fromStorage(storage, { author: 'bench' })
    storage.resetCounts()
    const first = await repo.gc({ graceMs: 0, force: true })
    const read = storage.reads.size
    const metadata = first.mark.snapshots + first.mark.tables + first.mark.manifests
    lines.push(`${store.name} first gc (lists the store): ${first.stored.objects} objects, deleted ${first.deleted.length}; ${phases(first)}`)
    lines.push(`${store.name}   the mark read ${first.mark.snapshots} snapshots, ${first.mark.tables} table versions, ${first.mark.manifests} manifests ` +
      `and ${read - metadata} other objects (settings, expiry), ${read} in all: no data file (${first.mark.dataFiles} live, named by the manifests)`)
    if (first.inventory.source !== 'listing') throw new Error('the first gc did not list the store')

    // garbage of 1% of the store since the first run, as from failed writes
    const later = Math.max(100, Math.round(first.stored.objects / 100))
    await mapLimit(Array.from({ length: later }, (_, i) => i), 16, () => storage.objects.put(randomBytes(256)))
    await new Promise((r) => setTimeout(r, 1100)) // S3 keeps whole seconds: the garbage must be older than the cutoff
    // same state, dry runs alternated: what is stored, from the inventory and from a listing
    const fromInventory: number[] = []
    const fromListing: number[] = []
    for (let i = 0; i < REPS; i++) {
      const a = await repo.gc({ graceMs: 0, force: true, dryRun: true })
      const b = await repo.gc({ graceMs: 0, force: true, dryRun: true, listAll: true })
      if (a.inventory.source !== 'inventory' || a.deleted.length !== b.deleted.length) throw new Error(`the inventory run found ${a.deleted.length} candidates, the listing ${b.deleted.length}`)
      fromInventory.push(a.ms.stored)
      fromListing.push(b.ms.stored)
    }
    const second = await repo.gc({ graceMs: 0, force: true })
    lines.push(`${store.name} next gc (inventory + ${second.inventory.logged} log lines, no listing): deleted ${second.deleted.length}; ${phases(second)}`)
    const [inv, list] = [median(fromInventory), median(fromListing)]
    lines.push(`${store.name} what is stored, ${second.stored.objects} objects: inventory + log ${fmtMs(inv)} vs listing ${fmtMs(list)} (baseline): ${(inv / list).toFixed(2)}x ` +
      `(median of ${REPS} dry runs each)`)
    lines.push(`${store.name} mark ${fmtMs(second.ms.mark)} for ${second.mark.liveObjects} live objects from ${second.mark.refs} refs and ${second.mark.reflogEntries} reflog entries`)
    await repo.close()
  } finally {
    await storage.close()
  }
  return lines
}

async function main(): Promise<void> {
  console.log(`$ node dist/bench/gc.js --commits ${COMMITS} --objects ${OBJECTS} --s3-commits ${S3_COMMITS} --s3-objects ${S3_OBJECTS} --reps ${REPS} --stores ${[...STORES].join(',')}`)
  const stores: StoreUnderTest[] = []
  if (STORES.has('local')) {
    const dir = await fixture(COMMITS, OBJECTS)
    console.log(`local fixture: ${(await readFile(join(dir, 'done'), 'utf8')).trim()}`)
    stores.push(localStore(dir))
  }
  const endpoint = process.env.DV_TEST_S3_ENDPOINT
  if (!STORES.has('s3')) return runAll(stores)
  if (endpoint !== undefined) {
    const small = await fixture(S3_COMMITS, S3_OBJECTS)
    console.log(`s3 fixture: ${(await readFile(join(small, 'done'), 'utf8')).trim()}`)
    stores.push(s3Store(small, endpoint))
  } else console.log('(no DV_TEST_S3_ENDPOINT: local store only)')
  await runAll(stores)
}

async function runAll(stores: StoreUnderTest[]): Promise<void> {
  try {
    for (const s of stores) for (const line of await benchStore(s)) console.log(line)
  } finally {
    await rm(join(DATA_DIR, 'work'), { recursive: true, force: true })
  }
}

await main()
