/**
 * Factor codes (HJ 212-2017 附录 B; HJ 524 for air) and the aliases older devices send, mapped
 * to minewatch fields (core/kinds.ts). Particulates are in the device's registered unit; the
 * ingest normalise step converts them to mg/m³. w00000 flow is in L/s on the wire.
 */

export interface FactorDef {
  /** The standard's code this name stands for. */
  code: string
  /** minewatch field (dust or water kind). */
  field: string
  /** Particulate concentration: interval stats get their own fields (pm10Avg, pm10Min, pm10Max). */
  particulate?: boolean
}

const def = (code: string, field: string, particulate = false): FactorDef => ({ code, field, particulate })

const TSP = def('a34001', 'tsp', true)
const PM10 = def('a34002', 'pm10', true)
const PM25 = def('a34004', 'pm25', true)
const PM1 = def('a34005', 'pm1')
const TEMP = def('a01001', 'temp')
const RH = def('a01002', 'rh')
const PRESSURE = def('a01006', 'pressure')
const WIND_SPEED = def('a01007', 'windSpeed')
const WIND_DIR = def('a01008', 'windDir')
const NOISE = def('LA', 'noise')
const FLOW = def('w00000', 'flow')

/** Code or alias → factor. Case-sensitive, as CP is (§6.3.3); aliases are from 2005-era devices. */
export const FACTORS: ReadonlyMap<string, FactorDef> = new Map([
  ['a34001', TSP], ['TSP', TSP],
  ['a34002', PM10], ['PM10', PM10],
  ['a34004', PM25], ['PM25', PM25], ['PM2.5', PM25],
  ['a34005', PM1], ['PM1', PM1],
  ['a01001', TEMP], ['TEM', TEMP],
  ['a01002', RH], ['RH', RH], ['HUM', RH],
  ['a01006', PRESSURE], ['PA', PRESSURE],
  ['a01007', WIND_SPEED], ['WS', WIND_SPEED],
  ['a01008', WIND_DIR], ['WD', WIND_DIR],
  ['LA', NOISE], ['NOIS', NOISE], ['Leq', NOISE],
  ['w00000', FLOW], ['B01', FLOW] // B01: HJ/T 212-2005 wastewater flow
])

export type Suffix = 'Rtd' | 'Min' | 'Avg' | 'Max' | 'Cou' | 'Flag'

/** Suffixes as sent → the standard's; `td` is a typo seen in the field (`LA-td`). */
const SUFFIXES: ReadonlyMap<string, Suffix> = new Map([
  ['Rtd', 'Rtd'], ['rtd', 'Rtd'], ['RTD', 'Rtd'], ['td', 'Rtd'],
  ['Min', 'Min'], ['min', 'Min'], ['Avg', 'Avg'], ['avg', 'Avg'], ['Max', 'Max'], ['max', 'Max'],
  ['Cou', 'Cou'], ['cou', 'Cou'],
  ['Flag', 'Flag'], ['flag', 'Flag']
])

/** `a34001-Rtd` → { name: 'a34001', suffix: 'Rtd' }; undefined for names without a known suffix. */
export function splitFactorName (name: string): { name: string, suffix: Suffix } | undefined {
  const dash = name.lastIndexOf('-')
  if (dash <= 0) return undefined
  const suffix = SUFFIXES.get(name.slice(dash + 1))
  return suffix ? { name: name.slice(0, dash), suffix } : undefined
}
