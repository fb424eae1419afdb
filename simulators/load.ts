/**
 * Load mode: N devices (each its own MQTT connection, connections ramped over
 * `rampMs`) publishing at a target total rate with a given QoS and array size.
 * Reports the achieved rate, acknowledged count and PUBACK latency percentiles.
 *
 * 10,000 connections need 10,000+ file descriptors in this process and in the
 * broker: check `ulimit -n` (raise it with `ulimit -n 65536` before starting both).
 */
import mqtt, { type MqttClient } from 'mqtt'
import { parseTelemetryTopic } from '../core/topics.js'
import { MinewatchError } from '../core/errors.js'
import type { Kind } from '../core/kinds.js'

export interface LoadDevice { id: string, password: string, topic: string }

export interface LoadProgress {
  elapsedMs: number
  connected: number
  sent: number
  acked: number
  errors: number
  /** Acknowledged messages per second over the last period. */
  rate: number
}

export interface LoadOptions {
  /** mqtt://host:port */
  brokerUrl: string
  devices: LoadDevice[]
  /** Target messages per second, all devices together. */
  ratePerSecond: number
  /** Readings in each message (a JSON array when > 1). */
  readingsPerMessage: number
  qos: 0 | 1
  /** Publishing time from the start (the ramp included), ms. */
  durationMs: number
  /** Connections are opened evenly over this time, ms. */
  rampMs: number
  /** Unacknowledged QoS 1 messages allowed per connection (default 4); a busy connection is skipped. */
  inflightPerConnection?: number
  /** Called about once a second. */
  onProgress?: (p: LoadProgress) => void
  /** Wait this long after the end for outstanding PUBACKs, ms (default 10 s). */
  drainMs?: number
  /** Ends the publishing time early (e.g. a benchmark's background load). */
  signal?: AbortSignal
}

export interface LoadResult {
  sent: number
  /** QoS 1: PUBACKs received; QoS 0: messages written to the socket. */
  acked: number
  errors: number
  /** Acknowledged messages per second of publishing time. */
  achievedRate: number
  readingsAcked: number
  /** PUBACK latency (QoS 0: time to write), ms. */
  latencyMs: { p50: number, p99: number, max: number }
  /** Connections open at the end of the publishing time. */
  connected: number
}

const TICK_MS = 10

interface Conn { device: LoadDevice, client: MqttClient, kind: Kind, inflight: number, seq: number, up: boolean }

