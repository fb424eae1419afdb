/**
 * The boundary-noise rules every consumer shares (alert engine, daily report): the GB 12348-2008
 * (工业企业厂界环境噪声排放标准) limits per functional-zone class, day and night, the night
 * allowance for sudden noise, which readings count, and when an hourly equivalent level is valid.
 * They apply to the `noise` (LA, dB(A)) field of dust monitors whose role is `boundary`
 * (厂界: the standard measures at the enterprise boundary). Pure functions; docs/alerts.md
 * describes them.
 */
import { z } from 'zod'
import { flagCounts } from './dust.js'
import { BEIJING_OFFSET_MS, DAY, HOUR, MINUTE } from './time.js'

export const NOISE_STANDARD = 'GB 12348-2008'

/** GB 12348-2008 functional-zone classes (声环境功能区类别) 0–4. */
export const NOISE_ZONE_CLASSES = [0, 1, 2, 3, 4] as const
export type NoiseZoneClass = (typeof NOISE_ZONE_CLASSES)[number]

/** Boundary noise limits, dB(A), per functional-zone class: [day, night]. */
export const NOISE_LIMITS: Readonly<Record<NoiseZoneClass, { readonly day: number, readonly night: number }>> = Object.freeze({
  0: { day: 50, night: 40 }, // GB 12348-2008 表1 0类 昼间 50 夜间 40 dB(A)
  1: { day: 55, night: 45 }, // GB 12348-2008 表1 1类 昼间 55 夜间 45 dB(A)
  2: { day: 60, night: 50 }, // GB 12348-2008 表1 2类 昼间 60 夜间 50 dB(A)
  3: { day: 65, night: 55 }, // GB 12348-2008 表1 3类 昼间 65 夜间 55 dB(A)
  4: { day: 70, night: 55 } // GB 12348-2008 表1 4类 昼间 70 夜间 55 dB(A)
})

/** Night sudden noise: the maximum level may exceed the night limit by at most this much, dB(A). */
export const NIGHT_PEAK_ALLOWANCE_DB = Object.freeze({
  frequent: 10, // GB 12348-2008 夜间频发噪声的最大声级超过限值的幅度不得高于 10 dB(A)
  occasional: 15 // GB 12348-2008 夜间偶发噪声的最大声级超过限值的幅度不得高于 15 dB(A)
})
export const NIGHT_PEAK_KINDS = ['frequent', 'occasional'] as const
export type NightPeakKind = (typeof NIGHT_PEAK_KINDS)[number]

const hourOfDay = z.number().int().min(0).max(23)

export const noiseSettingsSchema = z.strictObject({
  /** The boundary's functional-zone class (声环境功能区类别), chosen by the site from its EIA approval. Absent: no noise rule. */
  zoneClass: z.number().int().min(0).max(4).transform((c) => c as NoiseZoneClass).optional(),
  /** Beijing hour the day period starts: GB 12348-2008 昼间 06:00–22:00; local government may change it. */
  dayStartHour: hourOfDay.default(6),
  /** Beijing hour the night period starts (22:00 by default). */
  nightStartHour: hourOfDay.default(22),
  /** Which night allowance applies to the site's sudden noise: frequent (频发, 10 dB) or occasional (偶发, 15 dB). Site setting. */
  nightPeak: z.enum(NIGHT_PEAK_KINDS).default('frequent'),
  /**
   * Minutes of data an hour needs for its equivalent level to be judged. Site setting (GB 12348-2008
   * measures representative periods; 45 of 60 minutes is the hourly coverage minewatch uses for dust, GB 3095-2012 §8).
   */
  hourMinMinutes: z.number().int().min(1).max(60).default(45),
  /** Consecutive valid hours above the limit before noise_exceedance fires (site setting). */
  holdHours: z.number().int().positive().default(1),
  /** It clears after this many consecutive valid hours at or below limit − clearMarginDb (site setting) ... */
  clearHours: z.number().int().positive().default(1),
  /** ... (hysteresis, dB(A), site setting). */
  clearMarginDb: z.number().nonnegative().default(2),
  /** A night peak alert clears after this long of counted readings at or below the peak level, s (site setting). */
  peakClearS: z.number().int().positive().default(900)
}).refine((n) => n.dayStartHour !== n.nightStartHour, { message: 'dayStartHour and nightStartHour must differ', path: ['nightStartHour'] })
export type NoiseSettings = z.output<typeof noiseSettingsSchema>

/** The role whose dust monitors' noise field the GB 12348-2008 limits apply to (厂界). */
export const NOISE_ROLE = 'boundary'

/** True when the dust monitor's noise is judged against the boundary limits. */
export function noiseApplies (settings: Pick<NoiseSettings, 'zoneClass'>, kind: string, role: string | undefined): boolean {
  return settings.zoneClass !== undefined && kind === 'dust' && role === NOISE_ROLE
}

