/** Chinese labels the dashboards show for stored codes (alert kinds, states, device kinds). */
import { ALERT_KIND_NAMES, type AlertKind, type AlertState } from '../core/alerts.js'
import type { Kind } from '../core/kinds.js'
import type { Severity } from '../core/sites.js'
import type { ValueMapping } from '@grafana/grafana-foundation-sdk/dashboard'
import { valueText, GREEN, ORANGE, RED } from './fields.js'

/** The alert kinds' names as alert texts give them (core/alerts.ts ALERT_KIND_NAMES). */
export const ALERT_KIND_LABELS: Readonly<Record<AlertKind, string>> = ALERT_KIND_NAMES.zh

export const ALERT_STATE_LABELS: Readonly<Record<AlertState, string>> = Object.freeze({
  firing: '告警中',
  acknowledged: '已确认',
  resolved: '已解除'
})

export const SEVERITY_LABELS: Readonly<Record<Severity, string>> = Object.freeze({
  warning: '预警',
  alarm: '报警'
})

export const KIND_LABELS: Readonly<Record<Kind, string>> = Object.freeze({
  dust: '扬尘监测',
  water: '水表',
  locator: '定位终端',
  ore: '计量秤',
  status: '网关',
  energy: '能耗计量'
})

/** Alert kinds that are not breaches of a rule (device health), left out of breach counts. */
export const HEALTH_ALERT_KINDS: readonly AlertKind[] = ['device_offline', 'data_quality']

/** Value mappings that show alert kinds, states and severities in Chinese, states and severities coloured. */
export function alertMappings (): ValueMapping[] {
  return [
    valueText(ALERT_KIND_LABELS),
    valueText(ALERT_STATE_LABELS, { firing: RED, acknowledged: ORANGE, resolved: GREEN }),
    valueText(SEVERITY_LABELS, { warning: ORANGE, alarm: RED })
  ]
}
