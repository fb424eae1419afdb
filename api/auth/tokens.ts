/**
 * Bearer token check against config.api.tokens: plain `token` (demo configs) or
 * scrypt `tokenHash`. Successes are cached by SHA-256 of the presented token, so a
 * request pays scrypt only the first time a token is seen; recent failures are
 * cached too, so a wrong token replayed does not cost a scrypt per token each time.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { SecretVerifier } from '../../core/secrets.js'
import type { Config } from '../../core/config.js'
import type { Principal } from './principal.js'

type TokenConfig = Config['api']['tokens'][number]

/** Recently failed tokens remembered (their digests), oldest forgotten first. */
const FAILED_CACHE_SIZE = 1024

function digest (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

export class TokenAuthenticator {
  private readonly verifier = new SecretVerifier()
  private readonly plain: { digest: Buffer, principal: Principal }[] = []
  private readonly hashed: { hash: string, principal: Principal }[] = []
  private readonly known = new Map<string, Principal>()
  private readonly failed = new Set<string>()

  constructor (tokens: readonly TokenConfig[]) {
    for (const t of tokens) {
      const principal: Principal = Object.freeze({ name: t.name, role: t.role, sites: t.sites })
      if (t.token) this.plain.push({ digest: digest(t.token), principal })
      if (t.tokenHash) this.hashed.push({ hash: t.tokenHash, principal })
    }
  }

  /** True when `token` has already been verified (answering costs no scrypt). */
  isKnown (token: string): boolean {
    return this.known.has(digest(token).toString('base64'))
  }

  /** The principal for a presented token, or undefined when no configured token matches. */
  authenticate (token: string): Principal | undefined {
    const d = digest(token)
    const key = d.toString('base64')
    const cached = this.known.get(key)
    if (cached) return cached
    if (this.failed.has(key)) return undefined
    let found: Principal | undefined
    for (const p of this.plain) {
      if (timingSafeEqual(p.digest, d)) { found = p.principal; break }
    }
    if (!found) {
      for (const h of this.hashed) {
        if (this.verifier.verify(token, h.hash)) { found = h.principal; break }
      }
    }
    if (found) {
      this.known.set(key, found) // bounded by the number of configured tokens
      return found
    }
    if (this.failed.size >= FAILED_CACHE_SIZE) this.failed.delete(this.failed.values().next().value as string)
    this.failed.add(key)
    return undefined
  }
}

/**
 * Extracts the token from `Authorization: Bearer <token>` (RFC 6750 §2.1; the scheme is
 * case-insensitive, and any non-space characters are accepted since configs allow them).
 */
export function bearerToken (header: string | undefined): string | undefined {
  if (!header) return undefined
  const m = /^Bearer +(\S+) *$/i.exec(header)
  return m ? m[1] : undefined
}
