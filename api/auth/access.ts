/**
 * Site access rules, applied by every route:
 * - a site or alert named in the PATH that the caller may not see is answered 404, exactly
 *   as if it did not exist (its existence is not revealed);
 * - a site named in a QUERY filter that the caller may not see is answered 403;
 * - lists without a site filter return only the caller's sites.
 */
import type { FastifyRequest } from 'fastify'
import { MinewatchError } from '../../core/errors.js'
import type { Registry } from '../../core/registry.js'
import type { Site } from '../../core/sites.js'
import { canSeeSite, type Principal } from './principal.js'

/** The authenticated caller (the auth hook guarantees one on token routes). */
export function principalOf (req: FastifyRequest): Principal {
  if (!req.principal) throw new MinewatchError('MW_UNAUTHENTICATED', 'send Authorization: Bearer <token>')
  return req.principal
}

/** A site named in the path: 404 when it does not exist or the caller may not see it. */
export function pathSite (registry: Registry, p: Principal, id: string): Site {
  const site = registry.site(id)
  if (!site || !canSeeSite(p, id)) throw new MinewatchError('MW_NOT_FOUND', `no site '${id}'`)
  return site
}

/** A site named in a query filter: 403 when the caller may not see it, else 404 when unknown. */
export function querySite (registry: Registry, p: Principal, id: string): Site {
  if (!canSeeSite(p, id)) throw new MinewatchError('MW_FORBIDDEN', `token '${p.name}' may not see site '${id}'`)
  const site = registry.site(id)
  if (!site) throw new MinewatchError('MW_NOT_FOUND', `no site '${id}'`)
  return site
}
