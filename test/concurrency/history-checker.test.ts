/** The history checker must accept a correct history and catch each kind of violation. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkHistory, firstParentChain, readAttemptLog, type Attempt, type ChainCommit } from './history-checker.js'

const BASE = 'base0'
const att = (op: string, key: string, start: number, end: number, outcome: Attempt['outcome'], snapshot?: string, replay?: boolean): Attempt => ({
  worker: op.split('-')[0], op, key, start, end, outcome, ...(snapshot ? { snapshot } : {}), ...(replay ? { replay } : {}),
})
const commit = (snapshot: string, message: string, idempotencyKey?: string): ChainCommit => ({ snapshot, message, ...(idempotencyKey ? { idempotencyKey } : {}) })

// a correct history: w1 and w2 overlap; w1's first try conflicted; w2's second key was unknown, then replayed
const goodAttempts = [
  att('w1-a#1', 'w1-a', 0, 5, 'conflict'),
  att('w1-a#2', 'w1-a', 6, 10, 'ok', 's1'),
  att('w2-a#1', 'w2-a', 2, 12, 'ok', 's2'),
  att('w2-b#1', 'w2-b', 13, 20, 'unknown'),
  att('w2-b#2', 'w2-b', 21, 25, 'ok', 's3', true),
  att('w1-b#1', 'w1-b', 30, 31, 'unknown'), // did not land
  att('w1-b#2', 'w1-b', 32, 35, 'ok', 's4'),
]
const goodChain = [commit(BASE, 'init'), commit('s1', 'w1-a#2', 'w1-a'), commit('s2', 'w2-a#1', 'w2-a'), commit('s3', 'w2-b#1', 'w2-b'), commit('s4', 'w1-b#2', 'w1-b')]

function violationsOf(attempts: Attempt[], chain: ChainCommit[]): string[] {
  return checkHistory(attempts, chain, { base: [BASE] }).violations
}

describe('history checker', () => {
  it('accepts a correct history', () => {
    const r = checkHistory(goodAttempts, goodChain, { base: [BASE] })
    expect(r.violations).toEqual([])
    expect(r.acknowledged).toBe(4)
    expect(r.landed).toBe(4)
  })

  it('catches a lost acknowledged commit', () => {
    const v = violationsOf(goodAttempts, goodChain.filter((c) => c.snapshot !== 's2'))
    expect(v.join('\n')).toMatch(/'w2-a#1' \(snapshot s2\) is lost/)
  })

  it('catches a duplicated commit (the same key landed twice)', () => {
    const attempts = [...goodAttempts.slice(0, 3), att('w2-b#1', 'w2-b', 13, 20, 'unknown'), att('w2-b#2', 'w2-b', 21, 25, 'ok', 's3b')]
    const chain = [...goodChain.slice(0, 3), commit('s3', 'w2-b#1', 'w2-b'), commit('s3b', 'w2-b#2', 'w2-b')]
    expect(violationsOf(attempts, chain).join('\n')).toMatch(/key 'w2-b' landed twice/)
  })

  it('catches a conflict or an error attempt whose commit landed', () => {
    const chain = [commit(BASE, 'init'), commit('s0', 'w1-a#1', 'w1-a'), ...goodChain.slice(2)]
    const v = violationsOf(goodAttempts.filter((a) => a.op !== 'w1-a#2'), chain)
    expect(v.join('\n')).toMatch(/'w1-a#1' reported conflict but its commit s0 is in the chain/)
    const errored = goodAttempts.map((a) => (a.op === 'w1-a#1' ? { ...a, outcome: 'error' as const } : a)).filter((a) => a.op !== 'w1-a#2')
    expect(violationsOf(errored, chain).join('\n')).toMatch(/'w1-a#1' reported error/)
  })

  it('catches an unknown attempt that landed twice', () => {
    const chain = [...goodChain, commit('s5', 'w2-b#1', 'w2-b')]
    const v = violationsOf(goodAttempts, chain)
    expect(v.join('\n')).toMatch(/attempt 'w2-b#1' landed twice/)
  })

  it('catches a real-time order violation', () => {
    const attempts = [att('w1-a#1', 'w1-a', 0, 5, 'ok', 's1'), att('w2-a#1', 'w2-a', 6, 9, 'ok', 's2')]
    const chain = [commit(BASE, 'init'), commit('s2', 'w2-a#1', 'w2-a'), commit('s1', 'w1-a#1', 'w1-a')]
    expect(violationsOf(attempts, chain).join('\n')).toMatch(/real-time order: 'w1-a#1' ended \(5\) before 'w2-a#1' started \(6\)/)
    // overlapping attempts may land in either order
    const overlapping = [att('w1-a#1', 'w1-a', 0, 7, 'ok', 's1'), att('w2-a#1', 'w2-a', 6, 9, 'ok', 's2')]
    expect(violationsOf(overlapping, chain)).toEqual([])
  })

  it('catches a commit that no attempt produced', () => {
    const chain = [...goodChain.slice(0, 3), commit('sx', 'who?', 'zz'), ...goodChain.slice(3)]
    expect(violationsOf(goodAttempts, chain).join('\n')).toMatch(/commit sx \('who\?'\) at position 3 was produced by no logged attempt/)
  })

  it('catches an acknowledged snapshot that belongs to another key, or a false replay', () => {
    const wrongKey = goodAttempts.map((a) => (a.op === 'w2-b#2' ? { ...a, snapshot: 's2' } : a))
    expect(violationsOf(wrongKey, goodChain).join('\n')).toMatch(/'w2-b#2' returned snapshot s2 whose key is 'w2-a'/)
    const notReplay = goodAttempts.map((a) => (a.op === 'w2-b#2' ? { ...a, replay: false } : a))
    expect(violationsOf(notReplay, goodChain).join('\n')).toMatch(/made by 'w2-b#1', but said it was no replay/)
  })

  it('catches an acknowledged attempt with no snapshot and an op logged twice', () => {
    const v = violationsOf([...goodAttempts, att('w1-b#2', 'w1-b', 40, 41, 'ok')], goodChain)
    expect(v.join('\n')).toMatch(/op 'w1-b#2' is logged twice/)
    expect(v.join('\n')).toMatch(/'w1-b#2' logged no snapshot/)
  })

  it('reads JSONL logs and builds the first-parent chain from log entries', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dv-checker-'))
    try {
      const path = join(dir, 'a.jsonl')
      await writeFile(path, goodAttempts.map((a) => JSON.stringify(a)).join('\n') + '\n')
      expect(await readAttemptLog(path)).toEqual(goodAttempts)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    const entries = [...goodChain].reverse().map((c, i, all) => ({ ...c, parents: i + 1 < all.length ? [all[i + 1].snapshot, 'side'] : [] }))
    entries.push({ snapshot: 'side', message: 'merged side', parents: [] })
    expect(firstParentChain('s4', entries)).toEqual(goodChain)
  })
})
