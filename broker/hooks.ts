/**
 * The aedes policy hooks, deny by default: preConnect (failed-login throttle), authenticate
 * (credentials, client-id ownership, will topic), authorizePublish (ACL, rate, then intake
 * before the PUBACK), authorizeSubscribe and authorizeForward (ACL).
 */
import type { AedesOptions, Client, PublishPacket, Subscription } from 'aedes'
import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/log.js'
import type { Metrics } from '../core/metrics.js'
import type { Registry } from '../core/registry.js'
import { parseTelemetryTopic } from '../core/topics.js'
import { canPublish, canReceive, canSubscribe, type Principal } from './acl.js'
import type { Authenticator } from './auth.js'
import type { LoginThrottle } from './throttle.js'
import type { DeviceRateLimiter } from './rate.js'
import type { DeniedPublish, IntakeResult, TelemetryMessage } from './index.js'
import { ClientIdOwners } from './client-ids.js'
import { shown, type RefusalLog } from '../core/refusal-log.js'

/** CONNACK return codes, MQTT 3.1.1 §3.2.2.3. */
export const CONNACK = { IDENTIFIER_REJECTED: 2, SERVER_UNAVAILABLE: 3, BAD_USERNAME_OR_PASSWORD: 4, NOT_AUTHORIZED: 5 } as const

/** Where an acknowledged but refused message is moved so that no subscriber and no retained store gets it. */
const REFUSED_TOPIC = '$minewatch/refused'

/** A held (rate-limited) message re-checks the clock at least this often, ms. */
const HOLD_POLL_MS = 100

export interface HookContext {
  registry: Registry
  authenticator: Authenticator
  throttle: LoginThrottle
  rate: DeviceRateLimiter
  intake: (msg: TelemetryMessage) => Promise<IntakeResult | void>
  onDenied?: (d: DeniedPublish) => void
  metrics: Metrics
  logger: Logger
  clock: Clock
  /** Peer address of a connection, set when it was accepted. */
  addressOf: (client: Client) => string
  /** Clients currently registered with aedes, by client id. */
  clientsById: () => Record<string, Client | undefined>
  /** Every username that may log in (device ids and account usernames): a client id named after one is reserved for it. */
  usernames: ReadonlySet<string>
  /** Where refused logins are logged: one line per address per interval, with a count (core/refusal-log.ts). */
  refusals: RefusalLog
}

export interface Hooks extends Required<Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>> {
  /** The principal a client logged in as (undefined before authentication). */
  principalOf(client: Client): Principal | undefined
  /** Reports a refused publish (metrics, log, onDenied); never throws. */
  denied(d: DeniedPublish, username: string | null): void
  /** Cancels held messages (broker closing). */
  cancelHolds(): void
  /**
   * A config reload: logins are checked against `authenticator` from now on; clients whose
   * username may no longer log in, or now logs in as a different principal (site, kind, role,
   * sites changed), are disconnected. Returns the usernames disconnected.
   */
  reload(authenticator: Authenticator, usernames: ReadonlySet<string>): string[]
  /** A registered client disconnected: a clean session's client id is free again. */
  disconnected(client: Client): void
}

type AuthError = Error & { returnCode: number }

/**
 * One error per (reason, code), made once: a flood of refused logins allocates no Error and
 * captures no stack trace per attempt (aedes only reads the code and sets errorCode to it).
 */
const authErrors = new Map<string, AuthError>()

/** True for the error a refused login ends with (aedes reports it again as a client error; it is already counted and logged). */
export function isLoginRefusal (err: unknown): boolean {
  return err instanceof Error && refusalErrors.has(err)
}
const refusalErrors = new WeakSet<Error>()

function authError (reason: string, returnCode: number): AuthError {
  const key = `${reason}:${returnCode}`
  let e = authErrors.get(key)
  if (!e) {
    e = Object.assign(new Error(`login refused: ${reason}`), { returnCode })
    authErrors.set(key, e)
    refusalErrors.add(e)
  }
  return e
}

/** True when `b` grants exactly what `a` does (a reload left the login's rights unchanged). */
function samePrincipal (a: Principal, b: Principal | undefined): boolean {
  if (!b || a.type !== b.type || a.username !== b.username) return false
  if (a.type === 'device' && b.type === 'device') return a.site === b.site && a.kind === b.kind
  if (a.type === 'account' && b.type === 'account') return a.role === b.role && JSON.stringify(a.sites) === JSON.stringify(b.sites)
  if (a.type === 'uplink' && b.type === 'uplink') return a.site === b.site
  return false
}

