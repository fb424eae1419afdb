/** Status heartbeat of a gateway (DTU): battery, signal, firmware, uptime. */
import { Rng, hashSeed } from '../prng.js'
import type { Device, Site } from '../../core/sites.js'
import type { Actor, SimMessage } from '../types.js'
import { firstPhaseMs, message, round } from './common.js'

export class StatusDevice implements Actor {
  next: number
  private seq = 0
  private readonly rng: Rng
  private readonly bootAt: number
  private readonly intervalMs: number

  constructor (private readonly site: Site, private readonly device: Device, seed: number, start: number) {
    this.rng = new Rng(hashSeed(seed, device.id))
    this.intervalMs = device.intervalS * 1000
    this.next = start + firstPhaseMs(device.intervalS, this.rng.next())
    this.bootAt = start - Math.floor(this.rng.uniform(1, 30) * 86_400_000)
  }

  step (): SimMessage | undefined {
    const t = this.next
    this.next += this.intervalMs
    const body = {
      ts: t,
      seq: ++this.seq,
      batteryPct: round(Math.min(100, 97 + this.rng.normal(0, 1)), 1), // UPS battery on mains, floats near full
      rssiDbm: Math.round(-78 + this.rng.normal(0, 4)),
      fw: 'dtu-2.3.1',
      uptimeS: Math.floor((t - this.bootAt) / 1000)
    }
    return message(this.site, this.device, t, body, 1)
  }
}
