/**
 * The web console's static files at `/` (index.html) and `/assets/*`, built by
 * console/build.ts into dist/console/ (`npm run build`). Files are read once at start and
 * served from memory, gzipped when the browser accepts it. No CDN: everything the page
 * needs is in these files, and the Content-Security-Policy keeps it so (only tile images,
 * when a tile layer is configured in the console, may come from elsewhere).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json'
}

const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", // ECharts and Leaflet set inline styles
  "img-src 'self' data: blob: http: https:", // optional tile layer (any tile server the operator configures)
  "connect-src 'self'", "font-src 'self' data:", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'self'", "form-action 'self'"
].join('; ')

interface Asset { body: Buffer, gzip: Buffer | null, type: string }

/** Where the built console is: dist/console beside the compiled api/, or under dist/ when running from source. */
export function consoleDir (): string | undefined {
  const candidates = ['../../console/', '../../dist/console/'].map((p) => fileURLToPath(new URL(p, import.meta.url)))
  return candidates.find((d) => existsSync(join(d, 'index.html')))
}

function load (dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>()
  const add = (url: string, file: string) => {
    const body = readFileSync(file)
    const type = TYPES[extname(file)] ?? 'application/octet-stream'
    assets.set(url, { body, type, gzip: body.length > 1024 && !type.startsWith('image/png') ? gzipSync(body) : null })
  }
  add('/', join(dir, 'index.html'))
  const assetDir = join(dir, 'assets')
  if (existsSync(assetDir)) for (const f of readdirSync(assetDir)) add(`/assets/${f}`, join(assetDir, f))
  return assets
}

export default async function consoleRoutes (fastify: FastifyInstance, opts: { dir?: string }): Promise<void> {
  const dir = opts.dir ?? consoleDir()
  const assets = dir && existsSync(join(dir, 'index.html')) ? load(dir) : new Map<string, Asset>()

  const send = (asset: Asset, req: FastifyRequest, reply: FastifyReply, immutable: boolean) => {
    void reply.type(asset.type)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('vary', 'accept-encoding')
    if (asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(asset.gzip)
    return reply.send(asset.body)
  }

  fastify.get('/', { config: { auth: 'open' }, schema: { hide: true } }, async (req, reply) => {
    const index = assets.get('/')
    if (!index) return reply.code(503).type('text/plain; charset=utf-8').send('minewatch console not built: run `npm run build` (console/build.ts writes dist/console/)\n')
    return send(index, req, reply, false)
  })
  fastify.get('/assets/:file', { config: { auth: 'open' }, schema: { hide: true } }, async (req, reply) => {
    const asset = assets.get(`/assets/${(req.params as { file: string }).file}`)
    if (!asset) return reply.callNotFound()
    return send(asset, req, reply, true)
  })
}
