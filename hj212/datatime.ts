/**
 * HJ 212 times: `YYYYMMDDhhmmss` in Beijing time (UTC+8, no zone on the wire, §6.3.3 表 5),
 * QN `YYYYMMDDhhmmsszzz`. Some devices add milliseconds to DataTime: accepted.
 */
const BEIJING_OFFSET_MS = 8 * 3_600_000 // UTC+8, no daylight saving
const PATTERN = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})?$/

/** Epoch ms of a DataTime, or NaN when it is not a real calendar time. */
export function parseDataTime (text: string): number {
  const m = PATTERN.exec(text)
  if (!m) return NaN
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number]
  const ms = m[7] !== undefined ? Number(m[7]) : 0
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return NaN
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms)
  if (new Date(utc).getUTCDate() !== d) return NaN // 20250230… is not a day
  return utc - BEIJING_OFFSET_MS
}

function beijingParts (ms: number): string {
  const d = new Date(ms + BEIJING_OFFSET_MS)
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}` +
    p(d.getUTCMilliseconds(), 3)
}

/** `YYYYMMDDhhmmss` Beijing time. */
export function formatDataTime (ms: number): string {
  return beijingParts(ms).slice(0, 14)
}

/** A QN: `YYYYMMDDhhmmsszzz` Beijing time. */
export function formatQn (ms: number): string {
  return beijingParts(ms)
}
