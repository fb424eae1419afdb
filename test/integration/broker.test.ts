/**
 * The embedded broker over real TCP (port 0) with mqtt@5 clients speaking MQTT 3.1.1:
 * login, ACL, intake before PUBACK, throttling, rate limit, topic depth and packet size.
 */
import { describe, it, expect, afterEach } from 'vitest'
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt'
import { parseConfig, type Config } from '../../core/config.js'
import { Registry } from '../../core/registry.js'
import { createMetrics, type Metrics } from '../../core/metrics.js'
import { silentLogger } from '../../core/log.js'
import { ManualClock } from '../../core/clock.js'
import { hashSecret } from '../../core/secrets.js'
import { createBroker, type Broker, type DeniedPublish, type TelemetryMessage } from '../../broker/index.js'
import { waitFor } from '../helpers/ports.js'

const site = (id: string, lon: number, devices: string): string => `
  - id: ${id}
    name: ${id}
    province: 甘肃省
    licence: L-${id}
    scaleTPerYear: 1000000
    boundary: { type: Polygon, coordinates: [ [ [${lon}, 30], [${lon + 0.01}, 30], [${lon + 0.01}, 30.01], [${lon}, 30] ] ] }
    devices:
${devices}`

const YAML = `
demo: true
sites:
${site('sa', 120, `      - { id: SA-D1, kind: dust, unit: ug/m3, intervalS: 60, password: sa-d1-secret }
      - { id: SA-D2, kind: dust, unit: ug/m3, intervalS: 60, secretHash: '${hashSecret('sa-d2-secret')}' }`)}
${site('sb', 121, `      - { id: SB-W1, kind: water, role: fresh_intake, intervalS: 60, password: sb-w1-secret }`)}
accounts:
  - { username: svc, role: service, sites: '*', password: svc-secret-1 }
  - { username: reg-sb, role: regulator, sites: [ sb ], password: reg-secret-1 }
`
const base = parseConfig(YAML).config

interface Harness {
  broker: Broker
  url: string
  metrics: Metrics
  clock: ManualClock
  intakes: TelemetryMessage[]
  denied: DeniedPublish[]
  /** Replace to control intake (default: record and resolve). */
  intake: (m: TelemetryMessage) => Promise<void>
}

const open: { brokers: Broker[], clients: MqttClient[] } = { brokers: [], clients: [] }
afterEach(async () => {
  for (const c of open.clients.splice(0)) c.end(true)
  for (const b of open.brokers.splice(0)) await b.close()
})

async function start (broker: Partial<Config['broker']> = {}): Promise<Harness> {
  const h = { clock: new ManualClock(1_700_000_000_000), metrics: createMetrics(), intakes: [], denied: [] } as unknown as Harness
  h.intake = async (m) => { h.intakes.push(m) }
  h.broker = createBroker({
    registry: new Registry(base),
    config: { ...base.broker, ...broker },
    accounts: base.accounts,
    intake: (m) => h.intake(m),
    onDenied: (d) => h.denied.push(d),
    metrics: h.metrics,
    logger: silentLogger(),
    clock: h.clock
  })
  open.brokers.push(h.broker)
  const { port } = await h.broker.listen({ port: 0, host: '127.0.0.1' })
  h.url = `mqtt://127.0.0.1:${port}`
  return h
}

/** Connects with MQTT 3.1.1 and no reconnects; rejects with the CONNACK code or on a close before CONNACK. */
async function connect (url: string, username: string, password: string, extra: IClientOptions = {}): Promise<MqttClient> {
  const c = mqtt.connect(url, { protocolVersion: 4, username, password, clientId: extra.clientId ?? `${username}-${Math.random().toString(36).slice(2)}`, reconnectPeriod: 0, connectTimeout: 5_000, ...extra })
  open.clients.push(c)
  c.on('error', () => {})
  return await new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c))
    c.once('error', (err) => reject(err))
    c.once('close', () => reject(Object.assign(new Error('closed before CONNACK'), { code: 'closed' })))
  })
}

/** SUBACK return codes for `topics` (mqtt.js rejects when any is 0x80; the packet is on the error). */
async function suback (c: MqttClient, topics: string[]): Promise<number[]> {
  try {
    return (await c.subscribeAsync(topics, { qos: 1 })).map((g) => g.qos)
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[] } }).packet
    if (!packet?.granted) throw err
    return packet.granted
  }
}

