/**
 * `dv doctor`: what the store guarantees for concurrent commits. The probe
 * (s3-probe.ts) checks, one request at a time, that conditional writes which
 * must fail are refused; the optional race (s3-race.ts) checks that
 * check-and-store is atomic when requests arrive together.
 */
import { DvError } from '../errors.js'
import { probeConditionalWrites, type ConditionalWriteSupport } from './s3-probe.js'
import type { RaceResult } from './s3-race.js'
import type { Storage } from './types.js'

export interface DoctorResult {
  location: string
  /** The probe: each conditional write that must fail, sent one request at a time. */
  conditionalWrites: ConditionalWriteSupport
  /**
   * The probe passed and, when a race ran, every round had exactly one
   * winner. One request at a time cannot show that check-and-store is atomic:
   * only the race (`Repository.doctor({ race })`, `dv doctor --race N`) tests that.
   */
  concurrentWritersSafe: boolean
  /** What was checked: 'sequential' (the probe alone) or 'race' (the probe, then N concurrent PUTs per round). */
  checked: 'sequential' | 'race'
  /** Set when a race was asked for and the store has conditional PUTs to race (S3). */
  race?: RaceResult
  /** Why no race ran although one was asked for (a local or memory store). */
  raceSkipped?: string
}

export interface DoctorOptions {
  /** N concurrent conditional PUTs on a fresh key per round (S3 stores). */
  race?: { racers: number; rounds?: number }
}

/** Runs the probe, then the race when asked for. */
export async function checkStore(storage: Storage, options: DoctorOptions): Promise<DoctorResult> {
  const support = await probeConditionalWrites(storage)
  const result: DoctorResult = {
    location: storage.location, conditionalWrites: support, concurrentWritersSafe: support.ifNoneMatch && support.ifMatch, checked: 'sequential',
  }
  if (!options.race) return result
  const { racers, rounds = 10 } = options.race
  if (!Number.isSafeInteger(racers) || racers < 2 || !Number.isSafeInteger(rounds) || rounds < 1) {
    throw new DvError('INVALID_ARGUMENT', `a race needs at least 2 racers and 1 round (got ${racers} racers, ${rounds} rounds)`, { hint: 'for example dv doctor --race 16' })
  }
  const { raceConditionalWrites } = await import('./s3-race.js')
  const race = await raceConditionalWrites(storage, { racers, rounds })
  if (!race) {
    return { ...result, raceSkipped: 'this store is not on S3: its refs change under an exclusive lock file (local) or inside one process (memory), with no conditional PUTs to race' }
  }
  return { ...result, checked: 'race', race, concurrentWritersSafe: result.concurrentWritersSafe && race.ok }
}
