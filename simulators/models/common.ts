/** Helpers shared by the device models: message building, rounding, effect look-ups. */
import { telemetryTopic } from '../../core/topics.js'
import type { Device, Site } from '../../core/sites.js'
import type { Effect, SimMessage } from '../types.js'

export function round (v: number, decimals: number): number {
  const f = 10 ** decimals
  return Math.round(v * f) / f
}

/** A message for `device` of `site` with a JSON payload (one reading or an array). */
export function message (site: Site, device: Device, t: number, body: object, readings: number): SimMessage {
  return {
    t,
    site: site.id,
    device: device.id,
    kind: device.kind,
    topic: telemetryTopic(site.id, device.kind, device.id),
    payload: Buffer.from(JSON.stringify(body)),
    readings
  }
}

/** Effects of one type, narrowed. */
export function effectsOf<T extends Effect['type']> (effects: readonly Effect[], type: T): Array<Extract<Effect, { type: T }>> {
  return effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type)
}

/** First reading time: within the first 3 s (or the interval, when shorter), so every device shows up at once. */
export function firstPhaseMs (intervalS: number, u: number): number {
  return Math.floor(u * Math.min(intervalS * 1000, 3000))
}
