/**
 * Expired snapshots as readers, gc and fsck see them
 * (format-spec/retention.md#reading): the current expiry record (ref
 * `expiry` -> a `dv:expiry:v1` object), and the rule that a snapshot it
 * lists cannot be read unless a branch or tag points at it right now.
 * The snapshot object itself stays (history, `dv log`, idempotency keys);
 * its tables' objects may be gone.
 */
import type { ExpiredSnapshot, ExpiryRecord } from '../format/types.js'
import type { SnapshotId } from '../ids.js'
import type { RefValue, Storage } from '../store/types.js'
import { DvError } from '../errors.js'
import { EXPIRY_REF, parseExpiry } from '../format/index.js'
import { shortId } from '../ids.js'
import { BRANCH_PREFIX, TAG_PREFIX } from '../refs/names.js'
import { refObjectReader } from '../refs/ref-object.js'

export interface CurrentExpiry {
  /** The ref as read (null: nothing was ever expired). */
  ref: RefValue | null
  record: ExpiryRecord | null
}

const readExpiryObject = refObjectReader(EXPIRY_REF, 'expiry record', parseExpiry)

export async function readExpiry(storage: Pick<Storage, 'refs' | 'objects'>): Promise<CurrentExpiry> {
  const { ref, value } = await readExpiryObject(storage)
  return { ref, record: value }
}

/** The snapshots branches and tags name right now: never treated as expired, whatever the record says. */
export async function refTargets(storage: Pick<Storage, 'refs'>): Promise<Set<string>> {
  const out = new Set<string>()
  for (const prefix of [BRANCH_PREFIX, TAG_PREFIX]) for (const r of await storage.refs.list(prefix)) out.add(r.value.snapshot)
  return out
}

/** How an expiry names its policy: `keep-days=7, keep-last=3 on branch main`. */
export function describePolicy(e: Pick<ExpiredSnapshot, 'branch' | 'keepDays' | 'keepLast'>): string {
  const limits = [e.keepDays === null ? '' : `keep-days=${e.keepDays}`, e.keepLast === null ? '' : `keep-last=${e.keepLast}`].filter(Boolean).join(', ')
  return `${limits} ${e.branch === null ? 'as the repository default' : `on branch ${e.branch}`}`
}

export function expiredError(id: SnapshotId, e: ExpiredSnapshot, rev?: string): DvError {
  const named = rev !== undefined && !id.startsWith(rev) ? ` ('${rev}')` : ''
  return new DvError('NOT_FOUND', `snapshot ${shortId(id)}${named} is expired by retention (policy ${describePolicy(e)}, expired at ${new Date(e.timeMs).toISOString()}): its data is no longer kept`, {
    hint: '`dv log` still shows the commit; read a snapshot that is kept (a branch, a tag, or a newer commit), and see the policies with `dv retention show`',
    details: { snapshot: id, expired: { branch: e.branch, keepDays: e.keepDays, keepLast: e.keepLast, time: new Date(e.timeMs).toISOString() } },
  })
}

/**
 * The test "is this snapshot expired" for many snapshots (a history walk):
 * listed by the current record and named by no branch or tag. The refs are
 * listed only when the record lists something.
 */
export async function expiredTest(storage: Pick<Storage, 'refs' | 'objects'>): Promise<(id: SnapshotId) => boolean> {
  const { record } = await readExpiry(storage)
  if (record === null || Object.keys(record.expired).length === 0) return () => false
  const targets = await refTargets(storage)
  return (id) => Object.hasOwn(record.expired, id) && !targets.has(id)
}

/**
 * Refuses to read (or point a ref at) an expired snapshot: NOT_FOUND naming
 * the policy. One ref read when nothing was ever expired; the refs are
 * listed only when the snapshot is in the record.
 */
export async function assertNotExpired(storage: Pick<Storage, 'refs' | 'objects'>, id: SnapshotId, rev?: string): Promise<void> {
  const e = await expiryOf(storage, id)
  if (e !== undefined) throw expiredError(id, e, rev)
}

/** Why a snapshot is expired, or undefined when it is not (unlisted, or a ref names it). */
export async function expiryOf(storage: Pick<Storage, 'refs' | 'objects'>, id: SnapshotId): Promise<ExpiredSnapshot | undefined> {
  const { record } = await readExpiry(storage)
  const e = record !== null && Object.hasOwn(record.expired, id) ? record.expired[id] : undefined
  if (e === undefined || (await refTargets(storage)).has(id)) return undefined
  return e
}

/** An expired commit as `dv log` and `dv show` mark it. */
export function expiredMark(e: ExpiredSnapshot): { branch: string | null; keepDays: number | null; keepLast: number | null; policy: string; time: string } {
  return { branch: e.branch, keepDays: e.keepDays, keepLast: e.keepLast, policy: describePolicy(e), time: new Date(e.timeMs).toISOString() }
}
