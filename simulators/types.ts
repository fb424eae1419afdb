/** Shapes shared by the simulator parts: messages, actors and scenario effects. */
import type { Kind } from '../core/kinds.js'
import type { LonLat } from '../core/geo.js'
import type { DataFlag } from '../core/readings.js'
import type { EnergyRole } from '../core/energy.js'

/** One MQTT message a simulated device sends. */
export interface SimMessage {
  /** Simulated time the message is sent, epoch ms. */
  t: number
  site: string
  /** The device that sends it (its MQTT username). */
  device: string
  kind: Kind
  topic: string
  payload: Buffer
  /** Readings in the payload (0 for a deliberately unreadable one). */
  readings: number
  /** Set on deliberately bad messages: the reject reason ingest should record, or 'flood' (valid, but part of a burst the broker may refuse). */
  bad?: string
}

/** Something that emits messages at simulated times (a device, or a device's event source). */
export interface Actor {
  /** Time of the next message, epoch ms (Infinity when done). */
  next: number
  /** Emits the message due at `next` (or nothing) and moves `next` on. */
  step(): SimMessage | undefined
}

/** Scenario effects: data that the device models read. Times are epoch ms. */
export type Effect =
  /** Extra particulate at one dust monitor, mg/m³ of TSP; `pm10Share`, `pm25Share` of it go to PM10 / PM2.5. */
  | { type: 'dust'; device: string; fromMs: number; toMs: number; tspMgM3: number; pm10Share: number; pm25Share: number; rampMs: number }
  /** The device sends nothing in [fromMs, toMs). */
  | { type: 'silence'; device: string; fromMs: number; toMs: number }
  /**
   * A truck (entityId = device id) or a person leaves its work along `via`, stays `dwellMs` (a person: and
   * at least until `untilMs`, 区域超员 scenario), and comes back. A truck drives out at `kmh` (default 15;
   * 超速 scenario) and back at 15 km/h. A person's tag may send nothing for `silence.forMs` from
   * `silence.afterMs` into the stay (标签失联 scenario).
   */
  | { type: 'excursion'; site: string; entity: 'vehicle' | 'person'; entityId: string; fromMs: number; via: LonLat[]; dwellMs: number; untilMs?: number; kmh?: number; silence?: { afterMs: number; forMs: number } }
  /** A person's tag has its SOS button raised in [fromMs, toMs): its fixes carry `sos` = 1 and are sent at every report (紧急呼救 scenario). */
  | { type: 'sos'; site: string; entityId: string; fromMs: number; toMs: number }
  /** The site's water recycling rate is `rate` from `fromMs` on. */
  | { type: 'recycling'; site: string; fromMs: number; rate: number }
  /** Ore booked by the site's scales is multiplied by `factor` from `fromMs` on. */
  | { type: 'production'; site: string; fromMs: number; factor: number }
  /** A dust monitor's noise (LA) is about `levelDb` dB(A) in [fromMs, toMs) (boundary noise scenario). */
  | { type: 'noise'; device: string; fromMs: number; toMs: number; levelDb: number }
  /** Energy used by the site's meters of `role` is multiplied by `factor` in [fromMs, toMs) (energy intensity scenario). */
  | { type: 'energy'; site: string; role: EnergyRole; fromMs: number; toMs: number; factor: number }
  /** A dust monitor reports HJ 212 flag `flag` in [fromMs, toMs). */
  | { type: 'flag'; device: string; fromMs: number; toMs: number; flag: DataFlag }
