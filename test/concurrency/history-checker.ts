/**
 * A history checker for concurrent commits (Jepsen/Elle style, specialised to
 * one branch's first-parent chain). Writers log every commit attempt as one
 * JSONL line; the attempt's `op` (unique per attempt) is also the commit
 * message, so a commit in the chain names the attempt that produced it.
 *
 * Rules (violations are returned as lowercase sentences):
 * - every acknowledged ('ok') attempt's snapshot is in the chain exactly once,
 *   and carries the attempt's idempotency key (a replay returns the commit an
 *   earlier attempt with the same key produced);
 * - no idempotency key and no attempt appears twice in the chain (no duplicates);
 * - a 'conflict' or 'error' attempt never produced a commit in the chain;
 *   an 'unknown' one produced at most one;
 * - real-time order: if attempt A ended before attempt B started and both
 *   produced commits, A's commit precedes B's in the chain;
 * - the chain holds no commit that no attempt produced (besides the base).
 */
import { readFile } from 'node:fs/promises'

export type AttemptOutcome = 'ok' | 'conflict' | 'unknown' | 'error'

export interface Attempt {
  worker: string
  /** Unique per attempt; also the commit message of the commit it makes. */
  op: string
  /** The idempotency key (shared by the retries of one logical commit). */
  key: string
  /** Wall-clock milliseconds (Date.now()) before the call and after it returned or threw. */
  start: number
  end: number
  outcome: AttemptOutcome
  snapshot?: string
  /** True when an 'ok' attempt was an idempotent replay of an earlier commit. */
  replay?: boolean
  error?: string
}

/** One commit of the branch's first-parent chain. */
export interface ChainCommit {
  snapshot: string
  message: string
  idempotencyKey?: string
}

export interface CheckOptions {
  /** Snapshots of the chain that no logged attempt made (the base history). */
  base?: Iterable<string>
}

export interface CheckResult {
  violations: string[]
  acknowledged: number
  landed: number
}

export async function readAttemptLog(...paths: string[]): Promise<Attempt[]> {
  const out: Attempt[] = []
  for (const path of paths) {
    const text = await readFile(path, 'utf8')
    for (const line of text.split('\n')) if (line.trim() !== '') out.push(JSON.parse(line) as Attempt)
  }
  return out
}

/** The first-parent chain ending at `head`, oldest first, from log entries (e.g. `repo.log({ rev })`). */
export function firstParentChain(
  head: string, entries: Array<{ snapshot: string; parents: string[]; message: string; idempotencyKey?: string }>,
): ChainCommit[] {
  const byId = new Map(entries.map((e) => [e.snapshot, e]))
  const chain: ChainCommit[] = []
  const seen = new Set<string>()
  for (let cur: string | undefined = head; cur !== undefined; ) {
    const e = byId.get(cur)
    if (!e) throw new Error(`snapshot ${cur} is missing from the log`)
    if (seen.has(cur)) throw new Error(`the chain has a cycle at ${cur}`)
    seen.add(cur)
    chain.push({ snapshot: e.snapshot, message: e.message, ...(e.idempotencyKey ? { idempotencyKey: e.idempotencyKey } : {}) })
    cur = e.parents[0]
  }
  return chain.reverse()
}

export function checkHistory(attempts: Attempt[], chain: ChainCommit[], options: CheckOptions = {}): CheckResult {
  const violations: string[] = []
  const base = new Set(options.base ?? [])
  const byOp = new Map<string, Attempt>()
  for (const a of attempts) {
    if (byOp.has(a.op)) violations.push(`attempt op '${a.op}' is logged twice`)
    byOp.set(a.op, a)
  }

  // positions in the chain, by snapshot, by producing attempt, by key
  const position = new Map<string, number>()
  const producedAt = new Map<string, number>()
  const keyAt = new Map<string, number>()
  chain.forEach((c, i) => {
    if (position.has(c.snapshot)) violations.push(`snapshot ${c.snapshot} appears twice in the chain`)
    position.set(c.snapshot, i)
    if (base.has(c.snapshot)) return
    const producer = byOp.get(c.message)
    if (!producer) {
      violations.push(`commit ${c.snapshot} ('${c.message}') at position ${i} was produced by no logged attempt`)
      return
    }
    if (producedAt.has(producer.op)) violations.push(`attempt '${producer.op}' landed twice (positions ${producedAt.get(producer.op)} and ${i})`)
    producedAt.set(producer.op, i)
    if (producer.outcome === 'conflict' || producer.outcome === 'error') {
      violations.push(`attempt '${producer.op}' reported ${producer.outcome} but its commit ${c.snapshot} is in the chain at position ${i}`)
    }
    if (c.idempotencyKey !== producer.key) {
      violations.push(`commit ${c.snapshot} of attempt '${producer.op}' carries key '${c.idempotencyKey ?? ''}', not '${producer.key}'`)
    }
    if (c.idempotencyKey !== undefined) {
      if (keyAt.has(c.idempotencyKey)) {
        violations.push(`idempotency key '${c.idempotencyKey}' landed twice (positions ${keyAt.get(c.idempotencyKey)} and ${i}): a duplicated commit`)
      }
      keyAt.set(c.idempotencyKey, i)
    }
  })

  let acknowledged = 0
  for (const a of attempts) {
    if (a.outcome !== 'ok') continue
    acknowledged++
    if (a.snapshot === undefined) {
      violations.push(`acknowledged attempt '${a.op}' logged no snapshot`)
      continue
    }
    const at = position.get(a.snapshot)
    if (at === undefined) {
      violations.push(`acknowledged attempt '${a.op}' (snapshot ${a.snapshot}) is lost: not in the chain`)
      continue
    }
    const c = chain[at]
    if (c.idempotencyKey !== a.key) {
      violations.push(`acknowledged attempt '${a.op}' returned snapshot ${a.snapshot} whose key is '${c.idempotencyKey ?? ''}', not '${a.key}'`)
    }
    if (!a.replay && c.message !== a.op) {
      violations.push(`acknowledged attempt '${a.op}' returned snapshot ${a.snapshot} made by '${c.message}', but said it was no replay`)
    }
  }

  // real-time order among attempts that produced commits
  const landed = [...producedAt].map(([op, pos]) => ({ a: byOp.get(op)!, pos })).sort((x, y) => x.a.end - y.a.end)
  for (let i = 0; i < landed.length; i++) {
    for (let j = 0; j < landed.length; j++) {
      const first = landed[i]
      const second = landed[j]
      if (first.a.end < second.a.start && first.pos > second.pos) {
        violations.push(`real-time order: '${first.a.op}' ended (${first.a.end}) before '${second.a.op}' started (${second.a.start}) but lands after it (positions ${first.pos} > ${second.pos})`)
      }
    }
  }
  return { violations, acknowledged, landed: producedAt.size }
}
