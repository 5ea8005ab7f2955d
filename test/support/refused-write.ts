/**
 * A write that must be refused: INVALID_ARGUMENT, and the repository as it
 * was (the branch head unmoved, nothing staged).
 */
import { expect } from 'vitest'
import type { DvError, Repository } from '../../src/index.js'

/** Commits `path` to table `t` of `r`, expects the refusal, and returns it. */
export async function refusedWrite(r: Repository, path: string): Promise<DvError> {
  const head = await r.resolve('main')
  const e = await r.write('t', path, { commit: true, message: 'refused' }).then(() => undefined, (x: DvError) => x)
  expect(e, `${path} was accepted`).toBeDefined()
  expect(e!.code).toBe('INVALID_ARGUMENT')
  expect(await r.resolve('main')).toBe(head)
  expect((await r.status()).staged).toEqual([])
  return e!
}
