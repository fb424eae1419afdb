/** Alert data shapes shared by the alert engine, the state store, the API and dashboards. */
import type { Severity } from './sites.js'

export const ALERT_KINDS = [
  'dust_exceedance', 'water_recycling_low', 'boundary_breach', 'zone_intrusion',
  'over_capacity', 'device_offline', 'data_quality',
  'sos', 'zone_overcrowded', 'over_speed', 'zone_overstay',
  'blasting_zone_entry',
  'noise_exceedance',
  'person_motionless', 'tag_lost',
  'energy_intensity_high'
] as const
export type AlertKind = (typeof ALERT_KINDS)[number]

/** The one name of each alert kind, in Chinese and English: alert texts, payloads and dashboards all use it. */
export const ALERT_KIND_NAMES: Readonly<Record<'zh' | 'en', Readonly<Record<AlertKind, string>>>> = Object.freeze({
  zh: Object.freeze({
    dust_exceedance: '扬尘超标',
    water_recycling_low: '水循环利用率偏低',
    boundary_breach: '越界',
    zone_intrusion: '闯入限制区域',
    over_capacity: '超能力开采', // 自然资规〔2024〕1号 超能力/超量开采
    device_offline: '设备离线',
    data_quality: '数据质量异常',
    sos: '紧急呼救',
    zone_overcrowded: '区域超员',
    over_speed: '超速',
    zone_overstay: '区域超时',
    blasting_zone_entry: '爆破警戒区有人', // GB 6722-2014 爆破安全规程: 起爆前警戒区内人员撤离
    noise_exceedance: '厂界噪声超标', // GB 12348-2008 工业企业厂界环境噪声排放
    person_motionless: '人员长时间静止', // AQ 6210-2007 / AQ/T 2051-2016 人员定位
    tag_lost: '标签失联',
    energy_intensity_high: '单位矿石能耗偏高' // the site's own operational limit (core/energy.ts)
  }),
  en: Object.freeze({
    dust_exceedance: 'dust exceedance',
    water_recycling_low: 'low water recycling rate',
    boundary_breach: 'boundary breach',
    zone_intrusion: 'restricted-zone intrusion',
    over_capacity: 'over-capacity mining',
    device_offline: 'device offline',
    data_quality: 'data quality problem',
    sos: 'SOS call',
    zone_overcrowded: 'too many people in a zone',
    over_speed: 'over-speed',
    zone_overstay: 'too long in a zone',
    blasting_zone_entry: 'person in a blasting zone during blasting',
    noise_exceedance: 'boundary noise exceedance',
    person_motionless: 'person motionless too long',
    tag_lost: 'tag not seen',
    energy_intensity_high: 'high energy use per tonne of ore'
  })
})

/** Decimals kept in alert values and limits, and shown in texts (1 g, 1 µg/m³, 1 mm). */
export const VALUE_DECIMALS = 3

/** Rounds a value or limit for storage and display, so 27500.000000000004 is 27500. */
export function roundValue (v: number): number {
  const f = 10 ** VALUE_DECIMALS
  return Math.round(v * f) / f
}

export const ALERT_STATES = ['firing', 'acknowledged', 'resolved'] as const
export type AlertState = (typeof ALERT_STATES)[number]

export interface Alert {
  /** Stable id, e.g. a UUID. */
  id: string
  site: string
  kind: AlertKind
  /** Device id or entity id (person/vehicle) or metric-qualified key: one open alert per (site, kind, subject). */
  subject: string
  device: string | null
  severity: Severity
  state: AlertState
  /** Event time (reading time) it first fired, epoch ms. */
  firedAt: number
  /** Last transition's event time, epoch ms. */
  updatedAt: number
  resolvedAt: number | null
  ackedBy: string | null
  ackNote: string | null
  /** Observed value and limit at the last transition (units in `unit`). */
  value: number | null
  limit: number | null
  unit: string
  /** Standard or rule source quoted in the text. */
  standard: string
  message: string
  /**
   * "No data is not resolved": since when (event time, epoch ms) the alert's evidence is missing
   * because its device (or, for a site-level alert, one of the site's devices it is computed
   * from) stopped reporting; null (or absent) while the evidence is there. The alert stays open
   * either way: only readings back below its clear level, or an operator, resolve it.
   */
  noDataSince?: number | null
}

