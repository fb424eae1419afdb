/**
 * The three network fuzz targets of `npm run fuzz` (bench/fuzz.ts) and of the corpus replay
 * (test/adversarial/fuzz-corpus.test.ts): what a case is, how one is generated from the seeds in
 * test/fixtures/fuzz/, and how one is sent to a running minewatch over real sockets with the
 * safe outcome it must get.
 *
 * - mqtt: raw bytes (mutated mqtt-packet packets) from their own loopback address, before or
 *   after a valid CONNECT. Safe: minewatch answers or closes that connection; nothing else.
 * - payload: a PUBLISH QoS 1 by an authenticated device on its own topic, the payload a
 *   mutation of a valid reading. Safe: it is acknowledged (PUBACK), stored or rejected; or,
 *   above the packet limit, the connection is closed. A missing PUBACK is a wedge.
 * - api: an HTTP request (path, query, headers, body; with and without auth). Safe: any status
 *   but a 5xx other than 503 (a 500 means a bad input reached code that did not expect it).
 */
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { Rng } from '../../simulators/prng.js'
import { rawMqtt, type RawMqtt } from '../../test/adversarial/helpers.js'

export type Target = 'mqtt' | 'payload' | 'api'
export const TARGETS: readonly Target[] = ['mqtt', 'payload', 'api']

/** Raw bytes on a fresh connection; `afterConnect`: a valid device CONNECT (and its CONNACK) first. */
export interface MqttCase { name: string, afterConnect: boolean, hex: string }
/** A payload published QoS 1 by `device` on its own `topic`; base64 when it is not UTF-8. */
export interface PayloadCase { name: string, device: string, topic: string, text?: string, base64?: string }
/** One HTTP request; `auth`: which token goes in the authorization header (or a raw header value). */
export interface ApiCase { name: string, method: string, path: string, auth: 'admin' | 'operator' | 'none' | 'bad' | { raw: string }, headers?: Record<string, string>, body?: string }
export type FuzzCase = MqttCase | PayloadCase | ApiCase

/** The outcome of one case: `finding` when the safe behaviour did not happen (the case goes into the corpus). */
export interface Outcome { finding?: string, ms: number }

export const FUZZ_DIR = 'test/fixtures/fuzz'
export function loadCorpus<T extends FuzzCase> (target: Target): T[] {
  return JSON.parse(readFileSync(`${FUZZ_DIR}/${target}.json`, 'utf8')) as T[]
}

/** Demo devices the payload target publishes as (config/demo.yaml), one per reading kind. */
export const PAYLOAD_DEVICES: ReadonlyArray<{ device: string, topic: string }> = [
  { device: 'ZJ-DUST06', topic: 'mines/zj-huzhou-quarry/dust/ZJ-DUST06' },
  { device: 'ZJ-WM01', topic: 'mines/zj-huzhou-quarry/water/ZJ-WM01' },
  { device: 'ZJ-TS01', topic: 'mines/zj-huzhou-quarry/ore/ZJ-TS01' },
  { device: 'ZJ-BS01', topic: 'mines/zj-huzhou-quarry/ore/ZJ-BS01' },
  { device: 'ZJ-UWB01', topic: 'mines/zj-huzhou-quarry/locator/ZJ-UWB01' }
]
export const devicePassword = (device: string): string => `demo-${device}-pw`
export const TOKENS = { admin: 'demo-admin-token-0001', operator: 'demo-operator-zj-token' } as const

// ---------------------------------------------------------------- generation

const NASTY_STRINGS = ['', ' ', '\u0000', '\uD800', '\uFFFF', '扬尘', '💥'.repeat(50), '\u202Eevil', '<script>alert(1)</script>', "' OR 1=1--", '%00', '../..', 'NaN', 'Infinity', '-0', '1e309', '2025-13-45T25:61:00Z', '9'.repeat(400)]
const NASTY_NUMBERS = [0, -0, -1, 1e308, -1e308, 1.7e308, 5e-324, 9e15, 8.64e15, 8.64e15 + 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e12, 1e12 + 1, 0.1, 1740796200, 1740796200000]

