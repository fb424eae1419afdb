/**
 * One error shape for every API failure: `{ error: code, message, details? }` with the
 * code's HTTP status (core/errors.ts). Request validation failures are MW_BAD_REQUEST
 * naming the parameter path; anything unexpected is logged and answered MW_INTERNAL.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { isMinewatchError, MinewatchError } from '../core/errors.js'

/** Body of every error response. */
export const errorBodySchema = z.object({
  error: z.string().describe('Stable code from docs/errors.md (MW_…), or MW_INTERNAL'),
  message: z.string(),
  details: z.unknown().optional()
}).meta({ id: 'Error' })
export type ErrorBody = z.infer<typeof errorBodySchema>

/** Code answered for unexpected failures (never raised on purpose, so not in core/errors.ts). */
export const INTERNAL_ERROR_CODE = 'MW_INTERNAL'

/** `querystring.step: Invalid input` style path of a validation issue. */
function issuePath (context: string | undefined, instancePath: string): string {
  const parts = instancePath.split('/').filter(Boolean)
  return [context, ...parts].filter(Boolean).join('.')
}

/** Sends `err` as an error body; sets Retry-After on MW_RATE_LIMITED. */
export function sendError (reply: FastifyReply, err: MinewatchError): FastifyReply {
  if (err.retryAfterMs !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000)))) // RFC 9110 §10.2.3: seconds
  const body: ErrorBody = { error: err.code, message: err.message }
  if (err.details !== undefined) body.details = err.details
  return sendBody(reply, err.statusCode, body)
}

// Sent as text so the route's response schema never rewrites (or rejects) an error.
function sendBody (reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body))
}

/** Fastify error handler: maps every error to the error body. */
export function errorHandler (err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isMinewatchError(err)) return sendError(reply, err)
  if (hasZodFastifySchemaValidationErrors(err)) {
    const details = err.validation.map((v) => ({ path: issuePath(err.validationContext, v.instancePath), message: v.message ?? 'invalid' }))
    const text = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ')
    return sendError(reply, new MinewatchError('MW_BAD_REQUEST', text, { details }))
  }
  const status = err.statusCode ?? 500
  if (status >= 400 && status < 500) {
    // fastify's own client errors (malformed JSON body, wrong content type, body too large)
    const code = status === 404 ? 'MW_NOT_FOUND' : status === 401 ? 'MW_UNAUTHENTICATED' : status === 403 ? 'MW_FORBIDDEN' : status === 429 ? 'MW_RATE_LIMITED' : 'MW_BAD_REQUEST'
    return sendBody(reply, status, { error: code, message: err.message, details: err.code ? { code: err.code } : undefined })
  }
  req.log.error({ err }, 'request failed')
  return sendBody(reply, 500, { error: INTERNAL_ERROR_CODE, message: 'internal server error' })
}

/** Answer for URLs that match no route. */
export function notFoundHandler (req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, new MinewatchError('MW_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`))
}
