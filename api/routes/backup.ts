/**
 * POST /ops/backup {dir}: a consistent backup of the running minewatch's embedded stores into a new
 * or empty dir on this host (lifecycle/backup.ts, docs/storage.md *Backups*); admin only. Called by
 * `minewatch backup DIR`. Ingest keeps flowing while it runs.
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { MinewatchError } from '../../core/errors.js'
import { errorBodySchema } from '../errors.js'
import { principalOf } from '../auth/access.js'
import type { BackupManifest } from '../../lifecycle/backup.js'

/** What the route needs from the running process (bin/up.ts). */
export type BackupControl = (dir: string) => Promise<BackupManifest>

const fileSchema = z.object({
  bytes: z.number(),
  sha256: z.string(),
  schemaVersion: z.number().optional(),
  rows: z.record(z.string(), z.number()).optional()
})
const manifestSchema = z.object({
  format: z.number(),
  minewatch: z.string(),
  startedAt: z.number(),
  finishedAt: z.number(),
  telemetryStore: z.string(),
  files: z.record(z.string(), fileSchema)
}).meta({ id: 'BackupManifest' })

export default async function backupRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()

  app.post('/ops/backup', {
    schema: {
      tags: ['operations'],
      summary: 'Back up the embedded stores, consistent as of one instant, into a new or empty dir on the server (admin)',
      body: z.object({ dir: z.string().min(1).describe('absolute path on the minewatch host; created; must be absent or empty') }),
      response: { 200: manifestSchema, 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema }
    }
  }, async (req) => {
    const p = principalOf(req)
    if (p.role !== 'admin') throw new MinewatchError('MW_FORBIDDEN', `token '${p.name}' (${p.role}) may not take backups: admin only`)
    if (!deps.backup) throw new MinewatchError('MW_NOT_FOUND', 'this instance has no embedded stores to back up')
    const manifest = await deps.backup(req.body.dir)
    req.log.info({ by: p.name, dir: req.body.dir, files: Object.keys(manifest.files) }, 'backup taken')
    return manifest
  })
}