const closed = (c: MqttClient): Promise<void> => new Promise((resolve) => { if (!c.connected) resolve(); else c.once('close', () => resolve()) })
const counter = async (m: Metrics, name: keyof Metrics, labels: Record<string, string>): Promise<number> => {
  const metric = (m[name] as { get(): Promise<{ values: { value: number, labels: Record<string, unknown> }[] }> })
  const v = (await metric.get()).values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l))
  return v?.value ?? 0
}

describe('broker: devices', () => {
  it('takes a QoS 1 publish into intake before sending the PUBACK', async () => {
    const h = await start()
    let release!: () => void
    h.intake = (m) => { h.intakes.push(m); return new Promise<void>((resolve) => { release = resolve }) }
    const c = await connect(h.url, 'SA-D2', 'sa-d2-secret') // scrypt hash
    let acked = false
    const pub = c.publishAsync('mines/sa/dust/SA-D2', '{"tsp":0.3}', { qos: 1 }).then(() => { acked = true })
    await waitFor(() => h.intakes.length === 1, 5_000, 'intake')
    // another round trip completes while the publish is still held
    await c.subscribeAsync('alerts/sa/#', { qos: 1 })
    expect(acked).toBe(false)
    release()
    await pub
    expect(acked).toBe(true)
    expect(h.intakes[0]).toMatchObject({ topic: 'mines/sa/dust/SA-D2', qos: 1, dup: false, deviceId: 'SA-D2', receivedAt: h.clock.now() })
    expect(h.intakes[0]!.payload.toString()).toBe('{"tsp":0.3}')
    expect(await h.metrics.brokerConnections.get().then((g) => g.values[0]?.value)).toBe(1)
  })

  it('disconnects without PUBACK when intake fails', async () => {
    const h = await start()
    h.intake = async () => { throw new Error('store down') }
    const c = await connect(h.url, 'SA-D1', 'sa-d1-secret')
    let acked = false
    void c.publishAsync('mines/sa/dust/SA-D1', 'x', { qos: 1 }).then(() => { acked = true }, () => {})
    await closed(c)
    expect(acked).toBe(false)
  })

  it.each([
    ['wrong password', 'SA-D1', 'not-the-secret', 4, 'bad_password'],
    ['unknown device', 'NOPE', 'whatever-secret', 4, 'unknown_user'],
    ['no password', 'SA-D1', '', 5, 'no_credentials']
  ])('refuses a login with %s (CONNACK %s)', async (_what, user, pw, code, reason) => {
    const h = await start()
    await expect(connect(h.url, user, pw)).rejects.toMatchObject({ code })
    expect(await counter(h.metrics, 'brokerAuthFailures', { reason })).toBe(1)
  })

  it('refuses a device publishing on another site\'s topic, reports it, and other devices keep working', async () => {
    const h = await start()
    const bad = await connect(h.url, 'SA-D1', 'sa-d1-secret')
    const good = await connect(h.url, 'SB-W1', 'sb-w1-secret')
    bad.publish('mines/sb/water/SB-W1', '{"flow":1}', { qos: 1 })
    await closed(bad)
    expect(h.denied).toEqual([expect.objectContaining({ deviceId: 'SA-D1', topic: 'mines/sb/water/SB-W1', reason: 'topic_mismatch' })])
    expect(h.denied[0]!.payload.toString()).toBe('{"flow":1}')
    await good.publishAsync('mines/sb/water/SB-W1', '{"flow":2}', { qos: 1 })
    expect(h.intakes.map((m) => m.deviceId)).toEqual(['SB-W1'])
    expect(await counter(h.metrics, 'brokerDenied', { action: 'publish' })).toBe(1)
  })

  it('refuses a non-telemetry topic as bad_topic', async () => {
    const h = await start()
    const c = await connect(h.url, 'SA-D1', 'sa-d1-secret')
    c.publish('alerts/sa/dust', 'fake alert', { qos: 0 })
    await closed(c)
    expect(h.denied.map((d) => d.reason)).toEqual(['bad_topic'])
  })

  it('lets a device subscribe within its own site only', async () => {
    const h = await start()
    const c = await connect(h.url, 'SA-D1', 'sa-d1-secret')
    expect(await suback(c, ['mines/sa/#', 'alerts/sa/#', 'mines/sb/#', 'mines/#', '+/sa/#', '$SYS/#'])).toEqual([1, 1, 128, 128, 128, 128])
    expect(await counter(h.metrics, 'brokerDenied', { action: 'subscribe' })).toBe(4)
    // its own site's alerts do arrive; other sites' do not
    const got: string[] = []
    c.on('message', (t) => got.push(t))
    await h.broker.publish('alerts/sb/dust', 'x', 1)
    await h.broker.publish('alerts/sa/dust', 'y', 1)
    await waitFor(() => got.length === 1, 5_000, 'alert')
    expect(got).toEqual(['alerts/sa/dust'])
  })

  it('refuses a client id held by another principal (no session takeover)', async () => {
    const h = await start()
    const a = await connect(h.url, 'SA-D1', 'sa-d1-secret', { clientId: 'shared-id' })
    await expect(connect(h.url, 'SA-D2', 'sa-d2-secret', { clientId: 'shared-id' })).rejects.toMatchObject({ code: 2 })
    await a.publishAsync('mines/sa/dust/SA-D1', 'still here', { qos: 1 })
    expect(a.connected).toBe(true)
    // the same principal may take over its own session
    await connect(h.url, 'SA-D1', 'sa-d1-secret', { clientId: 'shared-id' })
    await closed(a)
  })

  it('refuses a will on a topic the device may not publish', async () => {
    const h = await start()
    await expect(connect(h.url, 'SA-D1', 'sa-d1-secret', { will: { topic: 'mines/sb/water/SB-W1', payload: Buffer.from('x'), qos: 1, retain: false } }))
      .rejects.toMatchObject({ code: 5 })
    expect(await counter(h.metrics, 'brokerAuthFailures', { reason: 'will_not_allowed' })).toBe(1)
  })
})

