/** What a pipeline step hands back when it refuses a message or some of its readings. */
import type { RejectReason } from '../core/rejects.js'

export interface Rejection {
  reason: RejectReason
  /** Human-readable detail, stored in the reject record. */
  detail: string
  /** Readings refused by this rejection (0 when the whole message was unreadable). */
  count: number
}

/** At most this many problems are quoted in one reject detail (the count says how many there were). */
export const MAX_ISSUES_QUOTED = 3

/** `[3]` for a reading of an array payload, `` for a single-object payload. */
export function readingPath (index: number, isArray: boolean): string {
  return isArray ? `[${index}]` : ''
}

/** Joins quoted problems, noting how many were left out. */
export function quoteIssues (issues: readonly string[], total: number): string {
  const more = total - issues.length
  return issues.join('; ') + (more > 0 ? `; … (${more} more)` : '')
}