function nastyValue (rng: Rng, depth = 0): unknown {
  switch (rng.int(0, 9)) {
    case 0: return rng.pick(NASTY_NUMBERS)
    case 1: return rng.pick(NASTY_STRINGS)
    case 2: return null
    case 3: return rng.chance(0.5)
    case 4: return depth > 3 ? [] : Array.from({ length: rng.int(0, 5) }, () => nastyValue(rng, depth + 1))
    case 5: return depth > 3 ? {} : Object.fromEntries(Array.from({ length: rng.int(0, 4) }, () => [rng.pick(['ts', 'seq', 'tsp', '__proto__', 'constructor', 'x', '']), nastyValue(rng, depth + 1)]))
    case 6: return 'x'.repeat(rng.pick([1000, 60_000, 200_000]))
    case 7: return new Date(rng.int(0, 4e12)).toISOString().replace('Z', rng.pick(['Z', '+08:00', '+25:00', '']))
    case 8: { let v: unknown = 1; for (let i = rng.pick([10, 500, 2000]); i > 0; i--) v = [v]; return v } // deep nesting
    default: return rng.uniform(-1e6, 1e6)
  }
}

/** Mutates a parsed JSON value in place of one of its fields, or wraps/repeats it. */
function mutateJson (rng: Rng, v: unknown): unknown {
  if (rng.chance(0.1)) return nastyValue(rng)
  if (Array.isArray(v)) {
    if (v.length > 0 && rng.chance(0.3)) return Array.from({ length: rng.pick([2, 100, 2000]) }, () => v[0]) // many readings
    return v.map((x) => (rng.chance(0.5) ? mutateJson(rng, x) : x))
  }
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = { ...(v as Record<string, unknown>) }
    const keys = Object.keys(o)
    for (let m = rng.int(1, 3); m > 0; m--) {
      const r = rng.next()
      if (r < 0.5 && keys.length > 0) o[rng.pick(keys)] = nastyValue(rng)
      else if (r < 0.7 && keys.length > 0) delete o[rng.pick(keys)]
      else if (r < 0.8) return [o, mutateJson(rng, o)]
      else o[rng.pick(['unknownField', 'ts', 'seq', '__proto__', 'flag', rng.pick(NASTY_STRINGS)])] = nastyValue(rng)
    }
    return o
  }
  return nastyValue(rng)
}

/** Byte-level mutation: flip, insert, delete, truncate, duplicate. */
export function mutateBytes (rng: Rng, src: Buffer): Buffer {
  let b = Buffer.from(src)
  for (let m = rng.int(1, 4); m > 0; m--) {
    const at = rng.int(0, Math.max(0, b.length - 1))
    switch (rng.int(0, 5)) {
      case 0: if (b.length > 0) b[at] = b[at]! ^ (1 << rng.int(0, 7)); break
      case 1: b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: rng.int(1, 8) }, () => rng.int(0, 255))), b.subarray(at)]); break
      case 2: b = Buffer.concat([b.subarray(0, at), b.subarray(at + rng.int(1, 16))]); break
      case 3: b = b.subarray(0, at); break
      case 4: b = Buffer.concat([b, b.subarray(rng.int(0, b.length))]); break
      default: if (b.length > 0) b[at] = rng.pick([0x00, 0xff, 0x7f, 0x80, 0xc0])
    }
  }
  return b
}

export function generatePayload (rng: Rng, seeds: PayloadCase[], n: number): PayloadCase {
  const seed = rng.pick(seeds)
  const text = seed.text ?? Buffer.from(seed.base64 ?? '', 'base64').toString('utf8')
  let parsed: unknown
  try { parsed = JSON.parse(text) } catch { parsed = text }
  if (rng.chance(0.5) && parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    (parsed as Record<string, unknown>).ts = Date.now() - rng.int(0, 3_600_000) // often current, so mutations reach the later checks
  }
  let json: string
  try { json = JSON.stringify(mutateJson(rng, parsed)) ?? 'null' } catch { json = text } // nested deeper than this stack can write back
  const name = `payload-${n}`
  if (rng.chance(0.2)) return { name, device: seed.device, topic: seed.topic, base64: mutateBytes(rng, Buffer.from(json)).toString('base64') }
  return { name, device: seed.device, topic: seed.topic, text: json }
}

