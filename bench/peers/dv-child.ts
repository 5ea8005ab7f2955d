/**
 * dv's library doing one work step of the peer benchmark in this fresh
 * process, the counterpart of peer.py: `node dv-child.js JSON` prints one
 * JSON line {"ms": [...], "stats"?: ...}. Times start after the module
 * import (the process wall, measured by the harness, includes it) and include
 * Repository.open, so a cold step pays for whatever dv loads lazily (DuckDB).
 * A warm writer (count > 1) keeps its Repository open: its later appends are
 * the operation alone.
 */
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import { Repository } from '../../src/index.js'
import { statsOfBatches, type Stats } from './stats.js'

export type DvRequest =
  | { op: 'ingest'; dir: string; table: string; source: string }
  | { op: 'append'; dir: string; table: string; source: string; count: number }
  | { op: 'read'; dir: string; table: string; at: string; to: 'arrow' }
  | { op: 'read'; dir: string; table: string; at: string; to: 'file'; out: string }
  | { op: 'branch'; dir: string; name: string }
  | { op: 'stats'; dir: string; table: string; at?: string }

export interface DvReply {
  ms: number[]
  stats?: Stats
  /** The snapshot of the last commit (ingest, append). */
  snapshot?: string
}

export async function runDvRequest(request: DvRequest): Promise<DvReply> {
  const started = performance.now()
  const repo = await Repository.open(request.dir)
  try {
    const ms: number[] = []
    let from = started
    const lap = () => {
      const now = performance.now()
      ms.push(now - from)
      from = now
    }
    switch (request.op) {
      case 'ingest': {
        const result = await repo.write(request.table, request.source, { commit: true, message: 'ingest' })
        lap()
        return { ms, snapshot: result.commit?.snapshot }
      }
      case 'append': {
        let snapshot: string | undefined
        for (let i = 0; i < request.count; i++) {
          snapshot = (await repo.write(request.table, request.source, { commit: true, message: 'append' })).commit?.snapshot
          lap()
        }
        return { ms, snapshot }
      }
      case 'read': {
        if (request.to === 'arrow') {
          const batches = []
          for await (const batch of repo.scan(request.table, { at: request.at })) batches.push(batch)
          lap()
          return { ms, stats: statsOfBatches(batches) }
        }
        const out = createWriteStream(request.out)
        await repo.cat(request.table, out, { at: request.at, format: 'parquet' })
        out.end()
        await finished(out)
        lap()
        return { ms }
      }
      case 'branch':
        await repo.createBranch(request.name)
        lap()
        return { ms }
      case 'stats': {
        const batches = []
        for await (const batch of repo.scan(request.table, request.at === undefined ? {} : { at: request.at })) batches.push(batch)
        return { ms, stats: statsOfBatches(batches) }
      }
    }
  } finally {
    await repo.close()
  }
}

// Run as a script (not when imported by the harness for its own read-backs).
if (process.argv[1]?.endsWith('dv-child.js')) {
  const reply = await runDvRequest(JSON.parse(process.argv[2]) as DvRequest)
  process.stdout.write(`${JSON.stringify(reply)}\n`)
}
