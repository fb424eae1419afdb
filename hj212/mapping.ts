/**
 * Data frames → device-contract readings (the JSON the ingest pipeline validates and
 * normalises, docs/device-contract.md). Pure. One frame gives one reading, stamped with
 * DataTime (Beijing time). CN 2011 (real time) fills the kind's ordinary fields; CN 2051/2061/2031
 * (minute/hour/day, DataTime = interval start) fill interval fields (pm10Avg, pm10Min, pm10Max, …)
 * and `intervalS`, so they never mix with real-time values in a series.
 */
import { parseDataTime } from './datatime.js'
import { FACTORS, splitFactorName, type Suffix } from './factors.js'
import { cpValue, type Frame } from './frame.js'
import type { FrameError } from './errors.js'
import { DATA_FLAGS } from '../core/readings.js'

/** The data commands and the interval each stands for (§6.6 表 7). */
export const DATA_COMMANDS = ['2011', '2051', '2061', '2031'] as const
export type DataCommand = (typeof DATA_COMMANDS)[number]

export function isDataCommand (cn: string | undefined): cn is DataCommand {
  return cn === '2011' || cn === '2051' || cn === '2061' || cn === '2031'
}

/** Interval of 2061 (hour) and 2031 (day) data, s; 2051's is the device's minute interval. */
const INTERVAL_S: Readonly<Record<'2061' | '2031', number>> = { 2061: 3600, 2031: 86_400 }

/** L/s (w00000 on the wire) → m³/h. */
const LPS_TO_M3H = 3.6

export interface MapOptions {
  kind: 'dust' | 'water'
  /** The device's minute-data interval, s (CN 2051). */
  minuteIntervalS: number
}

export interface Mapped {
  /** The reading as the device contract has it; absent when the frame has no usable DataTime. */
  reading?: Record<string, unknown>
  /** Items minewatch has no field for, or that had no usable value, as sent (`a05002-Rtd=1.2`). */
  kept: string[]
  error?: FrameError
}

const isFlag = (v: string): boolean => (DATA_FLAGS as readonly string[]).includes(v)

/** Maps one data frame (CN 2011/2051/2061/2031). */
export function mapDataFrame (f: Frame, cn: DataCommand, opts: MapOptions): Mapped {
  const kept: string[] = []
  const dt = cpValue(f, 'DataTime')
  if (dt === undefined) return { kept, error: { reason: 'hj212_bad_datatime', detail: 'CP has no DataTime' } }
  const ts = parseDataTime(dt)
  if (Number.isNaN(ts)) return { kept, error: { reason: 'hj212_bad_datatime', detail: `DataTime=${JSON.stringify(dt)} is not YYYYMMDDhhmmss (Beijing time)` } }
  const interval = cn === '2011' ? 0 : cn === '2051' ? opts.minuteIntervalS : INTERVAL_S[cn]
  const out: Record<string, unknown> = { ts }
  // seq = the interval: keeps a minute, an hourly and a real-time reading of one DataTime apart in
  // duplicate detection (device, ts, seq), while a resent frame of the same command stays a duplicate
  if (interval > 0) { out.intervalS = interval; out.seq = interval }
  let particulateFlag: string | undefined
  let otherFlag: string | undefined
  for (const group of f.cp) {
    for (const [name, value] of group) {
      if (name === 'DataTime') continue
      const parts = splitFactorName(name)
      const factor = parts ? FACTORS.get(parts.name) : undefined
      if (!parts || !factor || (factor.field === 'flow') !== (opts.kind === 'water')) { kept.push(`${name}=${value}`); continue }
      if (parts.suffix === 'Flag') {
        const flag = value.toUpperCase()
        if (!isFlag(flag)) { kept.push(`${name}=${value}`); continue }
        if (flag !== 'N') {
          if (factor.particulate) particulateFlag ??= flag
          else otherFlag ??= flag
        }
        continue
      }
      const x = value.trim() === '' ? NaN : Number(value)
      if (!Number.isFinite(x)) { kept.push(`${name}=${value}`); continue }
      const field = opts.kind === 'water' ? waterField(parts.suffix, interval) : dustField(factor.field, factor.particulate === true, parts.suffix, interval)
      if (field === undefined) { kept.push(`${name}=${value}`); continue }
      out[field] = field.startsWith('flowM3h') ? Number((x * LPS_TO_M3H).toPrecision(15)) : x
    }
  }
  if (opts.kind === 'dust') {
    // The reading's flag: the first non-N flag of a particulate (it decides whether values
    // count, domain.md §9), else of another factor, else N.
    out.flag = particulateFlag ?? otherFlag ?? 'N'
  }
  return { reading: out, kept }
}

/** Real time: the field itself. Interval: particulates get Avg/Min/Max fields, other factors their mean. */
function dustField (field: string, particulate: boolean, suffix: Suffix, interval: number): string | undefined {
  if (interval === 0) return suffix === 'Rtd' ? field : undefined
  if (particulate && (suffix === 'Avg' || suffix === 'Min' || suffix === 'Max')) return `${field}${suffix}`
  return suffix === 'Avg' ? field : undefined
}

/** w00000: Rtd/Avg L/s → flowM3h, interval Min/Max → flowM3hMin/flowM3hMax; Cou → the totaliser (real time) or the interval's volume. */
function waterField (suffix: Suffix, interval: number): string | undefined {
  if (suffix === (interval === 0 ? 'Rtd' : 'Avg')) return 'flowM3h'
  if (interval > 0 && (suffix === 'Min' || suffix === 'Max')) return `flowM3h${suffix}`
  if (suffix === 'Cou') return interval === 0 ? 'totalM3' : 'volumeM3'
  return undefined
}