/** Transition reasons that mark an open alert's evidence missing, and back (the state does not change). */
export const NO_DATA_REASON = 'no_data'
export const DATA_BACK_REASON = 'data_back'
/** A transition that marks or unmarks an open alert's missing evidence (its state unchanged). */
export function isEvidenceTransition (t: Pick<AlertTransition, 'reason'>): boolean {
  return t.reason === NO_DATA_REASON || t.reason === DATA_BACK_REASON
}

/** One position fix behind a fence transition (越界, 超层, 闯入限制区域). */
export interface FixEvidence {
  /** Event time of the fix, epoch ms. */
  ts: number
  lon: number
  lat: number
  /** Altitude, m, when the fix carried one. */
  alt: number | null
  /** The fix's accuracy radius, m. */
  accuracyM: number
  /** How far past the fence (m) or outside the licensed elevation range (m) the fix was. */
  beyondM: number
}

/** What proved a fence transition: the largest distance outside over the run (the alert's value) and the fixes. */
export interface TransitionEvidence {
  /** m */
  beyondM: number
  fixes: FixEvidence[]
}

export interface AlertTransition {
  /** Monotonic id (per store), usable as an SSE event id. */
  seq: number
  alertId: string
  site: string
  kind: AlertKind
  from: AlertState | null
  to: AlertState
  severity: Severity
  /** Event time, epoch ms. */
  at: number
  reason: string
  value: number | null
  limit: number | null
  by: string | null
  message: string
  /** Fence transitions that fired: the proving fixes (also quoted in `message`). Absent or null otherwise. */
  evidence?: TransitionEvidence | null
}

/** Why an operator closes an alert (the fixed list inspections read): 误报, 设备故障, 已整改, 其他 (text required). */
export const CLOSE_REASONS = ['false_alarm', 'device_fault', 'rectified', 'other'] as const
export type CloseReason = (typeof CLOSE_REASONS)[number]
export const CLOSE_REASON_NAMES: Readonly<Record<'zh' | 'en', Readonly<Record<CloseReason, string>>>> = Object.freeze({
  zh: Object.freeze({ false_alarm: '误报', device_fault: '设备故障', rectified: '已整改', other: '其他' }),
  en: Object.freeze({ false_alarm: 'false alarm', device_fault: 'device fault', rectified: 'rectified', other: 'other' })
})
/** Transition reason of an operator close: `closed:<CloseReason>`. */
export const CLOSED_PREFIX = 'closed:'

/** The audit action of an operator's comment on an alert. */
export const COMMENT_ACTION = 'alert.comment'

/** An operator's comment on an alert (kept in the audit log, action alert.comment). */
export interface AlertComment {
  /** The comment's audit record seq. */
  seq: number
  alertId: string
  /** Wall-clock time, epoch ms. */
  at: number
  by: string
  text: string
}

/** What the API needs from the alert engine: acknowledge, comment, close, and a live feed of transitions. */
export interface AlertService {
  /** Acknowledges a firing alert. Throws MinewatchError MW_NOT_FOUND, or MW_CONFLICT when it is not firing. */
  ack(id: string, by: string, note: string): Promise<Alert>
  /** Comments on an alert in any state (audit-logged). Throws MW_NOT_FOUND for an unknown id, MW_BAD_REQUEST for an empty text. */
  comment(id: string, by: string, text: string): Promise<AlertComment>
  /**
   * Closes an open alert by hand with a reason from CLOSE_REASONS (`other` needs a text): a
   * transition to resolved with reason `closed:<reason>`. MW_NOT_FOUND, MW_CONFLICT when it is
   * already resolved, MW_BAD_REQUEST for a missing text.
   */
  closeAlert(id: string, by: string, reason: CloseReason, text: string): Promise<Alert>
  /** Calls `listener` after each stored transition; returns an unsubscribe function. */
  onTransition(listener: (t: AlertTransition) => void): () => void
}
