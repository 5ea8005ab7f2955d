/**
 * How a commit retries when its branch moved concurrently. Apart from
 * commit.ts so that opening a Repository, which needs the default, does not
 * load the commit machinery (and its contract checks) for read-only commands.
 */
export interface RetryPolicy {
  /** Attempts in all (the first one included). */
  attempts: number
  startingDelayMs: number
  maxDelayMs: number
  /** No new attempt starts after this much time since the first. */
  totalMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 50, startingDelayMs: 5, maxDelayMs: 2000, totalMs: 60_000 }
