/**
 * `dv doctor --race N`: the probe (s3-probe.ts) sends one request at a time,
 * so it cannot see a server whose check-and-store is not atomic: such a
 * server refuses every conditional PUT that arrives after a write, yet lets
 * two racers that arrive together both win. The race sends N conditional
 * PUTs at once on a fresh key, round after round, and counts the winners:
 *
 *   create: N x PUT If-None-Match: *           -> exactly one 200 (a new ref)
 *   update: N x PUT If-Match: <the key's ETag> -> exactly one 200 (a ref update)
 *
 * The keys live under `<prefix>probe/` and are deleted afterwards.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { randomUUID } from 'node:crypto'
import { isConditionalConflict, isPreconditionFailed, nameOf, s3Error } from './s3-errors.js'
import type { S3Context } from './s3-location.js'
import type { ProbedStorage } from './s3-probe.js'
import type { Storage } from './types.js'

export interface RaceRound {
  round: number
  /** `create`: If-None-Match on a missing key; `update`: If-Match on the key's current ETag. */
  kind: 'create' | 'update'
  racers: number
  /** PUTs the store accepted: exactly 1 on a store whose conditional writes are atomic. */
  winners: number
  /** PUTs refused with 412 (or 409, a conflicting request in progress). */
  refused: number
  /** Other failures, by error name. */
  errors: string[]
}

export interface RaceResult {
  racers: number
  rounds: RaceRound[]
  /** Every round had exactly one winner. */
  ok: boolean
}

export interface RaceOptions {
  racers: number
  rounds: number
}

/** Runs the race on an S3 store; undefined for stores with no conditional PUTs to race (local, memory). */
export async function raceConditionalWrites(storage: Storage, options: RaceOptions): Promise<RaceResult | undefined> {
  const probed = storage as Partial<ProbedStorage>
  if (typeof probed.probeContext !== 'function') return undefined
  const { ctx } = probed.probeContext()
  const rounds: RaceRound[] = []
  for (let round = 1; round <= options.rounds; round++) {
    rounds.push(await raceCreate(ctx, round, options.racers))
    rounds.push(await raceUpdate(ctx, round, options.racers))
  }
  return { racers: options.racers, rounds, ok: rounds.every((r) => r.winners === 1 && r.errors.length === 0) }
}

function scratchKey(ctx: S3Context): string {
  return `${ctx.loc.prefix}probe/race-${randomUUID()}`
}

function put(ctx: S3Context, key: string, condition: { IfNoneMatch?: string; IfMatch?: string }) {
  return ctx.casClient.send(new PutObjectCommand({ Bucket: ctx.loc.bucket, Key: key, Body: `dv race ${randomUUID()}\n`, ...condition }))
}

async function settle(ctx: S3Context, round: number, kind: RaceRound['kind'], key: string, racers: number, send: () => Promise<unknown>): Promise<RaceRound> {
  try {
    const outcomes = await Promise.allSettled(Array.from({ length: racers }, send))
    const result: RaceRound = { round, kind, racers, winners: 0, refused: 0, errors: [] }
    for (const o of outcomes) {
      if (o.status === 'fulfilled') result.winners++
      else if (isPreconditionFailed(o.reason) || isConditionalConflict(o.reason)) result.refused++
      else result.errors.push(nameOf(o.reason))
    }
    return result
  } finally {
    await ctx.casClient.send(new DeleteObjectCommand({ Bucket: ctx.loc.bucket, Key: key })).catch(() => undefined)
  }
}

async function raceCreate(ctx: S3Context, round: number, racers: number): Promise<RaceRound> {
  const key = scratchKey(ctx)
  return settle(ctx, round, 'create', key, racers, () => put(ctx, key, { IfNoneMatch: '*' }))
}

async function raceUpdate(ctx: S3Context, round: number, racers: number): Promise<RaceRound> {
  const key = scratchKey(ctx)
  let etag: string | undefined
  try {
    etag = (await put(ctx, key, {})).ETag
  } catch (e) {
    throw s3Error(e, 'create the race key', { url: ctx.loc.url, bucket: ctx.loc.bucket, endpoint: ctx.endpoint })
  }
  return settle(ctx, round, 'update', key, racers, () => put(ctx, key, { IfMatch: etag }))
}
