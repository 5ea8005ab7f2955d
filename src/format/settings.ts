/**
 * Repository settings (format-spec/settings.md): a content-addressed
 * canonical-JSON object, one per version, each naming the version it
 * replaced (`parent`) and who changed it, when and how. The store's ref
 * `settings` names the current one and moves only by a logged
 * compare-and-swap, so every client reads the same settings and every change
 * is recorded. Every field is one a reader must understand: a setting added
 * later comes with a new kind version, which this dv refuses (UNSUPPORTED)
 * rather than ignore. Retention policies are such a setting: settings with
 * one are `dv:settings:v2`; without, they stay v1 byte for byte.
 */
import type { ObjectId } from '../ids.js'
import { refNameProblem } from '../ids.js'
import { decodeChecked, encodeChecked } from './codec.js'
import { fail, readBoolean, readInteger, readMap, readObject, readObjectId, readString, type JsonObject } from './json-fields.js'
import { KINDS, SETTINGS_KIND_V2, type BranchProtection, type RepositorySettings, type Retention, type RetentionPolicy } from './types.js'

/** The ref (store name) naming the current settings object. */
export const SETTINGS_REF = 'settings'

/** True when the settings carry a retention policy: then, and only then, they are `dv:settings:v2`. */
function hasRetention(s: RepositorySettings): s is RepositorySettings & { retention: Retention } {
  return s.retention !== undefined && (s.retention.default !== null || Object.keys(s.retention.branches).length > 0)
}

export function encodeRetentionPolicy(p: RetentionPolicy): JsonObject {
  return { 'keep-days': p.keepDays, 'keep-last': p.keepLast }
}

function encodeSettings(s: RepositorySettings): JsonObject {
  const retention = hasRetention(s)
    ? { retention: { default: s.retention.default === null ? null : encodeRetentionPolicy(s.retention.default), branches: Object.fromEntries(Object.entries(s.retention.branches).map(([name, p]) => [name, encodeRetentionPolicy(p)])) } }
    : {}
  return {
    ...retention,
    kind: hasRetention(s) ? SETTINGS_KIND_V2 : KINDS.settings,
    parent: s.parent,
    'time-ms': s.timeMs,
    author: s.author,
    message: s.message,
    'protected-branches': Object.fromEntries(Object.entries(s.protectedBranches).map(([name, p]) => [name, {
      'require-checks': p.requireChecks,
      'require-merge': p.requireMerge,
    }])),
  }
}

function readProtection(v: unknown, path: string, name: string): BranchProtection {
  const problem = refNameProblem(name)
  if (problem !== undefined) fail(path, `invalid branch name ${JSON.stringify(name)}: ${problem}`)
  const o = readObject(v, path, ['require-checks', 'require-merge'])
  return { requireChecks: readBoolean(o['require-checks'], `${path}.require-checks`), requireMerge: readBoolean(o['require-merge'], `${path}.require-merge`) }
}

/** A limit of a policy: a whole number of at least 1, or null (no limit of that kind). */
function readLimit(v: unknown, path: string): number | null {
  return v === null ? null : readInteger(v, path, 1)
}

/** A retention policy: `keep-days` and `keep-last`, not both null. */
export function readRetentionPolicy(v: unknown, path: string): RetentionPolicy {
  const o = readObject(v, path, ['keep-days', 'keep-last'])
  const policy = { keepDays: readLimit(o['keep-days'], `${path}.keep-days`), keepLast: readLimit(o['keep-last'], `${path}.keep-last`) }
  if (policy.keepDays === null && policy.keepLast === null) fail(path, 'keep-days and keep-last cannot both be null')
  return policy
}

function readRetention(v: unknown, path: string): Retention {
  const o = readObject(v, path, ['default', 'branches'])
  const retention = {
    default: o.default === null ? null : readRetentionPolicy(o.default, `${path}.default`),
    branches: readMap(o.branches, `${path}.branches`, (p, at, name) => {
      const problem = refNameProblem(name)
      if (problem !== undefined) fail(at, `invalid branch name ${JSON.stringify(name)}: ${problem}`)
      return readRetentionPolicy(p, at)
    }),
  }
  if (retention.default === null && Object.keys(retention.branches).length === 0) fail(path, 'an empty retention is written as dv:settings:v1, without this field')
  return retention
}

function decodeSettings(json: JsonObject): RepositorySettings {
  const v2 = json.kind === SETTINGS_KIND_V2
  const o = readObject(json, '$', ['kind', 'parent', 'time-ms', 'author', 'message', 'protected-branches', ...(v2 ? ['retention'] : [])])
  return {
    ...(v2 ? { retention: readRetention(o.retention, '$.retention') } : {}),
    parent: o.parent === null ? null : (readObjectId(o.parent, '$.parent') as ObjectId),
    timeMs: readInteger(o['time-ms'], '$.time-ms', 0),
    author: readString(o.author, '$.author', { nonEmpty: true }),
    message: readString(o.message, '$.message', { nonEmpty: true }),
    protectedBranches: readMap(o['protected-branches'], '$.protected-branches', readProtection),
  }
}

/** Canonical bytes of a settings object; INVALID_ARGUMENT naming the field if it breaks a rule of the spec. */
export function serializeSettings(settings: RepositorySettings): Uint8Array {
  return encodeChecked('settings', encodeSettings(settings), (json) => decodeSettings(json as JsonObject))
}

/** Parses a settings object; CORRUPT naming `what` and the JSON path (an unknown field too), UNSUPPORTED for another kind version. */
export function parseSettings(bytes: Uint8Array, what = 'settings'): RepositorySettings {
  return decodeChecked(bytes, [KINDS.settings, SETTINGS_KIND_V2], what, decodeSettings)
}
