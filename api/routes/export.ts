/**
 * GET /sites/:site/export?kind=&from=&to=&format=csv|parquet&what=readings|rollup-1m|rollup-1h: one
 * site's readings of one kind over a range of Beijing days, or their 1-minute or 1-hour rollups
 * (docs/storage.md *Rollups*), as a CSV or Parquet file for inspectors (双随机、一公开).
 * The store writes the file (DuckDB COPY) to a private temp dir; it is streamed and then removed.
 * Embedded (DuckDB) store only.
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { KINDS } from '../../core/kinds.js'
import { MinewatchError } from '../../core/errors.js'
import { MAX_EXPORT_DAYS, exportDayRange } from '../../store/export-range.js'
import { EXPORT_FORMATS, EXPORT_WHATS } from '../../store/telemetry.js'
import { errorBodySchema } from '../errors.js'
import { idParam } from '../params.js'
import { pathSite, principalOf } from '../auth/access.js'

const CONTENT_TYPE = { csv: 'text/csv; charset=utf-8', parquet: 'application/vnd.apache.parquet' } as const
const dateParam = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD (a Beijing calendar day)')

const querySchema = z.object({
  kind: z.enum(KINDS),
  from: dateParam.describe('first Beijing day, inclusive'),
  to: dateParam.describe('last Beijing day, inclusive'),
  format: z.enum(EXPORT_FORMATS).default('csv'),
  what: z.enum(EXPORT_WHATS).default('readings').describe('readings (raw, as stored), or rollup-1m / rollup-1h (one row per device and minute or hour, per field n, sum, min, max, first, last; dust also over counted flags, and minutes of data per hour)')
})

export default async function exportRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()

  app.get('/sites/:site/export', {
    schema: {
      tags: ['reports'],
      summary: `One site's readings of one kind over Beijing days as CSV or Parquet; at most ${MAX_EXPORT_DAYS} days`,
      params: z.object({ site: idParam }),
      querystring: querySchema,
      produces: [CONTENT_TYPE.csv, CONTENT_TYPE.parquet],
      response: { 200: z.any().describe('the file (CSV with a header row, or Parquet)'), 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema }
    }
  }, async (req, reply) => {
    const site = pathSite(deps.registry, principalOf(req), req.params.site)
    const q = req.query
    const { from, to } = exportDayRange(q.from, q.to)
    const store = deps.telemetry
    if (store.exportReadings === undefined) {
      throw new MinewatchError('MW_BAD_REQUEST', `exports need the embedded DuckDB store; this minewatch stores telemetry in ${store.name} (use its own export, docs/storage.md)`)
    }
    const dir = mkdtempSync(join(tmpdir(), 'minewatch-export-'))
    const file = join(dir, `export.${q.format}`)
    try {
      await store.exportReadings({ site: site.id, kind: q.kind, from, to, format: q.format, what: q.what }, file)
    } catch (err) {
      rmSync(dir, { recursive: true, force: true })
      throw err
    }
    const stream = createReadStream(file)
    stream.once('close', () => rmSync(dir, { recursive: true, force: true }))
    return reply
      .header('content-type', CONTENT_TYPE[q.format])
      .header('content-disposition', `attachment; filename="${site.id}_${q.kind}${q.what === 'readings' ? '' : `_${q.what}`}_${q.from}_${q.to}.${q.format}"`)
      .send(stream)
  })
}
