/** Query and path parameter schemas shared by the routes (querystring values arrive as strings). */
import { z } from 'zod'
import { ID_PATTERN } from '../core/topics.js'
import { parseTimestamp, SECOND, MINUTE, HOUR, DAY } from '../core/time.js'

/** Site, device or alert id in a path or query. */
export const idParam = z.string().regex(ID_PATTERN, 'ids use letters, digits, . _ - (1–64 characters)')

/** An instant: RFC 3339 with an offset, or epoch milliseconds. */
export const instantParam = z.string().transform((text, ctx) => {
  const t = /^\d{1,16}$/.test(text) ? Number(text) : parseTimestamp(text)
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: 'custom', message: `'${text}' is neither RFC 3339 with an offset (e.g. 2025-03-01T10:00:00+08:00) nor epoch milliseconds` })
    return z.NEVER
  }
  return t
}).meta({ description: 'RFC 3339 with offset (2025-03-01T10:00:00+08:00) or epoch milliseconds', example: '2025-03-01T10:00:00+08:00' })

const STEP_UNITS: Readonly<Record<string, number>> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: DAY }

/** Largest accepted bucket width (31 days). */
export const MAX_STEP_MS = 31 * DAY

/** Parses a step such as `1m`, `15s`, `1h`, `1d` or plain milliseconds; NaN when malformed. */
export function parseStep (text: string): number {
  const m = /^(\d{1,10})(ms|s|m|h|d)?$/.exec(text)
  if (!m) return NaN
  return Number(m[1]) * (STEP_UNITS[m[2] ?? 'ms'] ?? NaN)
}

/** Bucket width: `1m`, `1h`, `1d`, `30s` or milliseconds. */
export const stepParam = z.string().transform((text, ctx) => {
  const ms = parseStep(text)
  if (Number.isNaN(ms) || ms <= 0 || ms > MAX_STEP_MS) {
    ctx.addIssue({ code: 'custom', message: `'${text}' is not a step: use e.g. 30s, 1m, 1h, 1d or milliseconds (1 ms – 31 d)` })
    return z.NEVER
  }
  return ms
}).meta({ description: 'Bucket width: 30s, 1m, 1h, 1d or milliseconds', example: '1m' })

/** Page size 1–1000, default `def`. */
export const limitParam = (def: number, max = 1000) => z.coerce.number().int().min(1).max(max).default(def)

/** Number of step-aligned buckets (aligned to multiples of step since the epoch) that [from, to) touches. */
export function bucketCount (from: number, to: number, stepMs: number): number {
  return Math.floor((to - 1) / stepMs) - Math.floor(from / stepMs) + 1
}
