/**
 * The embedded MQTT broker (aedes, MQTT 3.1.1): devices log in with their id and secret,
 * publish only their own telemetry topic, and every authorised telemetry PUBLISH is handed
 * to `intake` before its PUBACK. See docs/broker.md.
 */
import { Aedes, type Client } from 'aedes'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { EventEmitter } from 'node:events'
import type { Config } from '../core/config.js'
import type { Registry } from '../core/registry.js'
import type { Metrics } from '../core/metrics.js'
import type { Logger } from '../core/log.js'
import { systemClock, type Clock } from '../core/clock.js'
import { SecretVerifier } from '../core/secrets.js'
import { Authenticator } from './auth.js'
import { LoginThrottle } from './throttle.js'
import { DeviceRateLimiter } from './rate.js'
import { PacketSizeScanner, type OversizePacket } from './packet-size.js'
import { boundOutbound } from './outbound.js'
import { createHooks, isLoginRefusal, type Hooks } from './hooks.js'
import { startListeners, type Listeners } from './listeners.js'
import { AddressCap, peerAddress } from '../core/connection-caps.js'
import { RefusalLog } from '../core/refusal-log.js'
import { CONNECT_TIMEOUT_MS, PendingConnects } from './pending-connects.js'

export { canPublish, canSubscribe, canReceive, type Principal } from './acl.js'

export interface TelemetryMessage { topic: string, payload: Buffer, qos: 0 | 1 | 2, dup: boolean, deviceId: string, receivedAt: number }

/** What intake says about a message it took in: `forward: false` when any of it was refused (it is then acknowledged but delivered to nobody and never retained). */
export interface IntakeResult { forward: boolean }

export interface DeniedPublish {
  /** The device that published; null when the publisher is not a device (an account, or not logged in yet). */
  deviceId: string | null
  topic: string
  reason: 'topic_mismatch' | 'bad_topic' | 'payload_too_large' | 'rate_limited'
  /** The payload; for payload_too_large only its first bytes (at most 1 KiB, whatever had arrived). */
  payload: Buffer
  at: number
}

export interface BrokerOptions {
  registry: Registry
  config: Config['broker']
  accounts: Config['accounts']
  /**
   * Called for every authorised telemetry PUBLISH from a device. For QoS 1 the PUBACK is sent only
   * after this resolves; if it rejects the client is disconnected without PUBACK and will redeliver.
   */
  intake: (msg: TelemetryMessage) => Promise<IntakeResult | void>
  /** Told about refused publishes so they can be recorded as rejects. Must not throw. */
  onDenied?: (d: DeniedPublish) => void
  metrics: Metrics
  logger: Logger
  /** Time source for the login throttle and the rate limiter (tests use ManualClock). */
  clock?: Clock
  /** Optional aedes persistence / mq (e.g. aedes-persistence-redis / mqemitter-redis); in-memory by default. */
  persistence?: unknown
  mq?: unknown
}

export interface Broker {
  /** For /readyz: ok while listening and not closed, with the number of connected clients. */
  health(): { ok: boolean, detail: string }
  /** Starts TCP (and TLS/WS when configured); port 0 picks a free port. Rejects with MinewatchError('MW_PORT_IN_USE') when busy. */
  listen(opts: { port: number, host?: string, tlsPort?: number, wsPort?: number }): Promise<{ port: number, tlsPort?: number, wsPort?: number }>
  /** Publishes from the server itself (e.g. alerts/{site}/{kind}); bypasses device ACL. */
  publish(topic: string, payload: string | Buffer, qos?: 0 | 1): Promise<void>
  /**
   * Applies a reloaded registry and accounts: new devices may log in; clients of removed or
   * disabled devices (or of logins whose grants changed) are disconnected and refused from now
   * on; changed secrets apply at the next login. Every other connection stays. Returns the
   * usernames disconnected.
   */
  reload(registry: Registry, accounts: Config['accounts']): string[]
  /** Stops listeners, disconnects clients, closes aedes. */
  close(): Promise<void>
}

