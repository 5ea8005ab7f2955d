/**
 * One error class with a closed set of codes. Every code maps to one CLI exit
 * code (see EXIT_CODES); tests assert on `code`, never on the message.
 */
export type DvErrorCode =
  | 'INTERNAL' // a bug: exit 1
  | 'INVALID_ARGUMENT' // usage or bad input: exit 2
  | 'NOT_FOUND' // exit 3
  | 'CONFLICT' // nothing applied, safe to retry: exit 4
  | 'CORRUPT' // corrupt or unsupported data: exit 5
  | 'UNSUPPORTED' // exit 5
  | 'STORAGE' // exit 6
  | 'OUTCOME_UNKNOWN' // the commit may have landed: exit 7
  | 'QUALITY' // quality check failed, nothing applied: exit 8

export const EXIT_CODES: Record<DvErrorCode, number> = {
  INTERNAL: 1,
  INVALID_ARGUMENT: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  CORRUPT: 5,
  UNSUPPORTED: 5,
  STORAGE: 6,
  OUTCOME_UNKNOWN: 7,
  QUALITY: 8,
}

export interface DvErrorOptions {
  hint?: string
  cause?: unknown
  /**
   * Whether the same request, re-run on fresh state, is expected to succeed:
   * the retry decision (a commit retries exactly the conflicts marked
   * retryable: a moved branch, not a held lock). Default: true for CONFLICT.
   */
  retryable?: boolean
  /** Structured values involved (object id, ref name, file, row, column...). */
  details?: Record<string, unknown>
}

export class DvError extends Error {
  readonly code: DvErrorCode
  readonly hint?: string
  readonly retryable: boolean
  readonly details: Record<string, unknown>

  constructor(code: DvErrorCode, message: string, options: DvErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'DvError'
    this.code = code
    this.hint = options.hint
    this.retryable = options.retryable ?? (code === 'CONFLICT')
    this.details = options.details ?? {}
  }

  get exitCode(): number {
    return EXIT_CODES[this.code]
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      retryable: this.retryable,
      ...(Object.keys(this.details).length ? { details: this.details } : {}),
    }
  }
}

export function isDvError(e: unknown, code?: DvErrorCode): e is DvError {
  return e instanceof DvError && (code === undefined || e.code === code)
}

/** Wraps anything thrown by a backend into a STORAGE error unless it already is a DvError. */
export function asStorageError(e: unknown, what: string): DvError {
  if (e instanceof DvError) return e
  const msg = e instanceof Error ? e.message : String(e)
  return new DvError('STORAGE', `${what}: ${msg}`, { cause: e })
}