/** Random MQTT packets of every type (mqtt-packet), some taken from the seeds, then mutated at the byte level. */
export function generateMqtt (rng: Rng, seeds: MqttCase[], n: number): MqttCase {
  const afterConnect = rng.chance(0.5)
  let bytes: Buffer
  if (rng.chance(0.4)) bytes = Buffer.from(rng.pick(seeds).hex, 'hex')
  else {
    const topic = rng.pick(['mines/gs-baiyin-cuzn/dust/GS-DUST01', 'mines/gs-baiyin-cuzn/#', '#', '$SYS/x', '', 'a/'.repeat(200), '扬尘/+/#', '\u0000'])
    const packets: Array<Record<string, unknown>> = [
      { cmd: 'connect', protocolId: rng.pick(['MQTT', 'MQIsdp', 'XXXX']), protocolVersion: rng.pick([3, 4, 5, 9]), clean: rng.chance(0.5), keepalive: rng.int(0, 65535), clientId: rng.pick(['', 'GZ-DUST01', 'GS-DUST01', 'x'.repeat(300), '扬尘']), username: rng.pick(['GZ-DUST01', 'nobody', '', undefined]), password: rng.chance(0.5) ? Buffer.from(rng.pick(['demo-GZ-DUST01-pw', 'guess', ''])) : undefined, will: rng.chance(0.3) ? { topic, payload: Buffer.from('{}'), qos: rng.int(0, 2), retain: rng.chance(0.5) } : undefined },
      { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(nastyValue(rng)) ?? ''), qos: rng.int(0, 2), messageId: rng.int(1, 65535), retain: rng.chance(0.3), dup: rng.chance(0.2) },
      { cmd: 'subscribe', messageId: rng.int(1, 65535), subscriptions: [{ topic, qos: rng.int(0, 2) }] },
      { cmd: 'unsubscribe', messageId: rng.int(1, 65535), unsubscriptions: [topic] },
      { cmd: rng.pick(['puback', 'pubrec', 'pubrel', 'pubcomp']), messageId: rng.int(1, 65535) },
      { cmd: rng.pick(['pingreq', 'disconnect', 'pingresp', 'connack', 'suback']), returnCode: 0, granted: [0], messageId: 1 }
    ]
    const parts: Buffer[] = []
    for (let k = rng.int(1, 4); k > 0; k--) {
      try { parts.push(mqttPacket.generate(rng.pick(packets) as unknown as Packet)) } catch { parts.push(Buffer.from([rng.int(0, 255), rng.int(0, 255)])) }
    }
    bytes = Buffer.concat(parts)
  }
  if (rng.chance(0.8)) bytes = mutateBytes(rng, bytes)
  return { name: `mqtt-${n}`, afterConnect, hex: bytes.toString('hex') }
}

/** A route of the API as the OpenAPI document lists it, with its query parameter names. */
export interface ApiRoute { method: string, path: string, query: string[] }

/** The routes of a running minewatch, from its OpenAPI document (/docs/json). */
export async function apiRoutes (httpPort: number): Promise<ApiRoute[]> {
  const doc = await (await fetch(`http://127.0.0.1:${httpPort}/docs/json`)).json() as { paths: Record<string, Record<string, { parameters?: Array<{ in: string, name: string }> }>> }
  const out: ApiRoute[] = []
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) out.push({ method: method.toUpperCase(), path, query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name) })
  }
  return out
}

const PATH_VALUES = ['zj-huzhou-quarry', 'gs-baiyin-cuzn', 'ZJ-DUST01', '1', '0', '-1', '99999999999999999999', 'nope', '..', '%2e%2e', '%00', '%ff', '%E6%89%AC%E5%B0%98', 'a'.repeat(3000), '%', "x'--", 'dust', 'tsp', '2025-03-01']
const QUERY_VALUES = ['zj-huzhou-quarry', 'gs-baiyin-cuzn', 'dust', 'tsp', 'pm10', 'ZJ-DUST01', '2025-03-01', '2025-03-01T00:00:00Z', '1740796200000', '0', '-5', '1e309', 'NaN', '10', '100000', '', '%00', '%ZZ', '[]', 'true', 'minute', 'hour', 'day', 'zh', 'en', 'open', 'a'.repeat(5000), '%E6%89%AC']