describe('broker: service and regulator accounts', () => {
  it('a service account granted * reads every site and may not publish', async () => {
    const h = await start()
    const svc = await connect(h.url, 'svc', 'svc-secret-1')
    expect(await suback(svc, ['mines/#', '+/sb/#', '$SYS/#'])).toEqual([1, 1, 128])
    const got: string[] = []
    svc.on('message', (t, p) => got.push(`${t} ${p.toString()}`))
    const dev = await connect(h.url, 'SB-W1', 'sb-w1-secret')
    await dev.publishAsync('mines/sb/water/SB-W1', 'r1', { qos: 1 })
    await h.broker.publish('alerts/sb/water', 'a1', 1)
    await waitFor(() => got.length === 2, 5_000, 'messages')
    expect(got.sort()).toEqual(['alerts/sb/water a1', 'mines/sb/water/SB-W1 r1'])
    svc.publish('mines/sb/water/SB-W1', 'forged', { qos: 1 })
    await closed(svc)
    expect(h.denied).toEqual([expect.objectContaining({ deviceId: null, reason: 'bad_topic' })])
    expect(h.intakes.map((m) => m.payload.toString())).toEqual(['r1'])
  })

  it('a regulator reads only its granted sites, with no wildcard over sites', async () => {
    const h = await start()
    const reg = await connect(h.url, 'reg-sb', 'reg-secret-1')
    expect(await suback(reg, ['alerts/sb/#', 'mines/sb/+/+', 'alerts/sa/#', 'mines/#', '+/sb/#', '#'])).toEqual([1, 1, 128, 128, 128, 128])
    const got: string[] = []
    reg.on('message', (t) => got.push(t))
    await h.broker.publish('alerts/sa/dust', 'no', 1)
    await h.broker.publish('alerts/sb/water', 'yes', 1)
    await waitFor(() => got.length >= 1, 5_000, 'alert')
    expect(got).toEqual(['alerts/sb/water'])
  })
})

