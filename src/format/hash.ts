/** Object ids (format-spec/objects.md#object-ids): lowercase hex SHA-256 of the object's bytes. */
import { createHash } from 'node:crypto'
import type { ObjectId } from '../ids.js'

export function hashBytes(bytes: Uint8Array): ObjectId {
  return createHash('sha256').update(bytes).digest('hex') as ObjectId
}
