/** Particulate concentration units a dust monitor may send; canonical is mg/m³. */
export const DUST_UNITS = ['mg/m3', 'ug/m3', 'ng/m3'] as const
export type DustUnit = (typeof DUST_UNITS)[number]

/** Factor that turns a value in `unit` into mg/m³. */
const TO_MG_M3: Readonly<Record<DustUnit, number>> = Object.freeze({
  'mg/m3': 1,
  'ug/m3': 1e-3,
  'ng/m3': 1e-6 // HJ 212-2017 prints particulates in ng/m³
})

export function dustToMgM3 (value: number, unit: DustUnit): number {
  return unit === 'mg/m3' ? value : value * TO_MG_M3[unit]
}

/** Accepts common spellings (µg/m³, ug/m3, μg/m3) and returns the canonical unit name. */
export function parseDustUnit (text: string): DustUnit | undefined {
  const t = text.trim().toLowerCase().replace('³', '3').replace(/[µμ]/g, 'u')
  return (DUST_UNITS as readonly string[]).includes(t) ? (t as DustUnit) : undefined
}
