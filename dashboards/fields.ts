/** Field-config pieces shared by the dashboards: thresholds, value mappings, overrides, units. */
import { ReduceDataOptionsBuilder } from '@grafana/grafana-foundation-sdk/common'
import {
  ThresholdsConfigBuilder, ThresholdsMode, MappingType,
  type DynamicConfigValue, type MatcherConfig, type ValueMapping, type ValueMappingResult
} from '@grafana/grafana-foundation-sdk/dashboard'

/** Grafana unit ids used here. */
export const UNITS = Object.freeze({
  mgPerM3: 'conmgm3', // mg/m³
  tonnes: 'masst', // t
  percent01: 'percentunit', // 0–1 shown as %
  count: 'none',
  dateTime: 'dateTimeAsIso'
})

export const GREEN = 'green'
export const ORANGE = 'orange'
export const RED = 'red'

/** Absolute threshold steps: a base colour, then [value, colour] pairs in increasing order. */
export function thresholds (base: string, ...steps: [number, string][]): ThresholdsConfigBuilder {
  for (let i = 1; i < steps.length; i++) {
    if (steps[i]![0] < steps[i - 1]![0]) throw new Error(`threshold steps must increase: ${steps.map((s) => s[0]).join(', ')}`)
  }
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: base },
    ...steps.map(([value, color]) => ({ value: round(value), color }))
  ])
}

/** Thresholds as a plain value for an override property. */
export function thresholdsValue (base: string, ...steps: [number, string][]): unknown {
  return thresholds(base, ...steps).build()
}

/** Rounds to 12 significant digits, so generated JSON does not carry float noise (e.g. 0.15000000000000002). */
export function round (n: number): number {
  return Number(n.toPrecision(12))
}

/** A value → text (and colour) mapping for codes such as alert kinds. */
export function valueText (labels: Readonly<Record<string, string>>, colors: Readonly<Record<string, string>> = {}): ValueMapping {
  const options: Record<string, ValueMappingResult> = {}
  Object.keys(labels).forEach((code, index) => {
    const r: ValueMappingResult = { index, text: labels[code]! }
    if (colors[code]) r.color = colors[code]
    options[code] = r
  })
  return { type: MappingType.ValueToText, options }
}

export interface Override {
  matcher: MatcherConfig
  properties: DynamicConfigValue[]
}

/** An override for the field whose display name is exactly `name`. */
export function byName (name: string, properties: DynamicConfigValue[]): Override {
  return { matcher: { id: 'byName', options: name }, properties }
}

/** An override for fields whose display name matches `regex`. */
export function byRegexp (regex: string, properties: DynamicConfigValue[]): Override {
  return { matcher: { id: 'byRegexp', options: regex }, properties }
}

/** An override for every field of a type (time, number, string). */
export function byType (type: 'time' | 'number' | 'string', properties: DynamicConfigValue[]): Override {
  return { matcher: { id: 'byType', options: type }, properties }
}

/** `^(a|b)$` for a byRegexp matcher (JavaScript regex syntax). */
export function exactly (names: readonly string[]): string {
  return `^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`
}

/** Override property helpers. */
export const prop = {
  displayName: (v: string): DynamicConfigValue => ({ id: 'displayName', value: v }),
  unit: (v: string): DynamicConfigValue => ({ id: 'unit', value: v }),
  decimals: (v: number): DynamicConfigValue => ({ id: 'decimals', value: v }),
  min: (v: number): DynamicConfigValue => ({ id: 'min', value: round(v) }),
  max: (v: number): DynamicConfigValue => ({ id: 'max', value: round(v) }),
  thresholds: (base: string, ...steps: [number, string][]): DynamicConfigValue => ({ id: 'thresholds', value: thresholdsValue(base, ...steps) }),
  mappings: (m: ValueMapping[]): DynamicConfigValue => ({ id: 'mappings', value: m }),
  hidden: (): DynamicConfigValue => ({ id: 'custom.hidden', value: true }),
  width: (px: number): DynamicConfigValue => ({ id: 'custom.width', value: px }),
  cell: (type: string): DynamicConfigValue => ({ id: 'custom.cellOptions', value: { type } }),
  noValue: (text: string): DynamicConfigValue => ({ id: 'noValue', value: text })
}

/** Reduce a series to its last non-null value (stat, gauge and bar gauge panels). */
export function lastNotNull (): ReduceDataOptionsBuilder {
  return new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false)
}