/** Builds the broker; it accepts connections once `listen` resolves. */
export function createBroker (opts: BrokerOptions): Broker {
  const { config, metrics, registry } = opts
  const clock = opts.clock ?? systemClock
  const log = opts.logger.child({ component: 'broker' })
  const addresses = new WeakMap<object, string>()
  const perAddress = new AddressCap(config.connectionsPerAddress)
  const pending = new PendingConnects()
  /** Gives back a connection's pre-CONNACK slot (pending-connects.ts). */
  const settle = new WeakMap<Client, () => void>()

  // one verifier for the broker's life: a reload keeps its cache, which only answers for hashes still configured
  const verifier = new SecretVerifier({ onOutcome: (outcome) => metrics.secretChecks.inc({ outcome }) })
  const usernamesOf = (r: Registry, accounts: Config['accounts']) => new Set([...[...r.devices()].map((e) => e.device.id), ...accounts.map((a) => a.username)])
  const throttle = new LoginThrottle(config.failedLogins, clock)
  const refusals = new RefusalLog(log, { message: 'MQTT login refused' })
  const hooks: Hooks = createHooks({
    registry,
    authenticator: new Authenticator(registry, opts.accounts, verifier),
    throttle,
    refusals,
    rate: new DeviceRateLimiter(config.rate, clock),
    intake: opts.intake,
    onDenied: opts.onDenied,
    metrics,
    logger: log,
    clock,
    addressOf: (client) => addresses.get(client.conn) ?? 'unknown',
    clientsById: () => (broker as unknown as { clients: Record<string, Client | undefined> }).clients,
    usernames: usernamesOf(registry, opts.accounts)
  })

  const broker = new Aedes({
    persistence: opts.persistence,
    mq: opts.mq,
    maxTopicLevels: config.maxTopicLevels,
    drainTimeout: config.drainTimeoutMs,
    connectTimeout: CONNECT_TIMEOUT_MS, // a silent connection holds a pre-CONNACK slot this long at most
    ...hooks
  })
  // memory persistence sets up at once; a custom one may fail, reported by listen/publish
  const ready = broker.listen()
  ready.catch(() => {})

  const connections = (): void => { metrics.brokerConnections.set(broker.connectedClients) }
  broker.on('client', connections)
  broker.on('connackSent', (_packet, client) => settle.get(client)?.()) // admitted or refused: no longer pending
  broker.on('clientDisconnect', (client) => { hooks.disconnected(client); connections() })
  broker.on('clientError', (client, err) => {
    // a refused login ends in a client error too: it was counted and logged (aggregated) by the hooks; one line per guess would let a flood write the log
    if (isLoginRefusal(err)) return
    log.info({ clientId: client.id, username: hooks.principalOf(client)?.username, err: err.message }, 'MQTT client error')
  })
  broker.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'MQTT connection error before CONNECT'))
  ;(broker as EventEmitter).on('error', (err: Error) => log.error({ err }, 'aedes error'))

  function refuseOversize (client: Client, conn: Duplex, bad: OversizePacket): void {
    const p = hooks.principalOf(client)
    // only an authenticated publisher's refusal becomes a reject record: unauthenticated traffic
    // never reaches a store (it could name any site in its topic and push real rejects out)
    if (bad.type === 3 && p !== undefined) {
      hooks.denied({
        deviceId: p?.type === 'device' ? p.username : null,
        topic: bad.topic ?? '',
        reason: 'payload_too_large',
        payload: bad.sample ?? Buffer.alloc(0),
        at: clock.now()
      }, p?.username ?? null)
    } else {
      metrics.brokerDenied.inc({ action: 'packet' })
      log.warn({ username: p?.username, packetType: bad.type, bytes: bad.bytes, address: addresses.get(conn) }, 'oversized or malformed MQTT packet; client disconnected')
    }
    conn.destroy()
  }

  /** Hands a connection to aedes behind the packet-size scanner. */
  function accept (conn: Duplex, rawAddress: string, req?: IncomingMessage): void {
    const address = peerAddress(rawAddress)
    if (throttle.refusesAtAccept(address)) {
      // a blocked address no login could pass: closed before aedes, a parser or a stream buffer
      // exists for it, so a guesser's connection costs one map lookup (MQTT 3.1.1 §3.1.4 lets a server close)
      metrics.connectionsRefused.inc({ listener: 'mqtt', cap: 'blocked' })
      refusals.note(address, 'blocked_at_accept')
      conn.destroy()
      return
    }
    if (!perAddress.take(address)) {
      // refused before aedes sees it: no client, no parser, no CONNACK (MQTT 3.1.1 §3.1.4 lets a server close)
      metrics.connectionsRefused.inc({ listener: 'mqtt', cap: 'address' })
      log.debug({ address, open: perAddress.max }, 'MQTT connection refused: per-address cap (broker.connectionsPerAddress)')
      conn.destroy()
      return
    }
    const release = pending.take(address)
    if (!release) {
      // too many logins under way (a flood minewatch is behind on): closed unparsed, the client tries again later
      perAddress.release(address)
      metrics.connectionsRefused.inc({ listener: 'mqtt', cap: 'pending' })
      refusals.note(address, 'too_many_pending')
      conn.destroy()
      return
    }
    conn.once('close', () => { release(); perAddress.release(address) })
    addresses.set(conn, address)
    const scanner = new PacketSizeScanner(config.maxPacketBytes)
    // aedes consumes the stream with read() on 'readable' (lib/client.js): every byte it parses passes here first
    const read = conn.read.bind(conn)
    const handled: { client?: Client } = {}
    ;(conn as unknown as { read: (size?: number) => unknown }).read = (size?: number): unknown => {
      const chunk: unknown = read(size)
      if (Buffer.isBuffer(chunk)) {
        const bad = scanner.scan(chunk)
        if (bad && handled.client) { refuseOversize(handled.client, conn, bad); return null }
      }
      return chunk
    }
    const client = handled.client = broker.handle(conn, req)
    settle.set(client, release)
    boundOutbound(client, config.outboundMaxBytes, (pending) => {
      metrics.brokerDenied.inc({ action: 'slow_subscriber' })
      log.warn({ username: hooks.principalOf(client)?.username, clientId: client.id, pendingBytes: pending }, 'subscriber too slow: outbound bound reached; client disconnected')
      conn.destroy()
    })
  }

  let listeners: Listeners | undefined
  return {
    health () {
      if (broker.closed) return { ok: false, detail: 'closed' }
      if (!listeners) return { ok: false, detail: 'not listening' }
      return { ok: true, detail: `listening on ${listeners.port}, ${broker.connectedClients} clients connected` }
    },

    async listen (l) {
      if (listeners) throw new Error('broker is already listening')
      await ready
      const tls = config.tls ? { ...config.tls, port: l.tlsPort ?? config.tls.port } : undefined
      const ws = config.ws ? { ...config.ws, port: l.wsPort ?? config.ws.port } : undefined
      listeners = await startListeners({ host: l.host ?? config.host, port: l.port, tls, ws, maxPacketBytes: config.maxPacketBytes }, accept, log)
      log.info({ port: listeners.port, tlsPort: listeners.tlsPort, wsPort: listeners.wsPort }, 'MQTT broker listening')
      return { port: listeners.port, tlsPort: listeners.tlsPort, wsPort: listeners.wsPort }
    },

    async publish (topic, payload, qos = 0) {
      await ready
      await new Promise<void>((resolve, reject) => {
        broker.publish({ cmd: 'publish', topic, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload), qos, retain: false, dup: false },
          (err) => { if (err) reject(err); else resolve() })
      })
    },

    reload (next, accounts) {
      const dropped = hooks.reload(new Authenticator(next, accounts, verifier), usernamesOf(next, accounts))
      if (dropped.length > 0) log.info({ usernames: dropped }, 'config reload: connections of removed, disabled or re-granted logins closed')
      return dropped
    },

    async close () {
      hooks.cancelHolds()
      refusals.close()
      const stopping = listeners?.close()
      listeners = undefined
      await new Promise<void>((resolve) => broker.close(() => resolve()))
      await stopping
      metrics.brokerConnections.set(0)
    }
  }
}
