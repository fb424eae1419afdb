/** Time helpers. All instants are epoch milliseconds (UTC). */

export const SECOND = 1000
export const MINUTE = 60 * SECOND
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

/** Beijing time is UTC+8 all year (no daylight saving). */
export const BEIJING_OFFSET_MS = 8 * HOUR

// RFC 3339 date-time with a mandatory offset (Z or ±hh:mm).
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/

/** Parses `ts` (epoch ms or RFC 3339 with offset). Returns NaN when invalid. */
export function parseTimestamp (ts: number | string): number {
  if (typeof ts === 'number') return Number.isFinite(ts) && Number.isInteger(ts) ? ts : NaN
  if (!RFC3339.test(ts)) return NaN
  return Date.parse(ts.replace(' ', 'T'))
}

/** Start of the Beijing calendar day containing `t`. */
export function beijingDayStart (t: number): number {
  return Math.floor((t + BEIJING_OFFSET_MS) / DAY) * DAY - BEIJING_OFFSET_MS
}

/** Start of the Beijing calendar month containing `t`. */
export function beijingMonthStart (t: number): number {
  const d = new Date(t + BEIJING_OFFSET_MS)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - BEIJING_OFFSET_MS
}

/** Start of the Beijing calendar year containing `t`. */
export function beijingYearStart (t: number): number {
  const d = new Date(t + BEIJING_OFFSET_MS)
  return Date.UTC(d.getUTCFullYear(), 0, 1) - BEIJING_OFFSET_MS
}

/** 'YYYY-MM-DD' (Beijing) → epoch ms of that day's start; NaN when malformed. */
export function beijingDateToMs (date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) return NaN
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  const back = new Date(t)
  if (back.getUTCDate() !== Number(m[3]) || back.getUTCMonth() !== Number(m[2]) - 1) return NaN
  return t - BEIJING_OFFSET_MS
}

/** Epoch ms → 'YYYY-MM-DD' in Beijing time. */
export function beijingDate (t: number): string {
  return new Date(t + BEIJING_OFFSET_MS).toISOString().slice(0, 10)
}
