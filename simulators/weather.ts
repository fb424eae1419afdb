/**
 * Site weather as pure functions of time (seeded value noise): wind, temperature,
 * humidity and rain. Dust monitors report it and scale their particulate by it.
 */
import { hashSeed, valueNoise } from './prng.js'
import { BEIJING_OFFSET_MS, HOUR, DAY } from '../core/time.js'

export interface Weather {
  /** m/s */
  windSpeed: number
  /** degrees from north */
  windDir: number
  /** °C */
  temp: number
  /** % */
  rh: number
  /** true while it rains (rain washes dust out). */
  raining: boolean
}

/** Hour of the Beijing day as a fraction, 0–24. */
export function beijingHour (t: number): number {
  return (((t + BEIJING_OFFSET_MS) % DAY) + DAY) % DAY / HOUR
}

export class SiteWeather {
  private readonly seed: number
  private readonly meanTemp: number

  /** `latitude` sets the mean temperature (colder north). */
  constructor (seed: number, site: string, latitude: number) {
    this.seed = hashSeed(seed, site, 'weather')
    this.meanTemp = 28 - 0.5 * Math.abs(latitude)
  }

  at (t: number): Weather {
    const h = beijingHour(t)
    const day = Math.sin(((h - 9) / 24) * 2 * Math.PI) // peaks mid-afternoon
    const rainNoise = valueNoise(this.seed + 3, t, 3 * HOUR)
    const raining = rainNoise > 0.9
    const windSpeed = Math.max(0.2, 1.2 + 1.3 * (day + 1) + 2.5 * valueNoise(this.seed + 1, t, 2 * HOUR) - 0.8)
    const windDir = (360 + 120 * valueNoise(this.seed + 2, t, 6 * HOUR) + 180 + 40 * (valueNoise(this.seed + 4, t, 20 * 60_000) - 0.5)) % 360
    const temp = this.meanTemp + 5 * day + 3 * (valueNoise(this.seed + 5, t, 12 * HOUR) - 0.5)
    const rh = raining ? 92 + 6 * valueNoise(this.seed + 6, t, HOUR) : Math.min(90, Math.max(25, 60 - 18 * day + 15 * (valueNoise(this.seed + 7, t, 4 * HOUR) - 0.5)))
    return { windSpeed, windDir, temp, rh, raining }
  }
}

/** Work intensity by Beijing hour: day shift 1.0, evening 0.65, night 0.45. */
export function activity (t: number): number {
  const h = beijingHour(t)
  if (h >= 7 && h < 19) return 1
  if (h >= 19 && h < 23) return 0.65
  return 0.45
}
