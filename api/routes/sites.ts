/**
 * GET /sites, /sites/{site}, /sites/{site}/boundary.geojson, /sites/{site}/latest:
 * registry data and latest readings of the sites the caller may see. Device secrets
 * (password, secretHash) are never part of a response: views are built field by field.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { KINDS, type Kind } from '../../core/kinds.js'
import type { Device, Site } from '../../core/sites.js'
import { MinewatchError } from '../../core/errors.js'
import { limitRoles } from '../../core/dust.js'

function rolesOrNull (roles: readonly string[] | undefined): string[] | null {
  return roles ? [...roles] : null
}
import { errorBodySchema } from '../errors.js'
import { idParam } from '../params.js'
import { readingSchema, polygonSchema } from '../schemas.js'
import { principalOf, pathSite } from '../auth/access.js'
import { canSeeSite } from '../auth/principal.js'

const siteSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  province: z.string(),
  licence: z.string(),
  mineral: z.string(),
  scaleTPerYear: z.number(),
  devices: z.record(z.string(), z.number().int()).describe('device count per kind')
}).meta({ id: 'SiteSummary' })

const deviceViewSchema = z.object({
  id: z.string(),
  kind: z.enum(KINDS),
  name: z.string().nullable(),
  role: z.string().nullable(),
  unit: z.string().nullable(),
  intervalS: z.number(),
  location: z.tuple([z.number(), z.number()]).nullable()
}).meta({ id: 'Device' })

const siteDetailSchema = siteSummarySchema.extend({
  elevation: z.object({ minM: z.number(), maxM: z.number() }).nullable(),
  zones: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string() })),
  dustLimits: z.array(z.object({
    metric: z.string(), limit: z.number(), windowS: z.number(), holdS: z.number(), clearBelow: z.number().nullable(),
    clearHoldS: z.number(), maxPerDay: z.number().nullable(), severity: z.string(),
    standard: z.string().nullable().describe('legal standard; null for an operational limit of the site'),
    roles: z.array(z.string()).nullable().describe('monitor roles the limit applies to; null: every monitor')
  })),
  water: z.object({ floor: z.number(), formula: z.string(), rolloverM3: z.number(), standard: z.string() }),
  ore: z.object({ monthlyMargin: z.number(), standard: z.string() }),
  fence: z.object({ consecutiveFixes: z.number(), defaultAccuracyM: z.number() }),
  deviceList: z.array(deviceViewSchema)
}).meta({ id: 'SiteDetail' })

const featureCollectionSchema = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(z.object({
    type: z.literal('Feature'),
    id: z.string(),
    geometry: polygonSchema,
    properties: z.record(z.string(), z.unknown())
  }))
}).meta({ id: 'BoundaryFeatureCollection' })

const latestReadingSchema = readingSchema.extend({
  name: z.string().nullable().describe('device name from the registry'),
  role: z.string().nullable().describe('device role from the registry')
})

const siteParams = z.object({ site: idParam })

function deviceCounts (site: Site): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const d of site.devices) counts[d.kind] = (counts[d.kind] ?? 0) + 1
  return counts
}

function summary (site: Site): z.infer<typeof siteSummarySchema> {
  return {
    id: site.id, name: site.name, province: site.province, licence: site.licence,
    mineral: site.mineral, scaleTPerYear: site.scaleTPerYear, devices: deviceCounts(site)
  }
}

function deviceView (d: Device): z.infer<typeof deviceViewSchema> {
  return { id: d.id, kind: d.kind, name: d.name ?? null, role: d.role ?? null, unit: d.unit ?? null, intervalS: d.intervalS, location: d.location ?? null }
}

function detail (site: Site): z.infer<typeof siteDetailSchema> {
  return {
    ...summary(site),
    elevation: site.elevation ?? null,
    zones: site.zones.map((z) => ({ id: z.id, name: z.name, kind: z.kind })),
    dustLimits: site.dust.limits.map((l) => ({ ...l, clearBelow: l.clearBelow ?? null, maxPerDay: l.maxPerDay ?? null, standard: l.standard ?? null, roles: rolesOrNull(limitRoles(l)) })),
    water: { ...site.water },
    ore: { ...site.ore },
    fence: { ...site.fence },
    deviceList: site.devices.map(deviceView)
  }
}

export default async function sitesRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const { registry } = deps

  app.get('/sites', {
    schema: {
      tags: ['sites'],
      summary: 'Sites the caller may see',
      response: { 200: z.object({ items: z.array(siteSummarySchema) }), 401: errorBodySchema }
    }
  }, async (req) => {
    const p = principalOf(req)
    return { items: registry.sites.filter((s) => canSeeSite(p, s.id)).map(summary) }
  })

  app.get('/sites/:site', {
    schema: {
      tags: ['sites'],
      summary: 'One site: licence, limits, zones and devices (never device secrets)',
      params: siteParams,
      response: { 200: siteDetailSchema, 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema }
    }
  }, async (req) => detail(pathSite(registry, principalOf(req), req.params.site)))

  app.get('/sites/:site/boundary.geojson', {
    schema: {
      tags: ['sites'],
      summary: 'Licence boundary and restricted zones as a GeoJSON FeatureCollection (RFC 7946), lon/lat CGCS2000',
      params: siteParams,
      produces: ['application/geo+json'],
      response: { 200: featureCollectionSchema, 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema }
    }
  }, async (req, reply) => {
    const site = pathSite(registry, principalOf(req), req.params.site)
    const body: z.infer<typeof featureCollectionSchema> = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          id: `${site.id}/boundary`,
          geometry: site.boundary,
          properties: {
            site: site.id, kind: 'licence_boundary', name: site.name, licence: site.licence,
            elevationMinM: site.elevation?.minM ?? null, elevationMaxM: site.elevation?.maxM ?? null
          }
        },
        ...site.zones.map((zone) => ({
          type: 'Feature' as const,
          id: `${site.id}/zone/${zone.id}`,
          geometry: zone.geometry,
          properties: { site: site.id, kind: 'zone', zone: zone.id, zoneKind: zone.kind, name: zone.name }
        }))
      ]
    }
    return reply.type('application/geo+json').send(body) // RFC 7946 §12 media type
  })

  app.get('/sites/:site/latest', {
    schema: {
      tags: ['sites'],
      summary: 'Latest reading per device (per device and entity for locators), with device name and role',
      params: siteParams,
      querystring: z.object({ kind: z.enum(KINDS).optional(), device: idParam.optional() }),
      response: { 200: z.object({ site: z.string(), items: z.array(latestReadingSchema) }), 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema }
    }
  }, async (req) => {
    const site = pathSite(registry, principalOf(req), req.params.site)
    const { kind, device } = req.query
    if (device !== undefined) {
      const entry = registry.device(device)
      if (!entry || entry.site.id !== site.id) throw new MinewatchError('MW_BAD_REQUEST', `device: '${device}' is not a device of site '${site.id}'`)
    }
    const readings = await deps.telemetry.latest({ site: site.id, kind: kind as Kind | undefined, device })
    return {
      site: site.id,
      items: readings.map((r) => {
        const d = registry.device(r.device)?.device
        return { ...r, name: d?.name ?? null, role: d?.role ?? null }
      })
    }
  })
}
