/**
 * Where one writer's 1-row append commit spends its time: every store call
 * timed through a wrapper (objects and refs), the commit protocol alone (an
 * empty --allow-empty commit), and the ingest alone (the 1-row Arrow table to
 * a Parquet file in the data engine, through internal modules as stages.ts
 * does). For diagnosis; no target.
 */
import { link, mkdir, mkdtemp, open as openFile, rm, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { Repository } from '../src/index.js'
import { createDataEngine } from '../src/io/index.js'
import { evolveSchema } from '../src/table/write.js'
import type { ObjectStore, ReflogStore, RefStore, Storage } from '../src/store/types.js'
import { median, timeIt } from './measure.js'
import { oneRowTable, type OpenStorage } from './pipeline-commits.js'

export interface CallTimes {
  calls: number
  ms: number
}

export interface AppendProfile {
  commits: number
  /** Median of one write(..., { commit: true }) of a 1-row Arrow table. */
  appendMs: number
  /** Median of one empty commit (allowEmpty): read ref + head, write snapshot, CAS. */
  protocolMs: number
  /** Median of openSource + writeParquet + close of the same 1-row table (no store, no commit). */
  ingestMs: number
  /** Store calls during the appends, per commit (sum of call durations). */
  store: Record<string, CallTimes>
  /** Process CPU (user + system, all threads) per operation: append, ingest alone, empty commit. */
  cpuMs: { append: number; ingest: number; protocol: number }
  /** Median of one durable publish of a small file in `floorDir` (the local store's put protocol with node:fs alone). */
  durablePublishMs?: number
}

/** Wraps every promise-returning method of `target` to add its duration under `prefix.method`. */
function timeCalls<T extends object>(target: T, prefix: string, sink: Map<string, CallTimes>): T {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t) as unknown
      if (typeof value !== 'function') return value
      const fn = value as (...args: unknown[]) => unknown
      if (prop === 'list' || prop === 'pathOf') return fn.bind(t)
      return (...args: unknown[]) => {
        const started = performance.now()
        const record = () => {
          const entry = sink.get(`${prefix}.${String(prop)}`) ?? { calls: 0, ms: 0 }
          entry.calls++
          entry.ms += performance.now() - started
          sink.set(`${prefix}.${String(prop)}`, entry)
        }
        const out = fn.apply(t, args)
        if (out instanceof Promise) return out.finally(record)
        record()
        return out
      }
    },
  })
}

function timeStorage(storage: Storage, sink: Map<string, CallTimes>): Storage {
  return {
    objects: timeCalls<ObjectStore>(storage.objects, 'objects', sink),
    refs: timeCalls<RefStore>(storage.refs, 'refs', sink),
    reflog: timeCalls<ReflogStore>(storage.reflog, 'reflog', sink),
    location: storage.location,
    readConfig: () => storage.readConfig(),
    createConfig: (b) => storage.createConfig(b),
    close: () => storage.close(),
  }
}

/** `commits` appends and `commits` empty commits by one writer on a table that exists, then the ingest alone. */
export async function profileAppend(open: OpenStorage, table: string, commits: number, floorDir?: string): Promise<AppendProfile> {
  const sink = new Map<string, CallTimes>()
  const repo = await Repository.fromStorage(timeStorage(await open(), sink))
  const append: number[] = []
  const empty: number[] = []
  try {
    await repo.write(table, oneRowTable(0, -2), { commit: true, message: 'profile warm-up' })
    sink.clear()
    let cpu = process.cpuUsage()
    for (let i = 0; i < commits; i++) {
      append.push((await timeIt(() => repo.write(table, oneRowTable(0, 10_000 + i), { commit: true, message: `profile ${i}` }))).ms)
    }
    const appendCpu = cpuSince(cpu) / commits
    const store = Object.fromEntries([...sink].map(([k, v]) => [k, { calls: v.calls / commits, ms: v.ms / commits }]))
    cpu = process.cpuUsage()
    for (let i = 0; i < commits; i++) empty.push((await timeIt(() => repo.commit({ message: `empty ${i}`, allowEmpty: true }))).ms)
    const protocolCpu = cpuSince(cpu) / commits
    const durablePublishMs = floorDir === undefined ? undefined : await timeDurablePublish(floorDir, commits)
    const ingest = await timeIngest(commits)
    return {
      commits, appendMs: median(append), protocolMs: median(empty), ingestMs: ingest.ms, store, durablePublishMs,
      cpuMs: { append: appendCpu, ingest: ingest.cpuMs, protocol: protocolCpu },
    }
  } finally {
    await repo.close()
  }
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1000
}

