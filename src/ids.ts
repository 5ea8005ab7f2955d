import { createHash } from 'node:crypto'
import { DvError } from './errors.js'

/** SHA-256 of an object's bytes, 64 lowercase hex digits. */
export type ObjectId = string & { readonly __brand: 'ObjectId' }
/** A snapshot (commit) id is the ObjectId of its canonical JSON. */
export type SnapshotId = ObjectId & { readonly __snapshot: true }
export type BranchName = string & { readonly __brand: 'BranchName' }
export type TagName = string & { readonly __brand: 'TagName' }
export type TableName = string & { readonly __brand: 'TableName' }

/**
 * An object id as text: the SHA-256 of the object's bytes, 64 lowercase hex
 * digits (format-spec/objects.md#object-ids). The one spelling of this pattern:
 * every layer checks ids with isObjectId.
 */
const OBJECT_ID_PATTERN = /^[0-9a-f]{64}$/

export function isObjectId(s: unknown): s is ObjectId {
  return typeof s === 'string' && OBJECT_ID_PATTERN.test(s)
}

export function asObjectId(s: string, what = 'object id'): ObjectId {
  if (!isObjectId(s)) throw new DvError('CORRUPT', `invalid ${what} '${s}': expected 64 lowercase hex digits`)
  return s
}

export function asSnapshotId(s: string, what = 'snapshot id'): SnapshotId {
  return asObjectId(s, what) as SnapshotId
}

export function shortId(id: string, n = 7): string {
  return id.slice(0, n)
}

/**
 * Ref names (branches, tags) follow git's check-ref-format, simplified
 * (format-spec/refs.md): 1-200 chars of [A-Za-z0-9._/-], no '..', no leading
 * '-', '.' or '/', no trailing '/', '.' or '.lock', no '//', not 'HEAD', not
 * 4-64 hex digits (it would shadow snapshot ids), no '@{'.
 */
const REF_NAME = /^[A-Za-z0-9._/-]{1,200}$/

export function refNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty'
  if (!REF_NAME.test(name)) return 'it may only contain letters, digits, and . _ / -'
  if (name === 'HEAD' || name === '@') return `'${name}' is reserved`
  if (name.includes('..')) return "it contains '..'"
  if (name.includes('//')) return "it contains '//'"
  if (/^[-./]/.test(name)) return "it starts with '-', '.' or '/'"
  if (/[/.]$/.test(name) || name.endsWith('.lock')) return "it ends with '/', '.' or '.lock'"
  if (name.split('/').some((part) => part.startsWith('.'))) return "a component starts with '.'"
  if (/^[0-9a-f]{4,64}$/.test(name)) return 'it looks like a snapshot id'
  return undefined
}

function checkRefName(name: string, kind: 'branch' | 'tag'): void {
  const problem = refNameProblem(name)
  if (problem) {
    throw new DvError('INVALID_ARGUMENT', `invalid ${kind} name '${name}': ${problem}`, {
      hint: 'use letters, digits and . _ / - (for example feature/backfill-2026-03)',
    })
  }
}

export function asBranchName(name: string): BranchName {
  checkRefName(name, 'branch')
  return name as BranchName
}

export function asTagName(name: string): TagName {
  checkRefName(name, 'tag')
  return name as TagName
}

/** Table names: 1-128 chars, [A-Za-z_][A-Za-z0-9_]* plus '.' separated namespaces, at most 255 in all. */
const TABLE_NAME_PART = /^[A-Za-z_][A-Za-z0-9_]*$/
const TABLE_PART_MAX = 128
const TABLE_NAME_MAX = 255

export function asTableName(name: string): TableName {
  const invalid = (why: string) => new DvError('INVALID_ARGUMENT', `invalid table name '${name.length > 60 ? `${name.slice(0, 60)}...` : name}': ${why}`, {
    hint: "for example 'events' or 'sales.orders'",
    details: { length: name.length },
  })
  const parts = name.split('.')
  // the characters first: a long name of bad characters is told about its characters
  if (!parts.every((p) => TABLE_NAME_PART.test(p))) {
    throw invalid("use letters, digits and _ (optionally namespaced with '.'), starting with a letter or _")
  }
  if (name.length > TABLE_NAME_MAX) throw invalid(`it is ${name.length} characters long; the limit is ${TABLE_NAME_MAX}`)
  const long = parts.find((p) => p.length > TABLE_PART_MAX)
  if (long !== undefined) {
    throw invalid(parts.length > 1
      ? `its part '${long.slice(0, 20)}...' is ${long.length} characters long; each part may have at most ${TABLE_PART_MAX}`
      : `it is ${name.length} characters long; the limit is ${TABLE_PART_MAX} (${TABLE_NAME_MAX} with '.' namespaces)`)
  }
  return name as TableName
}

/** The id of an object (format-spec/objects.md#object-ids): lowercase hex SHA-256 of its bytes. */
export function hashBytes(bytes: Uint8Array): ObjectId {
  return createHash('sha256').update(bytes).digest('hex') as ObjectId
}
