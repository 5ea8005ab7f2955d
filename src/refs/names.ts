/** Ref keys in the RefStore: `branches/<name>` and `tags/<name>` (format-spec/refs.md). */
import type { BranchName, TagName } from '../ids.js'

export const BRANCH_PREFIX = 'branches/'
export const TAG_PREFIX = 'tags/'
export const DEFAULT_BRANCH = 'main' as BranchName

export function branchRef(name: BranchName | string): string {
  return BRANCH_PREFIX + name
}

export function tagRef(name: TagName | string): string {
  return TAG_PREFIX + name
}
