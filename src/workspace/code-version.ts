/**
 * The Git commit of the code that makes a commit (format-spec/snapshot.md#lineage),
 * read with isomorphic-git from the work tree holding a directory; no `git`
 * process is spawned. Outside a work tree (no `.git` up the path) nothing is
 * looked up, and isomorphic-git is not even loaded. What cannot be read (an
 * unborn HEAD, a damaged repository) records no code version rather than a
 * wrong one: `dirty: false` is a claim an audit relies on.
 *
 * dirty: a tracked file differs from the checked-out commit in the work tree
 * or in the index (statusMatrix: anything but unmodified or untracked).
 * Untracked files do not count, as `git describe --dirty` counts them. A tree
 * of more than MAX_CHECKED_FILES tracked files is not checked: no `dirty`.
 * repository: the `origin` remote's URL with any user name and password
 * removed (a token pasted into an https URL is a credential, not lineage).
 */
import * as fs from 'node:fs'
import { join } from 'node:path'
import type { CodeVersion } from '../format/types.js'
import { exists, nearestAncestor } from './locate.js'

export async function codeVersionAt(dir: string): Promise<CodeVersion | undefined> {
  // a `.git` directory, or a file naming one
  const root = await nearestAncestor(dir, (at) => exists(join(at, '.git')))
  if (root === undefined) return undefined
  try {
    const git = (await import('isomorphic-git')).default
    const commit = await git.resolveRef({ fs, dir: root, ref: 'HEAD' })
    const [branch, url, dirty] = await Promise.all([
      git.currentBranch({ fs, dir: root, fullname: false }),
      git.getConfig({ fs, dir: root, path: 'remote.origin.url' }) as Promise<unknown>,
      isDirty(git, root),
    ])
    return {
      commit,
      ...(dirty === undefined ? {} : { dirty }),
      ...(typeof branch === 'string' && branch !== '' ? { branch } : {}),
      ...(typeof url === 'string' && url !== '' ? { repository: withoutCredentials(url) } : {}),
    }
  } catch {
    return undefined
  }
}

/**
 * The most tracked files dv checks for changes at a commit: statusMatrix costs about 0.5-1 ms a file on
 * the 2-vCPU VM (712 files: 322-682 ms), so a larger tree would hold every commit up for seconds; its
 * `dirty` is then not recorded (absent), never guessed.
 */
export const MAX_CHECKED_FILES = 5_000

type Git = typeof import('isomorphic-git').default

async function isDirty(git: Git, root: string): Promise<boolean | undefined> {
  // the index lists the tracked files (read without walking the tree: 44 ms for 726 files)
  if ((await git.listFiles({ fs, dir: root })).length > MAX_CHECKED_FILES) return undefined
  const matrix = await git.statusMatrix({ fs, dir: root })
  // [path, head, workdir, stage]: 1,1,1 is unmodified, 0,2,0 untracked; anything else is a tracked change
  return matrix.some(([, head, work, stage]) => !(head === 1 && work === 1 && stage === 1) && !(head === 0 && work === 2 && stage === 0))
}

/** `https://user:token@host/x.git` -> `https://host/x.git`; scp-like `git@host:x.git` and paths stay as they are. */
export function withoutCredentials(url: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url
  try {
    const u = new URL(url)
    if (u.username === '' && u.password === '') return url
    u.username = ''
    u.password = ''
    return u.toString()
  } catch {
    // not a URL the WHATWG parser takes: drop whatever sits before an @ in the authority
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1')
  }
}
