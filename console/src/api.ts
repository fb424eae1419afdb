/** Same-origin API calls with the session cookie; state-changing calls carry the CSRF token. */
export interface SessionInfo { name: string, role: 'regulator' | 'operator' | 'admin', sites: string[], csrf: string }

let session: SessionInfo | null = null

export function currentSession (): SessionInfo | null { return session }

let settings: Promise<unknown> | null = null
/** GET /api/v1/console once per session (the config's tile layers): the pages' maps ask it in parallel with their data. */
export function consoleSettings<T> (): Promise<T> {
  settings ??= get<T>('/api/v1/console').catch((err: unknown) => { settings = null; throw err })
  return settings as Promise<T>
}

export class ApiError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) { super(message) }
}

/** Called when the server says the session is gone (401): the app shows the login page. */
let onUnauthenticated: () => void = () => {}
export function setUnauthenticatedHandler (fn: () => void): void { onUnauthenticated = fn }

/** Requests in flight: logging out aborts them first, so none is answered 401 after the session has ended. */
const inFlight = new Set<AbortController>()

async function request<T> (method: string, path: string, opts: { body?: unknown, headers?: Record<string, string>, raw?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers }
  if (method !== 'GET' && session) headers['x-csrf-token'] = session.csrf
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const abort = new AbortController()
  inFlight.add(abort)
  let res: Response
  try {
    res = await fetch(path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), credentials: 'same-origin', signal: abort.signal })
  } finally { inFlight.delete(abort) }
  if (!res.ok) {
    let code = 'MW_HTTP'; let message = res.statusText
    try { const b = await res.json() as { code?: string, message?: string }; code = b.code ?? code; message = b.message ?? message } catch { /* not JSON */ }
    if (res.status === 401 && !path.endsWith('/session')) { session = null; onUnauthenticated() }
    throw new ApiError(res.status, code, message)
  }
  if (opts.raw) return await res.text() as T
  return res.status === 204 ? (undefined as T) : await res.json() as T
}

export const get = <T>(path: string): Promise<T> => request<T>('GET', path)
export const post = <T>(path: string, body?: unknown): Promise<T> => request<T>('POST', path, { body })
export const getText = (path: string, accept: string): Promise<string> => request<string>('GET', path, { headers: { accept }, raw: true })

/** Logs in with an API token: the server answers with the HttpOnly session cookie. */
export async function login (token: string): Promise<SessionInfo> {
  settings = null
  session = await request<SessionInfo>('POST', '/api/v1/session', { headers: { authorization: `Bearer ${token}` } })
  return session
}

/** The current session from the cookie, or null when there is none. */
export async function resume (): Promise<SessionInfo | null> {
  try { session = (await request<SessionInfo | undefined>('GET', '/api/v1/session')) ?? null } catch { session = null }
  return session
}

export async function logout (): Promise<void> {
  // A poll sent just before the click may reach the server on another connection after the DELETE and be refused 401.
  for (const abort of inFlight) abort.abort()
  inFlight.clear()
  try { await request('DELETE', '/api/v1/session') } finally { session = null; settings = null }
}

export function qs (params: Record<string, string | number | undefined>): string {
  const u = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, String(v))
  const s = u.toString()
  return s ? `?${s}` : ''
}
