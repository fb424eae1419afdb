/**
 * The onRequest hook that authenticates (`Authorization: Bearer <token>`) and rate-limits
 * every request; web console browsers authenticate by session cookie instead (session.ts).
 * A route's `config.auth` says what it needs: 'token' (default), 'ops' (open when
 * config.api.openOps) or 'open'.
 */
import type { FastifyRequest } from 'fastify'
import { MinewatchError } from '../../core/errors.js'
import type { Clock } from '../../core/clock.js'
import type { Config } from '../../core/config.js'
import { RateLimiter } from '../rate-limit.js'
import { SecretVerifier } from '../../core/secrets.js'
import type { Metrics } from '../../core/metrics.js'
import { TokenAuthenticator, bearerToken } from './tokens.js'
import type { Principal } from './principal.js'
import { sessionOf, type SessionStore } from './session.js'

export type AuthPolicy = 'token' | 'ops' | 'open'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs: a token (default), a token unless config.api.openOps ('ops'), or nothing. */
    auth?: AuthPolicy
  }
  interface FastifyRequest {
    /** The caller, once authenticated (null on open routes). */
    principal: Principal | null
  }
}

/**
 * Failed token checks allowed per client address per minute (each may cost a scrypt per
 * tokenHash). Past it, an unknown token from that address is still checked, but only when
 * the verifier is idle: a valid token behind a shared address (a reverse proxy) is slowed,
 * never refused for good, and the address can never queue scrypt work ahead of others.
 */
export const FAILED_AUTH_PER_MIN = 30
/** Token checks (one scrypt each) that may wait for the verifier; more are answered 429 at once. */
const VERIFY_QUEUE = 4

/**
 * `currentTokens`: the tokens configured now (a config reload swaps them); when the list changes,
 * the next request checks against the new one, and console sessions of removed or re-granted tokens end.
 */
export function createAuthHook (config: Config, clock: Clock, metrics?: Metrics, sessions?: SessionStore, currentTokens: () => Config['api']['tokens'] = () => config.api.tokens): (req: FastifyRequest) => Promise<void> {
  // a short queue: an unknown token costs one scrypt per tokenHash, so waiting checks are answered 429 rather than piling up
  const verifier = new SecretVerifier({ maxQueue: VERIFY_QUEUE, onOutcome: (outcome) => metrics?.secretChecks.inc({ outcome }) })
  let tokenList = currentTokens()
  let tokens = new TokenAuthenticator(tokenList, verifier)
  const tokensNow = (): TokenAuthenticator => {
    if (currentTokens() === tokenList) return tokens
    tokenList = currentTokens()
    // a new authenticator: its cache of known tokens starts empty, so a removed token is never answered from it
    tokens = new TokenAuthenticator(tokenList, verifier)
    const next = tokens
    sessions?.retain((p) => next.grants(p))
    return tokens
  }
  const perToken = new RateLimiter(config.api.rateLimitPerMin, clock)
  const failures = new RateLimiter(FAILED_AUTH_PER_MIN, clock)

  return async function authenticate (req: FastifyRequest): Promise<void> {
    const route = req.routeOptions.url
    if (route === undefined) return // no route matched: the not-found handler answers
    const policy: AuthPolicy = req.routeOptions.config.auth ?? (route === '/docs' || route.startsWith('/docs/') ? 'open' : 'token')
    if (policy === 'open' || (policy === 'ops' && config.api.openOps)) return
    const tokens = tokensNow()
    // console browsers: the session cookie (api/auth/session.ts), rate-limited per session
    const session = sessions ? sessionOf(sessions, req) : undefined
    if (session) {
      const r = perToken.take(`session:${session.id}`)
      if (!r.ok) throw new MinewatchError('MW_RATE_LIMITED', `this console session is limited to ${config.api.rateLimitPerMin} requests a minute`, { retryAfterMs: r.retryAfterMs })
      req.principal = session.principal
      return
    }
    const token = bearerToken(req.headers.authorization)
    if (token === undefined) {
      throw new MinewatchError('MW_UNAUTHENTICATED', req.headers.authorization ? 'Authorization must be "Bearer <token>"' : 'send Authorization: Bearer <token>')
    }
    let principal = tokens.known(token)
    if (!principal) {
      // the failure budget is taken BEFORE the check (atomic under parallel requests) and given back on success
      const ipKey = `ip:${req.ip}`
      const budget = failures.take(ipKey)
      const r = await tokens.authenticate(token, { lowPriority: !budget.ok })
      if (tokensNow() !== tokens) {
        // a config reload swapped the tokens during the check: decide by the new ones
        if (budget.ok) failures.give(ipKey)
        return await authenticate(req)
      }
      if (r.ok) {
        if (budget.ok) failures.give(ipKey)
        principal = r.principal
      } else if (r.reason === 'busy') {
        if (budget.ok) failures.give(ipKey)
        throw new MinewatchError('MW_RATE_LIMITED', budget.ok ? 'too many token checks in progress' : `too many failed token checks from ${req.ip}`, { retryAfterMs: budget.ok ? 1000 : budget.retryAfterMs })
      } else {
        throw new MinewatchError('MW_UNAUTHENTICATED', 'unknown token')
      }
    }
    const r = perToken.take(`token:${principal.name}`)
    if (!r.ok) throw new MinewatchError('MW_RATE_LIMITED', `token '${principal.name}' is limited to ${config.api.rateLimitPerMin} requests a minute`, { retryAfterMs: r.retryAfterMs })
    req.principal = principal
  }
}
