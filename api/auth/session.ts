/**
 * Browser sessions for the web console: a login exchanges an API token (checked by the auth
 * hook exactly like any API call) for a random session id held in an HttpOnly,
 * SameSite=Strict cookie, which EventSource sends too. Each session has its own CSRF token:
 * state-changing requests made with the cookie must echo it in the `x-csrf-token` header
 * (OWASP "synchronizer token"), so a page on another origin cannot act with the cookie.
 * Sessions live in memory: a restart logs browsers out, which is the safe default.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { Clock } from '../../core/clock.js'
import { MinewatchError } from '../../core/errors.js'
import { HOUR } from '../../core/time.js'
import type { Principal } from './principal.js'

/** Name of the session cookie. */
export const SESSION_COOKIE = 'mw_session'
/** Header carrying the session's CSRF token on state-changing requests. */
export const CSRF_HEADER = 'x-csrf-token'
/** A session unused for this long ends, ms. */
export const SESSION_IDLE_MS = 12 * HOUR // one control-room shift
/** Sessions kept at most; the least recently used ends first. */
export const MAX_SESSIONS = 10_000

export interface Session {
  id: string
  principal: Principal
  csrf: string
  createdAt: number
  lastSeen: number
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>()

  constructor (private readonly clock: Clock, private readonly idleMs = SESSION_IDLE_MS) {}

  /** Starts a session for an authenticated principal. */
  create (principal: Principal): Session {
    const now = this.clock.now()
    const s: Session = { id: randomBytes(32).toString('base64url'), principal, csrf: randomBytes(24).toString('base64url'), createdAt: now, lastSeen: now }
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string)
    this.sessions.set(s.id, s)
    return s
  }

  /** The live session with this id (its idle timer restarts), or undefined. */
  get (id: string): Session | undefined {
    const s = this.sessions.get(id)
    if (!s) return undefined
    const now = this.clock.now()
    if (now - s.lastSeen > this.idleMs) {
      this.sessions.delete(id)
      return undefined
    }
    s.lastSeen = now
    this.sessions.delete(id) // re-insert: Map order is least recently used first
    this.sessions.set(id, s)
    return s
  }

  /** Ends a session (logout). */
  delete (id: string): void {
    this.sessions.delete(id)
  }

  /** Ends every session whose principal `keep` refuses (a reload removed or changed its token). Returns how many ended. */
  retain (keep: (p: Principal) => boolean): number {
    let ended = 0
    for (const [id, s] of this.sessions) if (!keep(s.principal)) { this.sessions.delete(id); ended++ }
    return ended
  }

  get size (): number { return this.sessions.size }
}

/** True when the presented CSRF token is the session's (constant time). */
export function csrfMatches (session: Session, presented: string | string[] | undefined): boolean {
  if (typeof presented !== 'string') return false
  const a = Buffer.from(presented)
  const b = Buffer.from(session.csrf)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The value of one cookie in a Cookie header (RFC 6265 §5.4), or undefined. */
export function cookieValue (header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** Set-Cookie value for a session (Secure when the request came over TLS). */
export function sessionCookie (id: string, secure: boolean, maxAgeS = SESSION_IDLE_MS / 1000): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`
}

/** Set-Cookie value that removes the session cookie. */
export function clearedSessionCookie (secure: boolean): string {
  return sessionCookie('', secure, 0)
}

/** Methods that change state and so need the CSRF token when authenticated by cookie (RFC 9110 §9.2.1 safe methods excepted). */
export function isStateChanging (method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS'
}

/**
 * The session named by the request's cookie, when the request carries no Authorization
 * header (a bearer token always wins). Throws MW_UNAUTHENTICATED for an unknown or expired
 * session and MW_FORBIDDEN for a state-changing request without the session's CSRF token.
 */
export function sessionOf (sessions: SessionStore, req: FastifyRequest): Session | undefined {
  if (req.headers.authorization !== undefined) return undefined
  const id = cookieValue(req.headers.cookie, SESSION_COOKIE)
  if (id === undefined || id === '') return undefined
  const session = sessions.get(id)
  if (!session) throw new MinewatchError('MW_UNAUTHENTICATED', 'session expired or ended: log in again')
  if (isStateChanging(req.method) && !csrfMatches(session, req.headers[CSRF_HEADER])) {
    throw new MinewatchError('MW_FORBIDDEN', `a ${req.method} with the session cookie needs the session's ${CSRF_HEADER} header (GET /api/v1/session gives it)`)
  }
  return session
}
