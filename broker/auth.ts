/**
 * MQTT login check: username = device id (or account username), password = its secret.
 * scrypt hashes go through SecretVerifier, which caches successes so reconnects are cheap;
 * plain demo passwords are compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { SecretVerifier } from '../core/secrets.js'
import type { Registry } from '../core/registry.js'
import type { Config } from '../core/config.js'
import type { Principal } from './acl.js'

/** Why a login was refused: the `reason` label of minewatch_broker_auth_failures_total. */
export type AuthFailure = 'no_credentials' | 'unknown_user' | 'bad_password'

export type AuthResult = { ok: true, principal: Principal } | { ok: false, reason: AuthFailure }

interface Credential { principal: Principal, password?: string, hash?: string }

export class Authenticator {
  private readonly credentials = new Map<string, Credential>()

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
  }

  /** Checks a CONNECT's username and password; never throws, never logs. */
  check (username: string | undefined, password: Buffer | undefined): AuthResult {
    if (!username || !password || password.length === 0) return { ok: false, reason: 'no_credentials' }
    const cred = this.credentials.get(username)
    if (!cred) return { ok: false, reason: 'unknown_user' }
    const secret = password.toString('utf8')
    // a hash wins over a plain password when both are configured
    const good = cred.hash ? this.verifier.verify(secret, cred.hash) : cred.password !== undefined && sameSecret(secret, cred.password)
    return good ? { ok: true, principal: cred.principal } : { ok: false, reason: 'bad_password' }
  }
}

/** Constant-time comparison of two strings of any length (digests have equal length). */
function sameSecret (a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())
}