export function createHooks (ctx: HookContext): Hooks {
  const { metrics, logger: log, clock } = ctx
  const principals = new WeakMap<Client, Principal>()
  const willTopics = new WeakMap<Client, string>()
  const holds = new Set<NodeJS.Timeout>()
  const owners = new ClientIdOwners(ctx.usernames)
  let authenticator = ctx.authenticator

  function denied (d: DeniedPublish, username: string | null): void {
    metrics.brokerDenied.inc({ action: 'publish' })
    log.warn({ username, topic: d.topic.slice(0, 256), reason: d.reason }, 'publish refused; client disconnected')
    if (!ctx.onDenied) return
    try {
      ctx.onDenied(d)
    } catch (err) {
      log.error({ err }, 'onDenied threw')
    }
  }

  function loginFailed (client: Client, username: string | undefined, reason: string, code: number, done: (e: AuthError, ok: null) => void, blocked = false): void {
    metrics.brokerAuthFailures.inc({ reason })
    // every refusal is counted; the log gets one line per address per interval (a flood cannot flood it)
    ctx.refusals.note(ctx.addressOf(client), reason, { username: shown(username), returnCode: code, blocked })
    done(authError(reason, code), null)
  }

  function intake (client: Client | null, deviceId: string, packet: PublishPacket, done: (err?: Error | null) => void): void {
    // a will is published by the broker after the connection ended: there is no PUBACK to lose
    const isWill = client !== null && packet === (client as unknown as { will?: unknown }).will
    if (client?.closed && packet.qos > 0 && !isWill) {
      // the PUBACK cannot be sent: the device will redeliver, so do not take it in twice
      done(new Error('client disconnected before its message was taken in'))
      return
    }
    const msg: TelemetryMessage = {
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      qos: packet.qos,
      dup: packet.dup,
      deviceId,
      receivedAt: clock.now()
    }
    let p: Promise<IntakeResult | void>
    try {
      p = ctx.intake(msg)
    } catch (err) {
      p = Promise.reject(err)
    }
    p.then((r) => {
      if (r && !r.forward) {
        // acknowledged (its rejects are recorded) but not delivered: a payload that failed
        // validation never reaches subscribers, nor the retained store; nobody may subscribe to
        // a $ topic and wildcards never match one [MQTT-4.7.2-1]
        packet.topic = REFUSED_TOPIC
        packet.retain = false
      }
      done(null)
    }, (err: unknown) => {
      log.warn({ err, deviceId, topic: msg.topic }, 'intake failed: client disconnected without PUBACK, it will redeliver')
      done(err instanceof Error ? err : new Error(String(err)))
    })
  }

  /** Post-credential checks of a login whose secret was right: client id ownership, will topic. */
  function admit (client: Client, username: string | undefined, p: Principal, done: (e: (Error & { returnCode: number }) | null, ok: boolean | null) => void): void {
    const holder = ctx.clientsById()[client.id]
    const owner = owners.ownerOf(client.id)
    if ((owner !== undefined && owner !== p.username) || (holder && holder !== client && principals.get(holder)?.username !== p.username)) {
      // [MQTT-3.1.4-2] would let this login take over (wipe with clean=1, drain with clean=0) another principal's session
      loginFailed(client, username, 'client_id_in_use', CONNACK.IDENTIFIER_REJECTED, done)
      return
    }
    const will = willTopics.get(client)
    if (will !== undefined && !canPublish(p, will).ok) {
      loginFailed(client, username, 'will_not_allowed', CONNACK.NOT_AUTHORIZED, done)
      return
    }
    principals.set(client, p)
    owners.claim(client.id, p.username)
    log.debug({ username: p.username, clientId: shown(client.id), address: ctx.addressOf(client) }, 'MQTT client connected') // debug: hundreds of devices connect at start
    done(null, true)
  }

  /** Runs `fn` once the injected clock reaches `at` (polled, so a manual clock works too), or at once when the client is gone. */
  function holdUntil (client: Client, at: number, fn: () => void): void {
    const tick = (): void => {
      const left = at - clock.now()
      if (left <= 0 || client.closed) { fn(); return }
      const t = setTimeout(() => { holds.delete(t); tick() }, Math.min(left, HOLD_POLL_MS))
      holds.add(t)
    }
    tick()
  }

  const self: Hooks = {
    principalOf: (client) => principals.get(client),
    disconnected (client) {
      const p = principals.get(client)
      if (p && client.clean && ctx.clientsById()[client.id] === undefined) owners.release(client.id, p.username)
    },
    denied,
    cancelHolds () {
      for (const t of holds) clearTimeout(t)
      holds.clear()
    },
    reload (next, usernames) {
      authenticator = next
      owners.setUsernames(usernames)
      const dropped: string[] = []
      for (const client of Object.values(ctx.clientsById())) {
        if (!client) continue
        const p = principals.get(client)
        if (!p || samePrincipal(p, next.principalFor(p.username))) continue
        // its grants changed or ended: forget it at once (nothing more passes the ACL) and close the connection
        principals.delete(client)
        dropped.push(p.username)
        client.close()
      }
      return dropped
    },

    preConnect (client, packet, callback) {
      if (packet.will) willTopics.set(client, packet.will.topic)
      callback(null, true)
    },

    authenticate (client, username, password, done) {
      const address = ctx.addressOf(client)
      // a known-good login (this secret verified before, from an address this username used) is
      // admitted at once, whatever others' failures blocked: a correct secret is never locked out
      const known = username !== undefined && ctx.throttle.isGoodPair(username, address) ? authenticator.verified(username, password) : undefined
      if (known) { admit(client, username, known, done); return }
      const slot = ctx.throttle.begin(address, username)
      if (!slot.ok) {
        // no secret is checked for a blocked address or account: a guess there costs nothing and learns nothing
        loginFailed(client, username, slot.scope === 'address' ? 'blocked' : 'account_blocked', CONNACK.NOT_AUTHORIZED, done)
        return
      }
      const checkedBy = authenticator
      checkedBy.check(username, password).then((r) => {
        if (checkedBy !== authenticator) {
          // a config reload swapped the credentials during the check: decide by the new ones (a
          // device removed or a secret retired meanwhile must not slip in with the old answer)
          slot.attempt.abandoned()
          self.authenticate(client, username, password, done)
          return
        }
        if (r.ok) {
          slot.attempt.succeeded()
          admit(client, username, r.principal, done)
          return
        }
        if (r.reason === 'busy') {
          // too many checks waiting: nothing was checked or counted; the client may retry
          slot.attempt.abandoned()
          loginFailed(client, username, 'busy', CONNACK.SERVER_UNAVAILABLE, done)
          return
        }
        const blocked = slot.attempt.failed()
        // [MQTT-3.2.2-5]: aedes closes the connection after the refusing CONNACK
        loginFailed(client, username, r.reason, r.reason === 'no_credentials' ? CONNACK.NOT_AUTHORIZED : CONNACK.BAD_USERNAME_OR_PASSWORD, done, blocked)
      }, (err: unknown) => {
        slot.attempt.abandoned()
        log.error({ err }, 'login check failed')
        loginFailed(client, username, 'busy', CONNACK.SERVER_UNAVAILABLE, done)
      })
    },

    authorizePublish (client, packet, callback) {
      if (client === null) {
        // the will of a client of another broker of the cluster: checked against the registry
        const t = parseTelemetryTopic(packet.topic)
        const e = 'error' in t ? undefined : ctx.registry.device(t.device)
        if (!e || e.device.disabled || 'error' in t || e.site.id !== t.site || e.device.kind !== t.kind) { callback(new Error('will refused')); return }
        intake(null, e.device.id, packet, callback)
        return
      }
      const p = principals.get(client)
      if (!p) { callback(new Error('not authenticated')); return }
      const at = clock.now()
      const decision = canPublish(p, packet.topic)
      if (!decision.ok) {
        const reason = decision.reason === 'topic_mismatch' ? 'topic_mismatch' : 'bad_topic'
        denied({ deviceId: p.type === 'device' ? p.username : null, topic: packet.topic, reason, payload: packet.payload as Buffer, at }, p.username)
        callback(new Error(`publish refused: ${decision.reason}`))
        return
      }
      const verdict = ctx.rate.take(p.username)
      if (verdict.refused) {
        denied({ deviceId: p.username, topic: packet.topic, reason: 'rate_limited', payload: packet.payload as Buffer, at }, p.username)
        callback(new Error('publish refused: rate limit'))
        return
      }
      if (verdict.at <= at) intake(client, p.username, packet, callback)
      else holdUntil(client, verdict.at, () => intake(client, p.username, packet, callback))
    },

    authorizeSubscribe (client, sub: Subscription, callback) {
      const p = principals.get(client)
      if (p && canSubscribe(p, sub.topic)) { callback(null, sub); return }
      metrics.brokerDenied.inc({ action: 'subscribe' })
      log.warn({ username: p?.username, filter: sub.topic.slice(0, 256) }, 'subscription refused')
      callback(null, null) // SUBACK return code 0x80 [MQTT-3.9.3]
    },

    authorizeForward (client, packet) {
      const p = principals.get(client)
      return p && canReceive(p, packet.topic) ? packet : null
    }
  }
  return self
}