/** Beijing hour of day (0–23) of `t`. */
export function beijingHour (t: number): number {
  return Math.floor((((t + BEIJING_OFFSET_MS) % DAY + DAY) % DAY) / HOUR)
}

/** True when `t` falls in the night period (nightStartHour up to dayStartHour, Beijing time). */
export function isNight (s: Pick<NoiseSettings, 'dayStartHour' | 'nightStartHour'>, t: number): boolean {
  const h = beijingHour(t)
  const { dayStartHour: d, nightStartHour: n } = s
  return d < n ? h < d || h >= n : h >= n && h < d
}

/** The limit (dB(A)) in force at `t` for the site's zone class. */
export function noiseLimitAt (s: NoiseSettings, t: number): number {
  const l = NOISE_LIMITS[s.zoneClass ?? 2]
  return isNight(s, t) ? l.night : l.day
}

/** The highest level a single night reading may reach: night limit + the allowance for the site's sudden noise. */
export function nightPeakLimit (s: NoiseSettings): number {
  return NOISE_LIMITS[s.zoneClass ?? 2].night + NIGHT_PEAK_ALLOWANCE_DB[s.nightPeak]
}

/** A noise reading counts when its HJ 212-2017 flag counts (the same rule as dust, core/dust.ts flagCounts) and it is a finite level. */
export function noiseCounts (flag: unknown, level: unknown): level is number {
  return flagCounts(flag) && typeof level === 'number' && Number.isFinite(level)
}

/** One clock hour's accumulation: energy sum of the levels and the distinct minutes holding one. */
export interface NoiseHour {
  /** Hour start, epoch ms (NaN: none yet). */
  start: number
  energy: number
  count: number
  /** Bit per minute of the hour (two 30-bit words). */
  lo: number
  hi: number
  minutes: number
}

export function createNoiseHour (): NoiseHour {
  return { start: NaN, energy: 0, count: 0, lo: 0, hi: 0, minutes: 0 }
}

/** Starts the hour containing `t` (clearing what was accumulated). */
export function resetNoiseHour (h: NoiseHour, t: number): void {
  h.start = Math.floor(t / HOUR) * HOUR
  h.energy = 0; h.count = 0; h.lo = 0; h.hi = 0; h.minutes = 0
}

/** Adds one level (dB(A)) at `t`, which must lie in the hour. */
export function addNoiseLevel (h: NoiseHour, t: number, level: number): void {
  h.energy += 10 ** (level / 10)
  h.count++
  const m = Math.floor((t - h.start) / MINUTE)
  const bit = 1 << (m % 30)
  if (m < 30) { if ((h.lo & bit) === 0) { h.lo |= bit; h.minutes++ } } else if ((h.hi & bit) === 0) { h.hi |= bit; h.minutes++ }
}

/** Equivalent continuous level Leq = 10·lg(mean(10^(L/10))), dB(A); NaN without levels. */
export function leq (energySum: number, count: number): number {
  return count > 0 ? 10 * Math.log10(energySum / count) : NaN
}

/** The hour's Leq, or NaN when it holds fewer than hourMinMinutes minutes of data. */
export function hourLeq (h: NoiseHour, minMinutes: number): number {
  return h.minutes >= minMinutes ? leq(h.energy, h.count) : NaN
}

/** One judged clock hour of a boundary monitor (the daily report; the same limits and validity as the rule). */
export interface NoiseHourVerdict {
  /** Hour start, epoch ms. */
  t: number
  night: boolean
  /** dB(A), the limit in force at the hour's start. */
  limit: number
  /** Leq, dB(A) (NaN when the hour is not valid). */
  leq: number
  minutes: number
  valid: boolean
  above: boolean
}

/**
 * The clock hours of one monitor from levels in time order (the report passes 1-minute means of
 * counted readings: exact for a monitor reporting once a minute or less often; faster monitors'
 * levels within a minute are averaged arithmetically first), judged as the rule judges them.
 */
export function noiseHourVerdicts (s: NoiseSettings, levels: readonly { t: number, value: number }[]): NoiseHourVerdict[] {
  const out: NoiseHourVerdict[] = []
  const h = createNoiseHour()
  const flush = (): void => {
    if (Number.isNaN(h.start)) return
    const level = hourLeq(h, s.hourMinMinutes)
    const limit = noiseLimitAt(s, h.start)
    const valid = !Number.isNaN(level)
    out.push({ t: h.start, night: isNight(s, h.start), limit, leq: level, minutes: h.minutes, valid, above: valid && level > limit })
  }
  for (const p of levels) {
    if (!Number.isFinite(p.value)) continue
    if (Number.isNaN(h.start) || p.t >= h.start + HOUR) { flush(); resetNoiseHour(h, p.t) }
    addNoiseLevel(h, p.t, p.value)
  }
  flush()
  return out
}
