/**
 * HJ 212 publisher: the simulated readings of devices with an `hj212:` entry go to the gateway
 * as CN 2011 frames (one Hj212DeviceClient per device, written with the quirks the registry
 * tolerates for it: swapped CRC, length in characters), each awaiting its 9014. The last
 * readings are kept so the device answers history requests (backfill) with minute data.
 */
import type { Registry } from '../core/registry.js'
import type { Config } from '../core/config.js'
import { MinewatchError } from '../core/errors.js'
import { parseTimestamp } from '../core/time.js'
import type { CpGroup } from '../hj212/frame.js'
import { formatDataTime } from '../hj212/datatime.js'
import { PARTICULATES, realtimeCp } from '../hj212/realtime.js'
import { Hj212DeviceClient, type Hj212Quirks } from './hj212-device.js'
import type { Publisher } from './publisher.js'
import type { SimMessage } from './types.js'

/** Readings kept per device for history requests (a day of minute readings). */
const HISTORY_MAX = 1440

type Values = Record<string, unknown> & { ts: number }

/** Minute data (Min/Avg/Max per particulate) of the kept readings, one CP per interval in [begin, end]. */
export function intervalCps (readings: readonly Values[], intervalMs: number, begin: number, end: number): CpGroup[][] {
  const byStart = new Map<number, Values[]>()
  for (const r of readings) {
    if (r.ts < begin || r.ts > end) continue
    const start = Math.floor(r.ts / intervalMs) * intervalMs
    let list = byStart.get(start)
    if (!list) byStart.set(start, list = [])
    list.push(r)
  }
  return [...byStart.keys()].sort((a, b) => a - b).map((start) => {
    const rs = byStart.get(start)!
    const cp: CpGroup[] = [[['DataTime', formatDataTime(start)]]]
    for (const [field, code] of PARTICULATES) {
      const xs = rs.map((r) => r[field]).filter((v): v is number => typeof v === 'number')
      if (xs.length === 0) continue
      const avg = xs.reduce((a, b) => a + b, 0) / xs.length
      cp.push([[`${code}-Min`, String(Math.min(...xs))], [`${code}-Avg`, avg.toFixed(2)], [`${code}-Max`, String(Math.max(...xs))], [`${code}-Flag`, 'N']])
    }
    return cp
  })
}

export class Hj212Publisher implements Publisher {
  private readonly clients = new Map<string, Promise<Hj212DeviceClient>>()
  private readonly history = new Map<string, Values[]>()
  private closed = false

  constructor (private readonly o: { host: string, port: number, registry: Registry }) {}

  /** True when the device speaks HJ 212 (its messages belong to this publisher). */
  static handles (registry: Registry, device: string): boolean {
    return registry.device(device)?.device.hj212 !== undefined
  }

  async publish (m: SimMessage): Promise<void> {
    if (this.closed) throw new MinewatchError('MW_BAD_REQUEST', 'publisher is closed')
    const entry = this.o.registry.device(m.device)
    if (!entry?.device.hj212) throw new MinewatchError('MW_BAD_REQUEST', `device '${m.device}' has no hj212 entry`)
    const parsed = JSON.parse(m.payload.toString('utf8')) as unknown
    const items = (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, unknown>>
    let client = await this.client(m.device)
    if (!client.connected) {
      // the gateway went away (restart, network): reconnect at this message
      this.clients.delete(m.device)
      client = await this.client(m.device)
    }
    for (const item of items) {
      const ts = parseTimestamp(item.ts as number | string)
      const r: Values = { ...item, ts }
      let kept = this.history.get(m.device)
      if (!kept) this.history.set(m.device, kept = [])
      kept.push(r)
      if (kept.length > HISTORY_MAX) kept.shift()
      await client.send(client.frame('2011', realtimeCp(entry.device, r, client.dataTime(ts), { flowDigits: 3 })))
    }
  }

  async close (): Promise<void> {
    this.closed = true
    const all = await Promise.allSettled(this.clients.values())
    await Promise.all(all.map((c) => c.status === 'fulfilled' ? c.value.close() : undefined))
    this.clients.clear()
  }

  private client (device: string): Promise<Hj212DeviceClient> {
    let c = this.clients.get(device)
    if (c) return c
    const d = this.o.registry.device(device)!.device
    const h = d.hj212!
    if (!h.pw) throw new MinewatchError('MW_BAD_REQUEST', `HJ 212 device '${device}' has no plain pw (only demo configs can be simulated)`)
    const quirks: Hj212Quirks = { crc: h.crc === 'swapped' ? 'swapped' : 'standard', length: h.length === 'chars' ? 'chars' : 'bytes' }
    const client = new Hj212DeviceClient({
      host: this.o.host, port: this.o.port, mn: h.mn, pw: h.pw, st: d.kind === 'water' ? '32' : '22', quirks,
      history: (_cn, begin, end) => intervalCps(this.history.get(device) ?? [], h.minuteIntervalS * 1000, begin, end)
    })
    c = client.connect().then(() => client)
    // a failed connection is retried at the next message
    c.catch(() => { if (this.clients.get(device) === c) this.clients.delete(device) })
    this.clients.set(device, c)
    return c
  }
}

/**
 * One publisher for a whole registry: HJ 212 devices (an `hj212:` entry) send frames to the gateway
 * at `hj212`, the others publish over MQTT. Without a gateway an HJ 212 device's message fails.
 */
export function routingPublisher (registry: Registry, mqtt: Publisher, hj212?: { host: string, port: number }): Publisher {
  const gateway = hj212 ? new Hj212Publisher({ ...hj212, registry }) : undefined
  return {
    publish: (m) => {
      if (!Hj212Publisher.handles(registry, m.device)) return mqtt.publish(m)
      if (!gateway) return Promise.reject(new MinewatchError('MW_BAD_REQUEST', `${m.device} speaks HJ 212 and no gateway is given (hj212.port, or simulate --hj212 host:port)`))
      return gateway.publish(m)
    },
    close: async () => { await Promise.all([mqtt.close(), gateway?.close()]) }
  }
}

/** The config without its HJ 212 devices (for a simulator given no gateway to send them to). */
export function withoutHj212Devices (config: Config): Config {
  return { ...config, sites: config.sites.map((s) => ({ ...s, devices: s.devices.filter((d) => d.hj212 === undefined) })) }
}
