/**
 * Bearer token check against config.api.tokens: plain `token` (demo configs) or scrypt
 * `tokenHash`. scrypt runs asynchronously through a bounded SecretVerifier, never on the event
 * loop. Successes are cached by SHA-256 of the presented token, so a request pays scrypt only
 * the first time a token is seen; recent failures are cached too, so a wrong token replayed
 * does not cost a scrypt per configured hash each time.
 *
 * The API for callers (the auth hook, a session layer): `known(token)` answers at once from
 * the cache; `authenticate(token)` verifies and resolves `{ ok, principal }` or why not.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { SecretVerifier } from '../../core/secrets.js'
import type { Config } from '../../core/config.js'
import type { Principal } from './principal.js'

type TokenConfig = Config['api']['tokens'][number]

/** Recently failed tokens remembered (their digests), oldest forgotten first. */
const FAILED_CACHE_SIZE = 1024

/** Result of a token check: `busy` when the verifier had no room (nothing was decided; retry shortly). */
export type TokenCheck = { ok: true, principal: Principal } | { ok: false, reason: 'unknown' | 'busy' }

function digest (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

export class TokenAuthenticator {
  private readonly plain: { digest: Buffer, principal: Principal }[] = []
  private readonly hashed: { hash: string, principal: Principal }[] = []
  private readonly knownTokens = new Map<string, Principal>()
  private readonly failed = new Set<string>()

  constructor (tokens: readonly TokenConfig[], private readonly verifier = new SecretVerifier()) {
    for (const t of tokens) {
      const principal: Principal = Object.freeze({ name: t.name, role: t.role, sites: t.sites })
      if (t.token) this.plain.push({ digest: digest(t.token), principal })
      if (t.tokenHash) this.hashed.push({ hash: t.tokenHash, principal })
      if (t.nextTokenHash) this.hashed.push({ hash: t.nextTokenHash, principal }) // rotation window: either hash is valid
    }
  }

  /** True when a token named `p.name` is configured with exactly `p`'s grants. */
  grants (p: Principal): boolean {
    return [...this.plain, ...this.hashed].some((t) => t.principal.name === p.name && t.principal.role === p.role && JSON.stringify(t.principal.sites) === JSON.stringify(p.sites))
  }

  /** The principal when `token` is a plain token or was verified before (no scrypt, no waiting). */
  known (token: string): Principal | undefined {
    const d = digest(token)
    const cached = this.knownTokens.get(d.toString('base64'))
    if (cached) return cached
    for (const p of this.plain) if (timingSafeEqual(p.digest, d)) return p.principal
    return undefined
  }

  /**
   * Verifies a presented token. `lowPriority` (a caller already over its failure budget): only
   * checked when the verifier has a free slot right now, else `busy`, so such callers can never
   * queue ahead of others, yet a correct token of theirs is not refused for good.
   */
  async authenticate (token: string, opts: { lowPriority?: boolean } = {}): Promise<TokenCheck> {
    const fast = this.known(token)
    if (fast) return { ok: true, principal: fast }
    const key = digest(token).toString('base64')
    if (this.failed.has(key)) return { ok: false, reason: 'unknown' }
    for (const h of this.hashed) {
      const v = await this.verifier.verify(token, h.hash, opts)
      if (v === 'busy') return { ok: false, reason: 'busy' }
      if (v === 'ok') {
        this.knownTokens.set(key, h.principal) // bounded by the number of configured tokens
        return { ok: true, principal: h.principal }
      }
    }
    if (this.failed.size >= FAILED_CACHE_SIZE) this.failed.delete(this.failed.values().next().value as string)
    this.failed.add(key)
    return { ok: false, reason: 'unknown' }
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
