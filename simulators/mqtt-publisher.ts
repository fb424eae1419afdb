/**
 * MQTT publisher: each device is its own connection (MQTT 3.1.1, clientId and
 * username = device id, password = the registry's demo `password`), QoS 1.
 * A publish resolves on PUBACK and rejects after `ackTimeoutMs` without one.
 */
import mqtt, { type MqttClient } from 'mqtt'
import type { Registry } from '../core/registry.js'
import { MinewatchError } from '../core/errors.js'
import type { Publisher } from './publisher.js'
import type { SimMessage } from './types.js'

export interface MqttPublisherOptions {
  /** mqtt://host:port, mqtts://, ws:// or wss:// */
  brokerUrl: string
  registry: Registry
  /** A publish without PUBACK within this fails, ms. */
  ackTimeoutMs?: number
  /** Called on connection errors (refused logins, resets); the client reconnects by itself. */
  onError?: (device: string, err: Error) => void
  /**
   * Called once per device whose connection the broker keeps closing right after it opened:
   * another client uses the same client id (MQTT 3.1.1 §3.1.4: the broker disconnects the
   * existing client [MQTT-3.1.4-2]), e.g. `minewatch up --simulate` running the same devices.
   */
  onTakenOver?: (device: string) => void
}

/** A connection closed by the broker within this of opening counts as taken over, ms. */
export const TAKEOVER_WINDOW_MS = 5_000
/** Take-overs of one device that make it a conflict (one may be a network blip). */
export const TAKEOVERS_TO_REPORT = 2

export class MqttPublisher implements Publisher {
  private readonly clients = new Map<string, MqttClient>()
  private readonly ackTimeoutMs: number
  private closed = false
  /** Rejecters of publishes waiting for PUBACK, failed at close. */
  private readonly pending = new Set<(err: Error) => void>()

  constructor (private readonly opts: MqttPublisherOptions) {
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 30_000 // 30 s
  }

  /** Devices of the given sites that have no plain password (cannot be simulated over MQTT). */
  static missingPasswords (registry: Registry, sites: readonly string[]): string[] {
    return [...registry.devices()].filter((e) => sites.includes(e.site.id) && !e.device.password).map((e) => e.device.id)
  }

  /** Opens the connections of `devices` now (instead of at their first message). */
  async connect (devices: readonly string[], timeoutMs = 15_000): Promise<{ connected: number, failed: string[] }> {
    const results = await Promise.all(devices.map((id) => new Promise<boolean>((resolve) => {
      const c = this.client(id)
      if (c.connected) return resolve(true)
      const timer = setTimeout(() => { c.off('connect', ok); resolve(false) }, timeoutMs)
      const ok = () => { clearTimeout(timer); resolve(true) }
      c.once('connect', ok)
    })))
    return { connected: results.filter(Boolean).length, failed: devices.filter((_d, i) => !results[i]) }
  }

  async publish (m: SimMessage): Promise<void> {
    if (this.closed) throw new MinewatchError('MW_BAD_REQUEST', 'publisher is closed')
    const c = this.client(m.device)
    let timer: NodeJS.Timeout | undefined
    let fail: ((err: Error) => void) | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      fail = reject
      timer = setTimeout(() => reject(new Error(`no PUBACK within ${this.ackTimeoutMs} ms`)), this.ackTimeoutMs)
    })
    this.pending.add(fail!)
    try {
      await Promise.race([c.publishAsync(m.topic, m.payload, { qos: 1 }), timeout])
    } finally {
      clearTimeout(timer)
      this.pending.delete(fail!)
    }
  }

  async close (): Promise<void> {
    this.closed = true
    for (const fail of this.pending) fail(new Error('publisher closed'))
    this.pending.clear()
    await Promise.all([...this.clients.values()].map((c) => c.endAsync(true).catch(() => {})))
    this.clients.clear()
  }

  private client (device: string): MqttClient {
    let c = this.clients.get(device)
    if (c) return c
    const entry = this.opts.registry.device(device)
    if (!entry) throw new MinewatchError('MW_BAD_REQUEST', `device '${device}' is not in the registry`)
    if (!entry.device.password) throw new MinewatchError('MW_BAD_REQUEST', `device '${device}' has no plain password (only demo configs can be simulated over MQTT)`)
    c = mqtt.connect(this.opts.brokerUrl, {
      protocolVersion: 4, // MQTT 3.1.1
      clientId: device,
      username: device,
      password: entry.device.password,
      clean: true,
      keepalive: 60,
      reconnectPeriod: 1000, // 1 s
      connectTimeout: 10_000, // 10 s
      resubscribe: false
    })
    c.on('error', (err) => this.opts.onError?.(device, err))
    let connectedAt = 0; let takeovers = 0
    c.on('connect', () => { connectedAt = Date.now() })
    c.on('close', () => {
      if (this.closed || connectedAt === 0) return
      if (Date.now() - connectedAt < TAKEOVER_WINDOW_MS && ++takeovers === TAKEOVERS_TO_REPORT) this.opts.onTakenOver?.(device)
      connectedAt = 0
    })
    this.clients.set(device, c)
    return c
  }
}