export function generateApi (rng: Rng, routes: ApiRoute[], seeds: ApiCase[], n: number): ApiCase {
  const name = `api-${n}`
  if (rng.chance(0.3)) {
    const s = rng.pick(seeds)
    return { ...s, name, path: rng.chance(0.5) ? mutateBytes(rng, Buffer.from(s.path)).toString('latin1').replace(/[^\x21-\x7e]/g, '%') : s.path, auth: rng.pick(['admin', 'operator', 'none', 'bad', s.auth]) }
  }
  const route = rng.pick(routes)
  let path = route.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(rng.pick(PATH_VALUES)).replace(/%25/g, '%'))
  const q: string[] = []
  for (const key of route.query) if (rng.chance(0.6)) q.push(`${key}=${rng.pick(QUERY_VALUES)}`)
  if (rng.chance(0.2)) q.push(`${rng.pick(['x', 'site', 'limit', '__proto__', 'site[]', ''])}=${rng.pick(QUERY_VALUES)}`)
  if (q.length > 0) path += `?${q.join('&')}`
  const headers: Record<string, string> = {}
  if (rng.chance(0.2)) headers['last-event-id'] = rng.pick(['0', '-1', '1e3', 'abc', '99999999999999999999', ''])
  if (rng.chance(0.2)) headers['accept-language'] = rng.pick(['zh', 'en', '*', 'x'.repeat(2000)])
  if (rng.chance(0.1)) headers['x-forwarded-for'] = rng.pick(['1.2.3.4', 'garbage', ''])
  let body: string | undefined
  if (route.method !== 'GET' && route.method !== 'HEAD') {
    headers['content-type'] = rng.pick(['application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'])
    body = rng.chance(0.7) ? (JSON.stringify(mutateJson(rng, { note: 'checked on site', username: 'admin', password: 'x' })) ?? '') : mutateBytes(rng, Buffer.from('{"note":"x"}')).toString('latin1')
  }
  const auth: ApiCase['auth'] = rng.chance(0.1) ? { raw: rng.pick(['Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', `Bearer ${'x'.repeat(5000)}`, 'bearer demo-admin-token-0001', 'Bearer demo-admin-token-0001 extra']) } : rng.pick(['admin', 'admin', 'operator', 'none', 'bad'])
  return { name, method: route.method, path, auth, headers, body }
}

// ---------------------------------------------------------------- sending

const within = async <T, F>(p: Promise<T>, ms: number, fallback: F): Promise<T | F> => await Promise.race([p, new Promise<F>((resolve) => setTimeout(() => resolve(fallback), ms).unref())])

/** 127.{a}.{b}.{c} for the n-th case: fuzz connections come from many addresses, so the login throttle of one does not hide the rest. */
export function fuzzAddress (n: number, block: number): string {
  return `127.${block}.${(n >> 8) & 0xff}.${1 + (n % 250)}`
}

/** Sends an MQTT case; safe whatever the broker answers, as long as it answers or closes within `quietMs` of silence. */
export async function sendMqtt (mqttPort: number, c: MqttCase, localAddress: string, quietMs = 1000): Promise<Outcome> {
  const t0 = performance.now()
  let conn: RawMqtt
  try { conn = await rawMqtt(mqttPort, localAddress) } catch (err) { return { finding: `connect failed: ${(err as Error).message}`, ms: performance.now() - t0 } }
  try {
    if (c.afterConnect) {
      conn.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: `GS-DUST01-fz${Math.random().toString(16).slice(2, 8)}`, username: 'GS-DUST01', password: Buffer.from(devicePassword('GS-DUST01')) })
      const ack = await within(conn.next(), 10_000, 'timeout' as const)
      if (ack === 'timeout') return { finding: 'no CONNACK for a valid CONNECT within 10 s', ms: performance.now() - t0 }
      if (ack === null || ack.cmd !== 'connack' || ack.returnCode !== 0) return { ms: performance.now() - t0 } // refused (busy or throttled): the case did not run, but it is safe
    }
    conn.socket.write(Buffer.from(c.hex, 'hex'))
    // drain answers until the broker closes the connection or stays quiet; ms is the time to its last answer
    let last = performance.now()
    while (true) {
      const p = await within(conn.next(), quietMs, 'quiet' as const)
      if (p === 'quiet') break
      last = performance.now()
      if (p === null) break
    }
    return { ms: last - t0 }
  } finally {
    conn.end()
  }
}

