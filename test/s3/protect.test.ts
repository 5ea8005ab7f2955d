/**
 * Branch protection on the real S3-compatible test server: the settings live
 * in the store (PREFIX/refs/settings, an object, a reflog entry), so a
 * second client (another Repository, another OS process running the CLI)
 * obeys protection set by the first, and a refusal changes no ref.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, expect, it } from 'vitest'
import { Repository, type DvError } from '../../src/index.js'
import { runDv } from '../cli/run-dv.js'
import { requireDist } from '../support/dist.js'
import { createTestBucket, describeS3, useS3WorkDir } from '../support/s3-server.js'


describeS3('branch protection on S3', () => {
  const work = useS3WorkDir('dv-s3protect-')
  let url: string
  beforeAll(async () => {
    url = `s3://${await createTestBucket('protect')}/lake`
    requireDist()
  }, 180_000)

  it('a second client and a second process obey protection set by the first', async () => {
    const csv = join(work.path, 'a.csv')
    await writeFile(csv, 'id\n1\n')
    const first = await Repository.init(url, { author: 'ann' })
    const second = await Repository.open(url, { author: 'bob' })
    try {
      await first.write('t', csv, { commit: true, message: 'load' })
      await first.createBranch('dev')
      await first.protectBranch('main', { requireMerge: true })
      const refs = async () => JSON.stringify([await second.listBranches(), await second.listTags()])
      const before = await refs()
      const e = await second.write('t', csv, { commit: true, message: 'direct' }).then(() => undefined, (x: DvError) => x)
      expect(e?.code).toBe('INVALID_ARGUMENT')
      expect(e?.details.rule).toBe('require-merge')
      const cli = runDv(['-C', url, 'write', 't', csv, '--commit', '-m', 'direct'], { cwd: work.path, env: { DV_CACHE_DIR: join(work.path, 'cache-cli') } })
      expect(cli.code, cli.stderr).toBe(2)
      expect(cli.stderr).toMatch(/^error: branch 'main' is protected with --require-merge: a direct write is refused\n/)
      const reset = runDv(['-C', url, 'reset', '--force', 'main~1', '--branch', 'main'], { cwd: work.path, env: { DV_CACHE_DIR: join(work.path, 'cache-cli') } })
      expect(reset.code, reset.stderr).toBe(2)
      expect(await refs()).toBe(before)
      await second.write('t', csv, { commit: true, message: 'on dev', branch: 'dev' })
      expect((await second.merge('dev', { into: 'main' })).status).toBe('fast-forward')
      expect((await second.listBranches()).find((b) => b.name === 'main')?.protection).toEqual({ requireChecks: false, requireMerge: true })
      await second.unprotectBranch('main')
      expect((await first.settingsHistory()).map((v) => `${v.author}: ${v.message}`)).toEqual(['bob: branch unprotect main', 'ann: branch protect main --require-merge'])
      expect((await first.reflog('main')).entries.length).toBeGreaterThan(0)
      expect((await first.verify()).problems).toEqual([])
    } finally {
      await second.close()
      await first.close()
    }
  }, 120_000)
})
