/**
 * `dv doctor` says what it checked, and `--race N` catches a store whose
 * check-and-store is not atomic: the probe (one request at a time) passes on
 * a deliberately racy in-process server, the race does not; the shared moto
 * server (with its serialising launcher) passes both.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DV, buildIfStale, runDv } from './run-dv.js'
import { runNode, type ChildResult } from '../support/run-node.js'
import { startRacyS3, type RacyS3 } from '../support/racy-s3.js'
import { TEST_CREDENTIALS, createTestBucket, describeS3, s3Endpoint } from '../support/s3-server.js'

interface RaceRoundJson { round: number; kind: string; racers: number; winners: number; refused: number; errors: string[] }
interface DoctorJson {
  checked: string
  concurrentWritersSafe: boolean
  conditionalWrites: { ifNoneMatch: boolean; ifMatch: boolean }
  race?: { racers: number; ok: boolean; rounds: RaceRoundJson[] }
  raceSkipped?: string
}

let work: string
beforeAll(() => {
  buildIfStale()
  work = mkdtempSync(path.join(tmpdir(), 'dv-doctor-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

/**
 * The built dv in a child process that does not block this one (the racy server runs here).
 * The shared test servers check credentials (versitygw does; moto does not), so every
 * call signs with the suites' fixed test credentials, which the racy server ignores.
 */
function dvAsync(args: string[], endpoint: string): Promise<ChildResult> {
  return runNode(DV, args, {
    AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1',
    DV_CACHE_DIR: path.join(work, 'cache'), DV_AUTHOR: 'Test <test@example.com>',
  })
}

describe('dv doctor on a local repository', () => {
  it('says the probe is the whole check, and skips a race with the reason', () => {
    expect(runDv(['init', 'lake'], { cwd: work }).code).toBe(0)
    const lake = path.join(work, 'lake')
    const plain = runDv(['doctor'], { cwd: lake })
    expect(plain.code).toBe(0)
    expect(plain.stdout).not.toMatch(/concurrent writers: safe/)
    expect(plain.stdout).toMatch(/checked one request at a time/)
    const raced = runDv(['--json', 'doctor', '--race', '4'], { cwd: lake })
    expect(raced.code).toBe(0)
    const json = JSON.parse(raced.stdout) as DoctorJson
    expect(json.checked).toBe('sequential')
    expect(json.raceSkipped).toMatch(/lock file/)
  })

  it('refuses a race of fewer than 2 racers and --rounds without --race (exit 2)', () => {
    const lake = path.join(work, 'lake')
    expect(runDv(['doctor', '--race', '1'], { cwd: lake })).toMatchObject({ code: 2, stderr: expect.stringMatching(/at least 2 racers/) })
    expect(runDv(['doctor', '--rounds', '3'], { cwd: lake })).toMatchObject({ code: 2, stderr: expect.stringMatching(/--rounds applies to --race/) })
  })
})

describe('dv doctor --race on a non-atomic server', () => {
  let racy: RacyS3
  beforeAll(async () => {
    // a wide check-to-store gap: on a loaded machine (load 20 on 2 cores) the racers' requests arrived over 150 ms apart
    racy = await startRacyS3({ gapMs: 500 })
  })
  afterAll(() => racy.close())

  it('passes the one-at-a-time probe, and the race finds several winners (exit 5)', async () => {
    const url = 's3://racy/lake'
    const init = await dvAsync(['init', url], racy.endpoint)
    expect(init.stderr).toBe('')
    expect(init.code).toBe(0)
    const plain = await dvAsync(['-C', url, 'doctor'], racy.endpoint)
    expect(plain.code).toBe(0) // the probe alone cannot see the race
    const raced = await dvAsync(['-C', url, '--json', 'doctor', '--race', '8', '--rounds', '3'], racy.endpoint)
    expect(raced.code).toBe(5)
    const json = JSON.parse(raced.stdout) as DoctorJson
    expect(json.conditionalWrites).toMatchObject({ ifNoneMatch: true, ifMatch: true })
    expect(json.checked).toBe('race')
    expect(json.concurrentWritersSafe).toBe(false)
    expect(json.race!.ok).toBe(false)
    expect(json.race!.rounds).toHaveLength(6)
    for (const round of json.race!.rounds) {
      expect(round.racers).toBe(8)
      expect(round.winners).toBeGreaterThan(1)
    }
    const text = await dvAsync(['-C', url, 'doctor', '--race', '4', '--rounds', '1'], racy.endpoint)
    expect(text.code).toBe(5)
    expect(text.stdout).toMatch(/^race round 1 create: 4 racers, [2-4] winners {2}<- NOT ATOMIC$/m)
    expect(text.stdout).toMatch(/conditional writes: NOT ATOMIC/)
    // the race cleans up after itself: only the repository's own keys remain
    expect([...racy.objects.keys()].filter((k) => k.includes('/probe/'))).toEqual([])
  })
})

describeS3('dv doctor --race on the shared test server', () => {
  it('has exactly one winner in every round, reported per round', async () => {
    const bucket = await createTestBucket('race')
    const url = `s3://${bucket}/lake-${randomUUID().slice(0, 8)}`
    expect((await dvAsync(['init', url], s3Endpoint!)).code).toBe(0)
    const raced = await dvAsync(['-C', url, '--json', 'doctor', '--race', '8', '--rounds', '5'], s3Endpoint!)
    expect(raced.stderr).toBe('')
    expect(raced.code).toBe(0)
    const json = JSON.parse(raced.stdout) as DoctorJson
    expect(json.checked).toBe('race')
    expect(json.concurrentWritersSafe).toBe(true)
    expect(json.race!.rounds.map((r) => [r.round, r.kind, r.winners, r.refused])).toEqual(
      [1, 2, 3, 4, 5].flatMap((n) => [[n, 'create', 1, 7], [n, 'update', 1, 7]]),
    )
  })
})
