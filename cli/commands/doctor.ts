/** `dv doctor` (the store's guarantees) and `dv fsck` (verify every reachable object). */
import { EXIT_CODES, type DoctorResult, type TemporaryFiles } from '../../src/index.js'
import { exitState, parseCount, usageError, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { plural } from '../text.js'

export interface DoctorInput {
  race?: string
  rounds?: string
}

export async function runDoctor(ctx: CliContext, input: DoctorInput = {}): Promise<void> {
  const racers = await parseCount(input.race, '--race')
  const rounds = await parseCount(input.rounds, '--rounds')
  if (rounds !== undefined && racers === undefined) return usageError('--rounds applies to --race N', 'for example dv doctor --race 16 --rounds 20')
  if (racers !== undefined && racers < 2) return usageError(`--race needs at least 2 racers, got ${racers}`, 'for example dv doctor --race 16')
  if (rounds === 0) return usageError('--rounds needs at least 1 round')
  const race = racers === undefined ? undefined : { racers, ...(rounds === undefined ? {} : { rounds }) }
  const result = await withRepository(ctx, (repo) => repo.doctor(race ? { race } : {}))
  await emit(ctx, result, { text: formatDoctor })
  if (!result.concurrentWritersSafe) exitState.code = EXIT_CODES.UNSUPPORTED
}

/** Says what was checked, and only that: one request at a time cannot show that check-and-store is atomic. */
export function formatDoctor(r: DoctorResult): string[] {
  const yes = (b: boolean) => (b ? 'yes' : 'NO')
  const lines = [
    `store: ${r.location}`,
    `rejects a second create (If-None-Match): ${yes(r.conditionalWrites.ifNoneMatch)}`,
    `rejects a stale update (If-Match): ${yes(r.conditionalWrites.ifMatch)}`,
  ]
  const sequential = r.conditionalWrites.ifNoneMatch && r.conditionalWrites.ifMatch
  if (!sequential) return [...lines, 'conditional writes: IGNORED (this store lets every racer win; dv refuses to commit there)']
  if (r.race) {
    for (const round of r.race.rounds) {
      const errors = round.errors.length ? `, ${round.errors.length} failed (${[...new Set(round.errors)].join(', ')})` : ''
      lines.push(`race round ${round.round} ${round.kind}: ${round.racers} racers, ${plural(round.winners, 'winner')}${errors}${round.winners === 1 && !round.errors.length ? '' : '  <- NOT ATOMIC'}`)
    }
    const bad = r.race.rounds.filter((x) => x.winners !== 1 || x.errors.length)
    lines.push(bad.length === 0
      ? `conditional writes: enforced one request at a time, and atomic in ${r.race.rounds.length} races of ${r.race.racers} concurrent PUTs (exactly one winner each)`
      : `conditional writes: NOT ATOMIC: ${bad.length} of ${r.race.rounds.length} races did not have exactly one winner; concurrent writers can both "win" on this store`)
    return lines
  }
  lines.push('conditional writes: enforced, checked one request at a time')
  lines.push(r.raceSkipped
    ? `concurrent check-and-store: not raced (${r.raceSkipped})`
    : 'concurrent check-and-store: not tested; run `dv doctor --race 16` to race concurrent conditional PUTs')
  return lines
}

export async function runFsck(ctx: CliContext, input: { full?: boolean } = {}): Promise<void> {
  const progress = ctx.tty && ctx.stderr.isTTY ? fsckProgress(ctx) : undefined
  let result
  try {
    result = await withRepository(ctx, (repo) => repo.verify({ full: input.full === true, ...(progress ? { onProgress: progress.update } : {}) }))
  } finally {
    progress?.stop()
  }
  await emit(ctx, result, {
    text: (r) => [
      `checked ${r.refs} refs, ${r.snapshots} snapshots, ${r.tables} table versions, ${r.manifests} manifests, ${r.dataFiles} data files${r.full ? ' (re-hashed, footers and row counts checked)' : ' (present; --full re-hashes them)'}`,
      ...r.problems.map((p) => `error: ${p.object ? `${p.kind ?? 'object'} ${p.object}` : `ref ${p.ref}`}${p.code === 'NOT_FOUND' ? ' is missing' : ''}: ${p.message}${p.refs.length ? ` (reached from ${p.refs.join(', ')})` : ''}`),
      ...(r.staged ? [`${r.staged} objects held by staged changes (not yet committed)`] : []),
      ...(r.dangling ? [`${r.dangling} dangling objects (unreferenced; not an error; dv gc removes them once older than its grace period)`] : []),
      ...formatTemporary(r.temporary),
      r.ok ? 'ok' : `${r.problems.length} problem(s) found`,
    ],
  })
  // every problem a missing object: NOT_FOUND (3); any damage: CORRUPT (5)
  if (!result.ok) exitState.code = result.problems.every((p) => p.code === 'NOT_FOUND') ? EXIT_CODES.NOT_FOUND : EXIT_CODES.CORRUPT
}

/** "checked N objects" on stderr, redrawn at most every 100 ms, only on a TTY. */
function fsckProgress(ctx: CliContext): { update: (n: number) => void; stop: () => void } {
  let last = 0
  let drawn = false
  return {
    update: (n) => {
      const now = Date.now()
      if (now - last < 100) return
      last = now
      drawn = true
      ctx.stderr.write(`\rfsck: checked ${n} objects`)
    },
    stop: () => {
      if (drawn) ctx.stderr.write('\r\x1b[K')
    },
  }
}

/** Leftover temporary files are information, not a problem: where they are, whose, and how to remove them. */
export function formatTemporary(t: TemporaryFiles): string[] {
  if (t.entries.length === 0) return []
  const lines = [`temporary files: ${formatSize(t.bytes)} in ${t.entries.length} ${t.entries.length === 1 ? 'entry' : 'entries'} (not an error)`]
  for (const e of t.entries) {
    const how = e.owner === 'running' ? `in use by dv process ${e.pid}`
      : e.owner === 'gone' ? `left by dv process ${e.pid}, which is gone: the next write removes it, or rm -rf '${e.path}'`
      : `owner unknown: remove it with rm -rf '${e.path}' when no dv process is running`
    lines.push(`  ${e.path}  ${formatSize(e.bytes)}  (${how})`)
  }
  return lines
}

function formatSize(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`
  return `${n} bytes`
}