async function timeIngest(times: number): Promise<{ ms: number; cpuMs: number }> {
  const engine = await createDataEngine()
  const dir = await mkdtemp(join(tmpdir(), 'dv-bench-ingest-'))
  const once = async (i: number) => {
    const source = await engine.openSource(oneRowTable(0, i), { tmpDir: dir })
    try {
      const { schema } = evolveSchema('t', source.name, null, source.columns)
      await source.writeParquet({ schema, partitionSpec: [], outDir: join(dir, `out-${i}`) })
    } finally {
      await source.close()
    }
  }
  try {
    await once(-1)
    const samples: number[] = []
    const cpu = process.cpuUsage()
    for (let i = 0; i < times; i++) samples.push((await timeIt(() => once(i))).ms)
    return { ms: median(samples), cpuMs: cpuSince(cpu) / times }
  } finally {
    await engine.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * The physical floor of making one small object durable, as the local store
 * does it: write a temp file, fsync it, link it to its final name, fsync the
 * directory, unlink the temp name.
 */
async function timeDurablePublish(dir: string, times: number): Promise<number> {
  const root = await mkdtemp(join(dir, 'floor-'))
  const bytes = Buffer.alloc(1024, 7)
  const samples: number[] = []
  try {
    for (let i = 0; i < times; i++) {
      const started = performance.now()
      const temp = join(root, `tmp-${i}`)
      const final = join(root, `obj-${i % 16}`, `o-${i}`)
      await mkdir(join(root, `obj-${i % 16}`), { recursive: true })
      const handle = await openFile(temp, 'wx')
      await handle.write(bytes)
      await handle.sync()
      await handle.close()
      await link(temp, final)
      const dirHandle = await openFile(join(root, `obj-${i % 16}`), 'r')
      await dirHandle.sync()
      await dirHandle.close()
      await unlink(temp)
      samples.push(performance.now() - started)
    }
    return median(samples)
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

/** The profile as note lines. */
export function describeProfile(p: AppendProfile): string[] {
  const storeMs = Object.values(p.store).reduce((n, c) => n + c.ms, 0)
  const calls = Object.entries(p.store).sort((a, b) => b[1].ms - a[1].ms)
    .map(([k, v]) => `${k} ${v.calls.toFixed(1)}x ${v.ms.toFixed(1)} ms`).join(', ')
  return [
    `one writer, ${p.commits} appends: ${p.appendMs.toFixed(1)} ms per 1-row append commit (median), process CPU ${p.cpuMs.append.toFixed(1)} ms`,
    `  ingest alone (1-row Arrow -> Parquet: openSource + writeParquet + close): ${p.ingestMs.toFixed(1)} ms, CPU ${p.cpuMs.ingest.toFixed(1)} ms`,
    `  commit protocol alone (empty commit: ref get, head, snapshot put, CAS): ${p.protocolMs.toFixed(1)} ms, CPU ${p.cpuMs.protocol.toFixed(1)} ms`,
    `  store calls per append (mean, sum of durations ${storeMs.toFixed(1)} ms): ${calls}`,
    ...(p.durablePublishMs === undefined ? [] : [
      `  floor: one durable small-file publish on this disk (write, fsync, link, fsync dir, unlink) ${p.durablePublishMs.toFixed(1)} ms`,
    ]),
  ]
}
