/**
 * Intake from any MQTT broker (Mosquitto, EMQX, BifroMQ, a cloud IoT hub): subscribes with QoS 1
 * in a persistent session and feeds ingest, with many messages in flight.
 *
 * Its own small client on mqtt-packet (MQTT.js handles one message per acknowledgement, so one
 * store commit per message): every QoS 1 PUBLISH goes straight to ingest.handle, so the
 * messages of one socket read share ingest's group commit (ingest/group-commit.ts), and each is
 * acknowledged (PUBACK) only after its readings are durable and its rejects recorded. PUBACKs go
 * in the order the PUBLISHes arrived [MQTT-4.6.0-2]: a message that is done waits for the ones
 * before it, and the PUBACKs of one commit leave in one socket write. How many messages are in
 * flight is the broker's limit: on MQTT 5 our Receive Maximum (CONNECT property), on 3.1.1 the
 * broker's own setting (Mosquitto's max_inflight_messages, EMQX's max_inflight).
 *
 * When handle rejects (store down) that message and every one after it stay unacknowledged and
 * the connection is dropped; on reconnect the broker redelivers every unacknowledged message
 * [MQTT-4.4.0-1] and duplicates of readings already stored are dropped by ingest. A crash does
 * the same: nothing is acknowledged before it is durable.
 *
 * `$share/GROUP/filter` (MQTT 5 shared subscription; Mosquitto and EMQX also take it on 3.1.1)
 * spreads the messages over every worker subscribed to the same group.
 */
import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import mqttPacket, { type Packet } from 'mqtt-packet'
import type { Logger } from '../core/log.js'
import type { Metrics } from '../core/metrics.js'
import type { Ingest } from './index.js'

/** The broker keeps our session (subscription and unacknowledged messages) this long while we are away, s. */
export const SESSION_EXPIRY_S = 7 * 24 * 3600 // 7 days, as ingest.maxLateMs: older readings would be refused anyway
/** MQTT 5 Receive Maximum when the config names none: unacknowledged QoS 1 messages the broker may send us. */
export const DEFAULT_RECEIVE_MAXIMUM = 1000
/** First delay before reconnecting after a lost connection or a failed handle, doubled up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 1000 // 1 s
const RETRY_MAX_MS = 30_000 // 30 s
/** Keep Alive we announce, s: a PINGREQ goes every this long; no PINGRESP by the next one drops the connection. */
const KEEPALIVE_S = 30
/** close() waits this long for messages being stored so their PUBACKs can still go, ms. */
const CLOSE_DRAIN_MS = 10_000 // 10 s
const SUBSCRIBE_ID = 1

export interface ExternalIntakeOptions {
  /** Broker URL: mqtt://host:1883 (or tcp://) or mqtts://host:8883 (or ssl://). */
  url: string
  username?: string
  password?: string
  /** Stable client id: the broker keeps the persistent session under it. */
  clientId: string
  /** Subscription filter, e.g. mines/# or $share/minewatch/mines/#. */
  topic: string
  /** MQTT protocol level: 5 (default) or 4 (3.1.1). */
  protocolVersion?: 4 | 5
  /** MQTT 5 Receive Maximum (1–65535); on 3.1.1 the broker decides. */
  receiveMaximum?: number
  ingest: Ingest
  logger: Logger
  metrics?: Metrics
}

interface Target { host: string, port: number, tls: boolean }

/** Host, port and TLS of a broker URL; a clear error for anything this client cannot dial. */
export function parseBrokerUrl (url: string): Target {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new Error(`external intake: '${redactUrl(url)}' is not a URL (mqtt://host:1883 or mqtts://host:8883)`)
  }
  const scheme = u.protocol.replace(/:$/, '')
  const tls = scheme === 'mqtts' || scheme === 'ssl'
  if (!tls && scheme !== 'mqtt' && scheme !== 'tcp') {
    throw new Error(`external intake: scheme '${scheme}:' of ${redactUrl(url)} is not supported; use mqtt:// (or tcp://) or mqtts:// (or ssl://)`)
  }
  if (!u.hostname) throw new Error(`external intake: ${redactUrl(url)} names no host`)
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : tls ? 8883 : 1883, tls }
}

/** One QoS 1 message between PUBLISH and PUBACK. */
interface Inflight { id: number, done: boolean, settled: Promise<unknown> }

interface Conn {
  socket: Socket
  /** Unacknowledged QoS 1 messages in arrival order. */
  queue: Inflight[]
  /** PUBACKs waiting for this tick's write. */
  outbox: Buffer[]
  alive: boolean
  awaitingPong: boolean
  pingTimer: NodeJS.Timeout | null
}

