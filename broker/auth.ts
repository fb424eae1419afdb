/**
 * MQTT login check: username = device id (or account username), password = its secret.
 * scrypt hashes go through SecretVerifier: asynchronous, bounded, successes and recent failures
 * cached (reconnects are cheap). An unknown username costs one scrypt against a dummy hash
 * whenever any credential is hashed, so response time does not tell known usernames apart.
 * Plain demo passwords are compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { SecretVerifier, dummyHash, hashCost } from '../core/secrets.js'
import type { Registry } from '../core/registry.js'
import type { Config } from '../core/config.js'
import type { Principal } from './acl.js'

/** Why a login was refused: the `reason` label of minewatch_broker_auth_failures_total. */
export type AuthFailure = 'no_credentials' | 'unknown_user' | 'bad_password' | 'busy'

export type AuthResult = { ok: true, principal: Principal } | { ok: false, reason: AuthFailure }

/** A login's secrets: plain (demo) and/or scrypt hashes; during a rotation window two hashes are valid. */
interface Credential { principal: Principal, password?: string, hashes: string[] }

export class Authenticator {
  private readonly credentials = new Map<string, Credential>()
  private readonly anyHashed: boolean
  /** What an unknown username is checked against: a hash of the cost most of the configured hashes have. */
  private readonly dummy: string

  /** Disabled devices get no credential: they are refused like unknown usernames. */
  constructor (registry: Registry, accounts: Config['accounts'], private readonly verifier = new SecretVerifier()) {
    for (const { device, site } of registry.devices()) {
      if (device.disabled) continue
      this.credentials.set(device.id, {
        principal: { type: 'device', username: device.id, site: site.id, kind: device.kind },
        password: device.secretHash === undefined ? device.password : undefined, // a hash wins over a plain password
        hashes: hashes(device.secretHash, device.nextSecretHash)
      })
    }
    for (const a of accounts) {
      // config validation guarantees account usernames never equal a device id
      this.credentials.set(a.username, {
        principal: a.role === 'site-uplink'
          ? { type: 'uplink', username: a.username, site: (a.sites as readonly string[])[0]! } // config: exactly one site
          : { type: 'account', username: a.username, role: a.role, sites: a.sites },
        password: a.passwordHash === undefined ? a.password : undefined,
        hashes: hashes(a.passwordHash, a.nextPasswordHash)
      })
    }
    this.anyHashed = [...this.credentials.values()].some((c) => c.hashes.length > 0)
    this.dummy = dummyHash(usualCost([...this.credentials.values()].flatMap((c) => c.hashes)))
  }

  /** The principal `username` logs in as now, or undefined when it may not log in (removed, disabled). */
  principalFor (username: string): Principal | undefined {
    return this.credentials.get(username)?.principal
  }

  /**
   * The principal when this exact secret was verified before or is a plain demo password (no
   * scrypt, no waiting), else undefined: lets the throttle admit a known-good login at once.
   * Only the hashes configured now count: a secret removed by a reload is never answered from the cache.
   */
  verified (username: string | undefined, password: Buffer | undefined): Principal | undefined {
    if (!username || !password || password.length === 0) return undefined
    const cred = this.credentials.get(username)
    if (!cred) return undefined
    const secret = password.toString('utf8')
    if (cred.hashes.some((h) => this.verifier.isVerified(secret, h))) return cred.principal
    return plainMatches(cred, secret) ? cred.principal : undefined
  }

  /** Checks a CONNECT's username and password; never rejects, never logs. */
  async check (username: string | undefined, password: Buffer | undefined): Promise<AuthResult> {
    if (!username || !password || password.length === 0) return { ok: false, reason: 'no_credentials' }
    const secret = password.toString('utf8')
    const cred = this.credentials.get(username)
    if (!cred) {
      const v = this.anyHashed ? await this.verifier.dummy(username, secret, this.dummy) : 'bad'
      return { ok: false, reason: v === 'busy' ? 'busy' : 'unknown_user' }
    }
    // a plain password is kept only when no hash is configured beside it (or just a next hash: rotating from plain)
    if (plainMatches(cred, secret)) return { ok: true, principal: cred.principal }
    for (const h of cred.hashes) {
      const v = await this.verifier.verify(secret, h)
      if (v === 'busy') return { ok: false, reason: 'busy' }
      if (v === 'ok') return { ok: true, principal: cred.principal }
    }
    return { ok: false, reason: 'bad_password' }
  }
}

/** The scrypt cost most of `stored` ask for (devices with generated secrets: GENERATED_SECRET_N), default 2^14. */
function usualCost (stored: readonly string[]): number | undefined {
  const counts = new Map<number, number>()
  for (const h of stored) { const n = hashCost(h); if (n !== undefined) counts.set(n, (counts.get(n) ?? 0) + 1) }
  let best: number | undefined; let most = 0
  for (const [n, c] of counts) if (c > most) { best = n; most = c }
  return best
}

function hashes (...list: Array<string | undefined>): string[] {
  return list.filter((h): h is string => h !== undefined)
}

function plainMatches (cred: Credential, secret: string): boolean {
  return cred.password !== undefined && sameSecret(secret, cred.password)
}

/** Constant-time comparison of two strings of any length (digests have equal length). */
function sameSecret (a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())
}
