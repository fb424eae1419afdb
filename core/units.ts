/** Particulate concentration units a dust monitor may send; canonical is mg/m³. */
export const DUST_UNITS = ['mg/m3', 'ug/m3', 'ng/m3'] as const
export type DustUnit = (typeof DUST_UNITS)[number]

/**
 * Divisor that turns a value in `unit` into mg/m³. Dividing (correctly rounded) rather than
 * multiplying by 1e-3 keeps 61.7 µg/m³ → 0.0617, not 0.061700000000000005.
 */
const PER_MG_M3: Readonly<Record<DustUnit, number>> = Object.freeze({
  'mg/m3': 1,
  'ug/m3': 1e3,
  'ng/m3': 1e6 // HJ 212-2017 prints particulates in ng/m³
})

export function dustToMgM3 (value: number, unit: DustUnit): number {
  return unit === 'mg/m3' ? value : value / PER_MG_M3[unit]
}

/** Accepts common spellings (µg/m³, ug/m3, μg/m3) and returns the canonical unit name. */
export function parseDustUnit (text: string): DustUnit | undefined {
  const t = text.trim().toLowerCase().replace('³', '3').replace(/[µμ]/g, 'u')
  return (DUST_UNITS as readonly string[]).includes(t) ? (t as DustUnit) : undefined
}

/** The inverse of dustToMgM3: a canonical mg/m³ value in `unit` (the uplink hands stored readings to another minewatch's ingest in the device's own unit). */
export function mgM3ToDust (value: number, unit: DustUnit): number {
  return unit === 'mg/m3' ? value : Number((value * PER_MG_M3[unit]).toPrecision(15))
}
