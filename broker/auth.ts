/**
 * MQTT login check: username = device id (or account username), password = its secret.
 * scrypt hashes go through SecretVerifier: asynchronous, bounded, successes and recent failures
 * cached (reconnects are cheap). An unknown username costs one scrypt against a dummy hash
 * whenever any credential is hashed, so response time does not tell known usernames apart.
 * Plain demo passwords are compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { SecretVerifier } from '../core/secrets.js'
import type { Registry } from '../core/registry.js'
import type { Config } from '../core/config.js'
import type { Principal } from './acl.js'

/** Why a login was refused: the `reason` label of minewatch_broker_auth_failures_total. */
export type AuthFailure = 'no_credentials' | 'unknown_user' | 'bad_password' | 'busy'

export type AuthResult = { ok: true, principal: Principal } | { ok: false, reason: AuthFailure }

interface Credential { principal: Principal, password?: string, hash?: string }

export class Authenticator {
  private readonly credentials = new Map<string, Credential>()
  private readonly anyHashed: boolean

  constructor (registry: Registry, accounts: Config['accounts'], private readonly verifier = new SecretVerifier()) {
    for (const { device, site } of registry.devices()) {
      this.credentials.set(device.id, {
        principal: { type: 'device', username: device.id, site: site.id, kind: device.kind },
        password: device.password,
        hash: device.secretHash
      })
    }
    for (const a of accounts) {
      // config validation guarantees account usernames never equal a device id
      this.credentials.set(a.username, {
        principal: { type: 'account', username: a.username, role: a.role, sites: a.sites },
        password: a.password,
        hash: a.passwordHash
      })
    }
    this.anyHashed = [...this.credentials.values()].some((c) => c.hash !== undefined)
  }

  /**
   * The principal when this exact secret was verified before or is a plain demo password (no
   * scrypt, no waiting), else undefined: lets the throttle admit a known-good login at once.
   */
  verified (username: string | undefined, password: Buffer | undefined): Principal | undefined {
    if (!username || !password || password.length === 0) return undefined
    const cred = this.credentials.get(username)
    if (!cred) return undefined
    const secret = password.toString('utf8')
    const good = cred.hash ? this.verifier.isVerified(secret, cred.hash) : cred.password !== undefined && sameSecret(secret, cred.password)
    return good ? cred.principal : undefined
  }

  /** Checks a CONNECT's username and password; never rejects, never logs. */
  async check (username: string | undefined, password: Buffer | undefined): Promise<AuthResult> {
    if (!username || !password || password.length === 0) return { ok: false, reason: 'no_credentials' }
    const secret = password.toString('utf8')
    const cred = this.credentials.get(username)
    if (!cred) {
      const v = this.anyHashed ? await this.verifier.dummy(username, secret) : 'bad'
      return { ok: false, reason: v === 'busy' ? 'busy' : 'unknown_user' }
    }
    // a hash wins over a plain password when both are configured
    if (cred.hash) {
      const v = await this.verifier.verify(secret, cred.hash)
      if (v === 'busy') return { ok: false, reason: 'busy' }
      return v === 'ok' ? { ok: true, principal: cred.principal } : { ok: false, reason: 'bad_password' }
    }
    return cred.password !== undefined && sameSecret(secret, cred.password) ? { ok: true, principal: cred.principal } : { ok: false, reason: 'bad_password' }
  }
}

/** Constant-time comparison of two strings of any length (digests have equal length). */
function sameSecret (a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())
}
