/**
 * Repository settings (format-spec/settings.md): a content-addressed
 * canonical-JSON object, one per version, each naming the version it
 * replaced (`parent`) and who changed it, when and how. The store's ref
 * `settings` names the current one and moves only by a logged
 * compare-and-swap, so every client reads the same settings and every change
 * is recorded. Every field is one a reader must understand: a setting added
 * later comes with a new kind version, which this dv refuses (UNSUPPORTED)
 * rather than ignore.
 */
import type { ObjectId } from '../ids.js'
import { refNameProblem } from '../ids.js'
import { decodeChecked, encodeChecked } from './codec.js'
import { fail, readBoolean, readInteger, readMap, readObject, readObjectId, readString, type JsonObject } from './json-fields.js'
import { KINDS, type BranchProtection, type RepositorySettings } from './types.js'

/** The ref (store name) naming the current settings object. */
export const SETTINGS_REF = 'settings'

function encodeSettings(s: RepositorySettings): JsonObject {
  return {
    kind: KINDS.settings,
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

function decodeSettings(json: unknown): RepositorySettings {
  const o = readObject(json, '$', ['kind', 'parent', 'time-ms', 'author', 'message', 'protected-branches'])
  return {
    parent: o.parent === null ? null : (readObjectId(o.parent, '$.parent') as ObjectId),
    timeMs: readInteger(o['time-ms'], '$.time-ms', 0),
    author: readString(o.author, '$.author', { nonEmpty: true }),
    message: readString(o.message, '$.message', { nonEmpty: true }),
    protectedBranches: readMap(o['protected-branches'], '$.protected-branches', readProtection),
  }
}

/** Canonical bytes of a settings object; INVALID_ARGUMENT naming the field if it breaks a rule of the spec. */
export function serializeSettings(settings: RepositorySettings): Uint8Array {
  return encodeChecked('settings', encodeSettings(settings), decodeSettings)
}

/** Parses a settings object; CORRUPT naming `what` and the JSON path (an unknown field too), UNSUPPORTED for another kind version. */
export function parseSettings(bytes: Uint8Array, what = 'settings'): RepositorySettings {
  return decodeChecked(bytes, KINDS.settings, what, decodeSettings)
}
