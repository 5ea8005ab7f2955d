/** `dv reflog [REF]`: a ref's log as the API returns it, newest first (format-spec/reflog.md#reading). */
import type { ReflogLine, ReflogResult } from '../api-types.js'
import type { Storage } from '../store/types.js'
import { displayName, readReflog, reflogRefOf, type ReflogItem } from './reflog.js'

/** `name`: a branch, a tag, `branches/X`, `tags/X`, or HEAD (the default): the branch HEAD names. */
export async function showReflog(
  storage: Pick<Storage, 'refs' | 'reflog'>, name: string | undefined, headBranch: () => Promise<string | null>, limit?: number,
): Promise<ReflogResult> {
  const ref = await reflogRefOf(storage, name ?? 'HEAD', headBranch)
  const log = await readReflog(storage, ref, limit)
  const shown = displayName(ref)
  return { ref, name: shown, current: log.current, entries: log.items.map((item) => lineOf(shown, item)) }
}

function lineOf(name: string, item: ReflogItem): ReflogLine {
  const e = item.entry
  return {
    selector: `${name}@{${item.index}}`,
    index: item.index,
    snapshot: item.value,
    previous: e?.old ?? null,
    time: e ? new Date(e.timeMs).toISOString() : null,
    user: e?.user ?? null,
    host: e?.host ?? null,
    message: e?.message ?? '(before the oldest logged update)',
  }
}
