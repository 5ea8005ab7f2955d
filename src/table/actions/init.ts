/** A repository's store: creating it (config.json, the root commit, branch main) and checking it on open. */
import { randomUUID } from 'node:crypto'
import type { SnapshotId } from '../../ids.js'
import type { Storage } from '../../store/types.js'
import { DvError } from '../../errors.js'
import { parseConfig, serializeConfig, serializeSnapshot } from '../../format/index.js'
import { FORMAT_VERSION } from '../../format/types.js'
import { branchRef, DEFAULT_BRANCH } from '../../refs/names.js'
import { updateRef } from '../../refs/reflog.js'
import type { RepoContext } from '../context.js'

/** Creates the repository in an empty store: config.json, then the root commit on main. */
export async function initStore(ctx: Pick<RepoContext, 'storage' | 'now' | 'author'>): Promise<void> {
  const now = ctx.now()
  await ctx.storage.createConfig(serializeConfig({ formatVersion: FORMAT_VERSION, repositoryId: randomUUID(), createdMs: now }))
  const root = await ctx.storage.objects.put(serializeSnapshot({
    parents: [], timestampMs: now, author: ctx.author, message: 'initialize repository', tables: {}, summary: {},
  })) as SnapshotId
  await updateRef(ctx, { ref: branchRef(DEFAULT_BRANCH), expected: null, next: root, message: 'init' })
}

/** Checks that the store holds a repository this dv can read. */
export async function checkConfig(storage: Storage): Promise<void> {
  const bytes = await storage.readConfig()
  if (!bytes) {
    throw new DvError('NOT_FOUND', `no dv repository at ${storage.location}`, { hint: 'create one with `dv init`' })
  }
  const config = parseConfig(bytes, `repository config ${storage.location}/config.json`)
  if (config.formatVersion > FORMAT_VERSION) {
    throw new DvError('UNSUPPORTED', `repository format version ${config.formatVersion} is newer than this dv supports (${FORMAT_VERSION})`, { hint: 'upgrade dv' })
  }
}

/** `dv init`: creates the repository, or attaches to the one a remote store already holds. */
export async function setUpStore(ctx: Pick<RepoContext, 'storage' | 'now' | 'author'>, remote: boolean): Promise<void> {
  if (remote && (await ctx.storage.readConfig())) await checkConfig(ctx.storage)
  else await initStore(ctx)
}
