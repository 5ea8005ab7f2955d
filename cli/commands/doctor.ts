/** `dv doctor` (the store's guarantees) and `dv fsck` (verify every reachable object). */
import { EXIT_CODES } from '../../src/index.js'
import { exitState, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'

export async function runDoctor(ctx: CliContext): Promise<void> {
  const result = await withRepository(ctx, (repo) => repo.doctor())
  const yes = (b: boolean) => (b ? 'yes' : 'NO')
  await emit(ctx, result, {
    text: (r) => [
      `store: ${r.location}`,
      `rejects a second create (If-None-Match): ${yes(r.conditionalWrites.ifNoneMatch)}`,
      `rejects a stale update (If-Match): ${yes(r.conditionalWrites.ifMatch)}`,
      r.concurrentWritersSafe ? 'concurrent writers: safe' : 'concurrent writers: UNSAFE (this store ignores conditional writes)',
    ],
  })
  if (!result.concurrentWritersSafe) exitState.code = EXIT_CODES.UNSUPPORTED
}

export async function runFsck(ctx: CliContext): Promise<void> {
  const result = await withRepository(ctx, (repo) => repo.verify())
  await emit(ctx, result, {
    text: (r) => [
      `checked ${r.refs} refs, ${r.snapshots} snapshots, ${r.tables} table versions, ${r.manifests} manifests, ${r.dataFiles} data files`,
      ...r.problems.map((p) => `error: ${p.object ? `object ${p.object}` : `ref ${p.ref}`}: ${p.message}`),
      ...(r.dangling ? [`${r.dangling} dangling objects (unreferenced; not an error)`] : []),
      r.ok ? 'ok' : `${r.problems.length} problem(s) found`,
    ],
  })
  if (!result.ok) exitState.code = EXIT_CODES.CORRUPT
}
