/** Parses CLI durations and start times: `90s`, `10m`, `2h`, `1d`, `500ms`; `now`, `now-24h`, RFC 3339. */
import { MinewatchError } from '../core/errors.js'
import { parseTimestamp } from '../core/time.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `10m` → 600000. Throws MW_BAD_REQUEST on anything else. */
export function parseDuration (text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim())
  if (!m) throw new MinewatchError('MW_BAD_REQUEST', `bad duration '${text}' (examples: 90s, 10m, 2h, 1d)`)
  return Math.round(Number(m[1]) * UNITS[m[2]!]!)
}

/** `now`, `now-24h` or an RFC 3339 time with offset → epoch ms. */
export function parseStart (text: string, now: number): number {
  const t = text.trim()
  if (t === 'now') return now
  const rel = /^now-(.+)$/.exec(t)
  if (rel) return now - parseDuration(rel[1]!)
  const abs = parseTimestamp(t)
  if (Number.isNaN(abs)) throw new MinewatchError('MW_BAD_REQUEST', `bad start '${text}' (now, now-24h, or RFC 3339 with offset, e.g. 2026-03-10T08:00:00+08:00)`)
  return abs
}