/** Subscribes to any MQTT broker (QoS 1, persistent session) and feeds ingest; acknowledges each message only after
 *  its readings are durable, many in flight. Rejects when the first connection or subscription fails. */
export async function startExternalIntake (opts: ExternalIntakeOptions): Promise<{ close(): Promise<void> }> {
  const { ingest, logger, metrics } = opts
  const target = parseBrokerUrl(opts.url)
  const protocolVersion = opts.protocolVersion ?? 5
  const receiveMaximum = opts.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM
  if (!Number.isInteger(receiveMaximum) || receiveMaximum < 1 || receiveMaximum > 65_535) {
    throw new Error(`external intake: receiveMaximum must be a whole number 1–65535, got ${receiveMaximum}`)
  }
  const where = redactUrl(opts.url)
  let closed = false
  let conn: Conn | null = null
  let retryMs = RETRY_FIRST_MS
  let retryTimer: NodeJS.Timeout | null = null
  let inflightMax = 0

  const gen = (p: Packet): Buffer => mqttPacket.generate(p, { protocolVersion })

  /** ingest.handle that cannot throw synchronously: an exception here would be uncaught (the process exits). */
  function handle (topic: string, payload: Buffer): Promise<unknown> {
    try {
      return ingest.handle({ topic, payload, deviceId: null, receivedAt: Date.now() })
    } catch (err) {
      return Promise.reject(err)
    }
  }

  function setInflight (c: Conn): void {
    if (c.queue.length > inflightMax) {
      inflightMax = c.queue.length
      metrics?.externalInflightMax.set(inflightMax)
    }
    metrics?.externalInflight.set(c.queue.length)
  }

  /** Acknowledges the done messages at the head of the queue; this tick's PUBACKs leave in one write. */
  function drainAcks (c: Conn): void {
    let n = 0
    while (c.queue.length > 0 && c.queue[0]!.done) {
      c.outbox.push(gen({ cmd: 'puback', messageId: c.queue.shift()!.id }))
      n++
    }
    if (n === 0) return
    metrics?.externalAcked.inc(n)
    setInflight(c)
    if (c.outbox.length === n) {
      process.nextTick(() => {
        if (c.alive && c.outbox.length > 0) c.socket.write(c.outbox.length === 1 ? c.outbox[0]! : Buffer.concat(c.outbox))
        c.outbox = []
      })
    }
  }

  function onPublish (c: Conn, p: Extract<Packet, { cmd: 'publish' }>): void {
    const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload
    if (p.qos === 0) { // no acknowledgement: handled, and lost if the store is down
      handle(p.topic, payload).catch((err: unknown) => logger.error({ err, topic: p.topic }, 'external intake: QoS 0 message lost (store failed)'))
      return
    }
    if (p.qos === 2) { // we subscribed at QoS 1, so the broker must downgrade [MQTT-3.8.4-6]
      lose(c, new Error(`broker sent a QoS 2 PUBLISH on '${p.topic}' to a QoS 1 subscription`))
      return
    }
    const entry: Inflight = { id: p.messageId!, done: false, settled: Promise.resolve() }
    c.queue.push(entry)
    setInflight(c)
    entry.settled = handle(p.topic, payload).then(
      () => {
        retryMs = RETRY_FIRST_MS
        entry.done = true
        if (c.alive) drainAcks(c)
      },
      (err: unknown) => {
        logger.error({ err, topic: p.topic }, 'external intake: ingest failed; message left unacknowledged')
        lose(c, new Error('a message could not be stored; reconnecting for redelivery'))
      })
  }

  /** Drops a connection without acknowledging what is left; reconnects unless closed. */
  function lose (c: Conn, err: Error): void {
    if (!c.alive) return
    c.alive = false
    if (c.pingTimer) clearInterval(c.pingTimer)
    c.socket.destroy()
    metrics?.externalInflight.set(0)
    if (conn === c) conn = null
    reconnectLater(err, c.queue.length)
  }

  /** After retryMs (doubled each time, reset by a stored message), dials again until it succeeds or close(). */
  function reconnectLater (err: Error, unacknowledged: number): void {
    if (closed) return
    const delay = retryMs
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS)
    logger.warn({ err: err.message, delayMs: delay, unacknowledged }, 'external intake: connection dropped; reconnecting (the broker redelivers what was not acknowledged)')
    retryTimer = setTimeout(() => {
      retryTimer = null
      if (closed) return
      dial().then((next) => {
        if (closed) { lose(next, new Error('closed')); return }
        conn = next
      }, (e: unknown) => reconnectLater(e as Error, 0))
    }, delay)
  }

  /** Connects, subscribes and resolves with the live connection; rejects (socket destroyed) if either fails. */
  function dial (): Promise<Conn> {
    return new Promise<Conn>((resolve, reject) => {
      const socket = target.tls ? tlsConnect({ host: target.host, port: target.port, servername: target.host }) : netConnect({ host: target.host, port: target.port })
      socket.setNoDelay(true)
      const c: Conn = { socket, queue: [], outbox: [], alive: true, awaitingPong: false, pingTimer: null }
      let ready = false
      const fail = (err: Error): void => {
        if (ready) { lose(c, err); return }
        if (!c.alive) return
        c.alive = false
        if (c.pingTimer) clearInterval(c.pingTimer)
        socket.destroy()
        reject(err)
      }
      const parser = mqttPacket.parser({ protocolVersion })
      parser.on('error', (err) => fail(new Error(`bad packet from the broker: ${err.message}`)))
      parser.on('packet', (p: Packet) => {
        if (!c.alive) return
        switch (p.cmd) {
          case 'connack': {
            const code = p.reasonCode ?? p.returnCode ?? 0
            if (code !== 0) { fail(new Error(`broker refused the connection (${protocolVersion === 5 ? 'reason' : 'return'} code ${code})`)); return }
            logger.info({ sessionPresent: p.sessionPresent }, 'external intake: connected')
            socket.write(gen({ cmd: 'subscribe', messageId: SUBSCRIBE_ID, subscriptions: [{ topic: opts.topic, qos: 1 }] }))
            return
          }
          case 'suback': {
            const code = p.granted[0]
            const n = typeof code === 'number' ? code : (code as { qos?: number } | undefined)?.qos ?? 0x80
            if (n >= 0x80) { fail(new Error(`${where} refused the subscription to '${opts.topic}' (reason code ${n})`)); return }
            ready = true
            resolve(c)
            return
          }
          case 'publish': onPublish(c, p); return
          case 'pingresp': c.awaitingPong = false; return
          case 'disconnect': fail(new Error(`broker disconnected us (reason code ${p.reasonCode ?? 0})`)); return
          default: logger.warn({ cmd: p.cmd }, 'external intake: unexpected packet ignored')
        }
      })
      socket.on('data', (d: Buffer) => parser.parse(d))
      socket.on('error', (err) => fail(new Error(`${where}: ${err.message}`)))
      socket.on('close', () => fail(new Error(`${where} closed the connection`)))
      socket.once(target.tls ? 'secureConnect' : 'connect', () => {
        socket.write(gen({
          cmd: 'connect', protocolId: 'MQTT', protocolVersion, clientId: opts.clientId, keepalive: KEEPALIVE_S,
          clean: false, // [MQTT-3.1.2-4] resume the session: subscription and unacknowledged messages
          username: opts.username, password: opts.password === undefined ? undefined : Buffer.from(opts.password),
          ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: SESSION_EXPIRY_S, receiveMaximum } } : {})
        }))
        c.pingTimer = setInterval(() => {
          if (c.awaitingPong) { fail(new Error(`${where} did not answer PINGREQ within ${KEEPALIVE_S} s`)); return }
          c.awaitingPong = true
          socket.write(gen({ cmd: 'pingreq' }))
        }, KEEPALIVE_S * 1000)
        c.pingTimer.unref()
      })
    })
  }

  try {
    conn = await dial()
  } catch (err) {
    throw new Error(`external intake: cannot subscribe at ${where}: ${(err as Error).message}`, { cause: err })
  }
  logger.info({ url: where, topic: opts.topic, clientId: opts.clientId, protocolVersion, receiveMaximum: protocolVersion === 5 ? receiveMaximum : 'broker' }, 'external intake: subscribed')

  return {
    async close () {
      closed = true
      if (retryTimer) clearTimeout(retryTimer)
      const c = conn
      if (!c || !c.alive) return
      // Take no more; let the messages being stored finish so their PUBACKs go, then say goodbye.
      c.socket.pause()
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.allSettled(c.queue.map((e) => e.settled)),
        new Promise((resolve) => { timer = setTimeout(resolve, CLOSE_DRAIN_MS) })
      ])
      clearTimeout(timer)
      await new Promise<void>((resolve) => process.nextTick(resolve)) // the PUBACK write of the last batch
      if (!c.alive) return
      c.alive = false
      if (c.pingTimer) clearInterval(c.pingTimer)
      metrics?.externalInflight.set(0)
      await new Promise<void>((resolve) => {
        c.socket.once('close', () => resolve())
        c.socket.end(gen({ cmd: 'disconnect' }))
        setTimeout(() => { c.socket.destroy(); resolve() }, 2000).unref()
      })
    }
  }
}

/** The URL without user:password, for logs and errors. */
function redactUrl (url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '[redacted]'
    return u.toString()
  } catch {
    return url
  }
}