export async function runLoad (opts: LoadOptions): Promise<LoadResult> {
  if (opts.devices.length === 0) throw new MinewatchError('MW_BAD_REQUEST', 'load: no devices')
  if (!(opts.ratePerSecond > 0)) throw new MinewatchError('MW_BAD_REQUEST', 'load: ratePerSecond must be > 0')
  const maxInflight = opts.inflightPerConnection ?? 4
  const kinds = opts.devices.map((d) => {
    const parsed = parseTelemetryTopic(d.topic)
    if ('error' in parsed) throw new MinewatchError('MW_BAD_REQUEST', `load device ${d.id}: ${parsed.error}`)
    return parsed.kind
  })
  const conns: Conn[] = []
  const latencies: number[] = []
  let sent = 0; let acked = 0; let errors = 0; let readingsAcked = 0
  const t0 = Date.now()
  let stopped = false

  // connection ramp
  const rampTimer = (async () => {
    for (let i = 0; i < opts.devices.length && !stopped; i++) {
      const due = t0 + (opts.rampMs * i) / opts.devices.length
      const wait = due - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const device = opts.devices[i]!
      const client = mqtt.connect(opts.brokerUrl, {
        protocolVersion: 4, clientId: device.id, username: device.id, password: device.password,
        clean: true, keepalive: 300, reconnectPeriod: 0, connectTimeout: 30_000
      })
      const conn: Conn = { device, client, kind: kinds[i]!, inflight: 0, seq: 0, up: false }
      client.on('connect', () => { conn.up = true })
      client.on('close', () => { conn.up = false })
      client.on('error', () => { /* counted through failed publishes and `connected` */ })
      conns.push(conn)
    }
  })()

  // publishing loop: credit accrues at ratePerSecond, spent round-robin on free connections
  let credit = 0
  let next = 0
  let lastTick = Date.now()
  let lastReport = t0; let lastAcked = 0
  const end = t0 + opts.durationMs
  while (Date.now() < end && opts.signal?.aborted !== true) {
    await new Promise((r) => setTimeout(r, TICK_MS))
    const now = Date.now()
    credit = Math.min(credit + ((now - lastTick) / 1000) * opts.ratePerSecond, opts.ratePerSecond) // at most 1 s of backlog
    lastTick = now
    let tried = 0
    while (credit >= 1 && conns.length > 0 && tried < conns.length) {
      const c = conns[next++ % conns.length]!
      tried++
      if (!c.up || (opts.qos === 1 && c.inflight >= maxInflight)) continue
      tried = 0
      credit -= 1
      sent++
      c.inflight++
      const started = performance.now()
      c.client.publish(c.device.topic, payload(c, opts.readingsPerMessage), { qos: opts.qos }, (err) => {
        c.inflight--
        if (err) { errors++; return }
        acked++
        readingsAcked += opts.readingsPerMessage
        latencies.push(performance.now() - started)
      })
    }
    if (now - lastReport >= 1000) {
      opts.onProgress?.({ elapsedMs: now - t0, connected: conns.filter((c) => c.up).length, sent, acked, errors, rate: ((acked - lastAcked) * 1000) / (now - lastReport) })
      lastReport = now; lastAcked = acked
    }
  }
  stopped = true
  const publishMs = Date.now() - t0
  const connected = conns.filter((c) => c.up).length
  const drainEnd = Date.now() + (opts.drainMs ?? 10_000)
  while (conns.some((c) => c.inflight > 0 && c.up) && Date.now() < drainEnd) await new Promise((r) => setTimeout(r, 20))
  errors += conns.reduce((n, c) => n + c.inflight, 0)
  await rampTimer
  await Promise.all(conns.map((c) => c.client.endAsync(true).catch(() => {})))
  latencies.sort((a, b) => a - b)
  const pct = (p: number) => latencies.length === 0 ? 0 : round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!)
  return {
    sent, acked, errors,
    achievedRate: round((acked * 1000) / publishMs),
    readingsAcked,
    latencyMs: { p50: pct(0.5), p99: pct(0.99), max: round(latencies[latencies.length - 1] ?? 0) },
    connected
  }
}

function round (v: number): number { return Math.round(v * 100) / 100 }

/** A valid payload for the device's kind: one reading or an array of `n`. */
function payload (c: Conn, n: number): Buffer {
  const now = Date.now()
  const items: string[] = []
  for (let i = 0; i < n; i++) items.push(reading(c.kind, now - (n - 1 - i), ++c.seq, c.device.id))
  return Buffer.from(n === 1 ? items[0]! : `[${items.join(',')}]`)
}

function reading (kind: Kind, ts: number, seq: number, id: string): string {
  const v = (seq % 100) / 10
  switch (kind) {
    case 'dust': return `{"ts":${ts},"seq":${seq},"tsp":${(80 + v).toFixed(1)},"pm10":${(52 + v).toFixed(1)},"pm25":${(21 + v / 2).toFixed(2)},"flag":"N"}`
    case 'water': return `{"ts":${ts},"seq":${seq},"totalM3":${(10_000 + seq * 0.4).toFixed(2)},"flowM3h":${(12 + v).toFixed(1)}}`
    case 'locator': return `{"ts":${ts},"seq":${seq},"entity":"vehicle","entityId":"${id}","lat":${(30.95 + v * 1e-5).toFixed(7)},"lon":${(119.91 + v * 1e-5).toFixed(7)},"accuracyM":2.5,"speedKmh":${(15 + v).toFixed(1)}}`
    case 'ore': return `{"ts":${ts},"seq":${seq},"tonnes":${(50 + v).toFixed(2)}}`
    case 'status': return `{"ts":${ts},"seq":${seq},"batteryPct":${(90 + v).toFixed(1)},"rssiDbm":-70,"uptimeS":${seq}}`
    case 'energy': return `{"ts":${ts},"seq":${seq},"totalKwh":${(50_000 + seq * 2.5).toFixed(2)},"powerKw":${(300 + v).toFixed(1)}}`
  }
}
