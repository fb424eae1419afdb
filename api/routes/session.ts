/**
 * POST /session (log in with an API token), GET /session (who am I, and the CSRF token),
 * DELETE /session (log out): the web console's browser sessions (api/auth/session.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { MinewatchError } from '../../core/errors.js'
import { errorBodySchema } from '../errors.js'
import { principalOf } from '../auth/access.js'
import { ROLES, visibleSiteIds, type Principal } from '../auth/principal.js'
import {
  SESSION_COOKIE, clearedSessionCookie, cookieValue, sessionCookie, type Session, type SessionStore
} from '../auth/session.js'

const sessionSchema = z.object({
  name: z.string().describe('token name (recorded as `by` on acknowledgements)'),
  role: z.enum(ROLES),
  sites: z.array(z.string()).describe('ids of the sites this session may see'),
  csrf: z.string().describe('send as the x-csrf-token header on POST/PUT/PATCH/DELETE made with the cookie')
}).meta({ id: 'Session' })

const errors = { 401: errorBodySchema, 403: errorBodySchema, 429: errorBodySchema }

function view (s: Session, sites: string[]): z.infer<typeof sessionSchema> {
  return { name: s.principal.name, role: s.principal.role, sites, csrf: s.csrf }
}

function cookieSession (sessions: SessionStore, req: FastifyRequest): Session {
  const id = cookieValue(req.headers.cookie, SESSION_COOKIE)
  const s = id ? sessions.get(id) : undefined
  if (!s) throw new MinewatchError('MW_UNAUTHENTICATED', 'no console session: log in with POST /api/v1/session')
  return s
}

export default async function sessionRoutes (fastify: FastifyInstance, { deps, sessions }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const sitesOf = (p: Principal) => visibleSiteIds(p, deps.registry)

  app.post('/session', {
    schema: {
      tags: ['session'],
      summary: 'Log in: send an API token as Authorization: Bearer; answers with an HttpOnly SameSite=Strict session cookie',
      response: { 200: sessionSchema, ...errors }
    }
  }, async (req, reply) => {
    if (req.headers.authorization === undefined) throw new MinewatchError('MW_UNAUTHENTICATED', 'log in with Authorization: Bearer <API token>')
    const s = sessions.create(principalOf(req))
    req.log.info({ token: s.principal.name }, 'console login')
    void reply.header('set-cookie', sessionCookie(s.id, req.protocol === 'https')).header('cache-control', 'no-store')
    return view(s, sitesOf(s.principal))
  })

  app.get('/session', {
    config: { auth: 'open' }, // answers "no session" with 204 rather than 401, so a page can ask before anyone logged in
    schema: { tags: ['session'], summary: 'The current console session and its CSRF token; 204 when there is none', response: { 200: sessionSchema, 204: z.null(), 429: errorBodySchema } }
  }, async (req, reply) => {
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE)
    const s = id ? sessions.get(id) : undefined
    void reply.header('cache-control', 'no-store')
    if (!s) return reply.code(204).send(null)
    return view(s, sitesOf(s.principal))
  })

  app.delete('/session', {
    schema: { tags: ['session'], summary: 'Log out (needs the x-csrf-token header)', response: { 204: z.null(), ...errors } }
  }, async (req, reply) => {
    const s = cookieSession(sessions, req)
    sessions.delete(s.id)
    req.log.info({ token: s.principal.name }, 'console logout')
    return reply.header('set-cookie', clearedSessionCookie(req.protocol === 'https')).code(204).send(null)
  })
}