describe('broker: limits', () => {
  it('blocks an address after failedLogins.max failures until blockMs has passed (clock-driven)', async () => {
    const h = await start({ failedLogins: { max: 3, perAccountMax: 20, windowMs: 60_000, blockMs: 300_000 } })
    for (let i = 0; i < 3; i++) await expect(connect(h.url, 'SA-D1', `wrong-${i}`)).rejects.toMatchObject({ code: 4 })
    // blocked, and no username ever logged in from this address: closed at accept, before its
    // CONNECT is read (so the right password of a username never seen from here is not even checked)
    await expect(connect(h.url, 'SA-D1', 'sa-d1-secret')).rejects.toThrow()
    expect(await counter(h.metrics, 'connectionsRefused', { listener: 'mqtt', cap: 'blocked' })).toBe(1)
    expect(await counter(h.metrics, 'brokerAuthFailures', { reason: 'blocked' })).toBe(0)
    h.clock.advance(300_000)
    await connect(h.url, 'SA-D1', 'sa-d1-secret')
  })

  it('holds messages over the rate until tokens are due, then refuses a flood; other devices are unaffected', async () => {
    const h = await start({ rate: { messagesPerSecond: 1, burst: 2 } })
    const c = await connect(h.url, 'SA-D1', 'sa-d1-secret')
    const acks: number[] = []
    for (let i = 0; i < 3; i++) void c.publishAsync('mines/sa/dust/SA-D1', `m${i}`, { qos: 1 }).then(() => acks.push(i))
    await waitFor(() => acks.length === 2, 5_000, 'burst')
    await c.subscribeAsync('alerts/sa/#') // a round trip: the third is still held
    expect(acks).toEqual([0, 1])
    expect(h.intakes.length).toBe(2)
    h.clock.advance(1_000)
    await waitFor(() => acks.length === 3, 5_000, 'held message')
    expect(h.intakes.map((m) => m.payload.toString())).toEqual(['m0', 'm1', 'm2'])

    // a flood: bucket empty, two more may wait, the next is refused and the device disconnected
    const other = await connect(h.url, 'SB-W1', 'sb-w1-secret')
    for (let i = 3; i < 7; i++) c.publish('mines/sa/dust/SA-D1', `m${i}`, { qos: 1 })
    await closed(c)
    expect(h.denied.map((d) => [d.deviceId, d.reason])).toEqual([['SA-D1', 'rate_limited']])
    await other.publishAsync('mines/sb/water/SB-W1', 'fine', { qos: 1 })
    expect(h.intakes.at(-1)?.deviceId).toBe('SB-W1')
    // the held messages of the disconnected device were not taken in (it redelivers them)
    expect(h.intakes.filter((m) => m.deviceId === 'SA-D1').length).toBe(3)
  })

  it('disconnects a client whose topic has more than maxTopicLevels levels', async () => {
    const h = await start({ maxTopicLevels: 6 })
    const pub = await connect(h.url, 'SA-D1', 'sa-d1-secret')
    pub.publish('mines/sa/dust/SA-D1/a/b/c', 'x', { qos: 1 })
    await closed(pub)
    const sub = await connect(h.url, 'SA-D2', 'sa-d2-secret')
    sub.subscribe('mines/sa/a/b/c/d/#')
    await closed(sub)
    expect(h.intakes).toEqual([])
    const ok = await connect(h.url, 'SB-W1', 'sb-w1-secret')
    await ok.publishAsync('mines/sb/water/SB-W1', 'fine', { qos: 1 })
  })

  it('refuses a PUBLISH larger than maxPacketBytes before buffering it; other clients are unaffected', async () => {
    const h = await start({ maxPacketBytes: 8 * 1024 })
    const big = await connect(h.url, 'SA-D1', 'sa-d1-secret')
    const other = await connect(h.url, 'SB-W1', 'sb-w1-secret')
    // just under the limit passes
    await big.publishAsync('mines/sa/dust/SA-D1', Buffer.alloc(8 * 1024 - 100, 0x7b), { qos: 1 })
    let acked = false
    void big.publishAsync('mines/sa/dust/SA-D1', Buffer.alloc(64 * 1024, 0x7b), { qos: 1 }).then(() => { acked = true }, () => {})
    await closed(big)
    expect(acked).toBe(false)
    expect(h.denied).toHaveLength(1)
    expect(h.denied[0]).toMatchObject({ deviceId: 'SA-D1', topic: 'mines/sa/dust/SA-D1', reason: 'payload_too_large' })
    expect(h.denied[0]!.payload.length).toBeLessThanOrEqual(1024)
    await other.publishAsync('mines/sb/water/SB-W1', 'fine', { qos: 1 })
    expect(h.intakes.map((m) => [m.deviceId, m.payload.length])).toEqual([['SA-D1', 8 * 1024 - 100], ['SB-W1', 4]])
  })
})