/** An authenticated device connection for the payload target. */
export class PayloadDevice {
  private conn?: RawMqtt
  private messageId = 0
  constructor (private readonly mqttPort: number, readonly device: string) {}

  private async open (): Promise<RawMqtt | string> {
    const conn = await rawMqtt(this.mqttPort)
    conn.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: `${this.device}-fuzz`, username: this.device, password: Buffer.from(devicePassword(this.device)) })
    const ack = await within(conn.next(), 10_000, 'timeout' as const)
    if (ack === 'timeout' || ack === null || ack.cmd !== 'connack' || ack.returnCode !== 0) {
      conn.end()
      return `device ${this.device} could not log in: ${ack === 'timeout' ? 'no CONNACK within 10 s' : ack === null ? 'closed' : `CONNACK ${ack.cmd === 'connack' ? ack.returnCode : ack.cmd}`}`
    }
    return conn
  }

  /** Publishes the case QoS 1 and waits for its PUBACK (or the connection closing, for oversized packets). */
  async send (c: PayloadCase, maxPacketBytes: number): Promise<Outcome> {
    const t0 = performance.now()
    if (!this.conn) {
      const opened = await this.open()
      if (typeof opened === 'string') return { finding: opened, ms: performance.now() - t0 }
      this.conn = opened
      void opened.closed.then(() => { if (this.conn === opened) this.conn = undefined })
    }
    const conn = this.conn
    const payload = c.text !== undefined ? Buffer.from(c.text) : Buffer.from(c.base64 ?? '', 'base64')
    this.messageId = (this.messageId % 65535) + 1
    const messageId = this.messageId
    conn.send({ cmd: 'publish', topic: c.topic, payload, qos: 1, messageId, retain: false, dup: false })
    const oversized = payload.length + c.topic.length + 8 > maxPacketBytes
    while (true) {
      const p = await within(conn.next(), 15_000, 'timeout' as const)
      if (p === 'timeout') { conn.end(); this.conn = undefined; return { finding: 'no PUBACK within 15 s (the device is wedged)', ms: performance.now() - t0 } }
      if (p === null) return oversized ? { ms: performance.now() - t0 } : { finding: 'the broker closed the device connection instead of acknowledging', ms: performance.now() - t0 }
      if (p.cmd === 'puback' && p.messageId === messageId) return { ms: performance.now() - t0 }
    }
  }

  end (): void { this.conn?.end(); this.conn = undefined }
}

/** Sends an API case; the answer must come within 15 s and must not be a 5xx (503 aside: not ready or closing). */
export async function sendApi (httpPort: number, c: ApiCase, localAddress: string): Promise<Outcome> {
  const t0 = performance.now()
  const headers: Record<string, string> = { ...c.headers }
  if (typeof c.auth === 'object') headers.authorization = c.auth.raw
  else if (c.auth === 'admin' || c.auth === 'operator') headers.authorization = `Bearer ${TOKENS[c.auth]}`
  else if (c.auth === 'bad') headers.authorization = 'Bearer fuzz-not-a-token-0000000000'
  const status = await new Promise<number | string>((resolve) => {
    let req: ReturnType<typeof request>
    try {
      req = request({ host: '127.0.0.1', port: httpPort, method: c.method, path: c.path, headers, localAddress, agent: false, timeout: 15_000 }, (res) => {
      const code = res.statusCode ?? 0
      if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) { res.destroy(); resolve(code); return } // a stream: its status is the answer
      res.resume()
      res.on('end', () => resolve(code))
      res.on('error', () => resolve(code))
      })
    } catch { resolve(0); return } // a request node:http refuses to send (bad characters in a header): nothing reached minewatch
    req.on('timeout', () => { req.destroy(); resolve('no answer within 15 s') })
    req.on('error', (err) => resolve(`request failed: ${err.message}`))
    if (c.body !== undefined) req.end(Buffer.from(c.body, 'latin1'))
    else req.end()
  })
  const ms = performance.now() - t0
  if (typeof status === 'string') return { finding: status, ms }
  if (status >= 500 && status !== 503) return { finding: `HTTP ${status}`, ms }
  return { ms }
}
