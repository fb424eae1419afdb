/**
 * deploy/: no Docker engine here, so the stack is checked as files: the compose file parses
 * and wires what docs/deploy.md says, the init script is valid bash doing the DBRP mapping and
 * the v1 auth, the Dockerfile builds and runs the command, and minewatch.example.yaml passes
 * the real config schema once its ${VAR}s are set.
 */
import { describe, it, expect } from 'vitest'
import { readFileSync, statSync, existsSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { parseConfig } from '../../../core/config.js'
import { hashSecret } from '../../../core/secrets.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const deploy = (f: string) => join(root, 'deploy', f)
/** YAML text without its comment lines (they quote ${VAR} syntax as examples). */
const code = (text: string) => text.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n')

interface Service { image?: string, build?: { context: string, dockerfile: string }, environment?: Record<string, string>, volumes?: string[], depends_on?: Record<string, { condition: string }> }

describe('deploy/docker-compose.yml', () => {
  const compose = parse(readFileSync(deploy('docker-compose.yml'), 'utf8')) as { services: Record<string, Service>, volumes: Record<string, unknown> }

  it('has influxdb 2.7 set up at first start, with the init scripts mounted', () => {
    const s = compose.services.influxdb!
    expect(s.image).toBe('influxdb:2.7')
    expect(s.environment!.DOCKER_INFLUXDB_INIT_MODE).toBe('setup')
    expect(s.environment!.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN).toContain('INFLUX_TOKEN')
    expect(s.volumes).toContain('./influxdb-init:/docker-entrypoint-initdb.d:ro')
  })

  it('mounts the generated Grafana provisioning and gives the datasource its $__env variables', () => {
    const s = compose.services.grafana!
    expect(s.volumes).toContain('../dashboards/provisioning:/etc/grafana/provisioning:ro')
    expect(existsSync(join(root, 'dashboards', 'provisioning'))).toBe(true)
    const ds = readFileSync(join(root, 'dashboards', 'provisioning', 'datasources', 'minewatch.yaml'), 'utf8')
    for (const v of code(ds).matchAll(/\$__env\{(\w+)\}/g)) expect(Object.keys(s.environment!), v[1]).toContain(v[1])
  })

  it('builds minewatch from deploy/Dockerfile and passes every ${VAR} the example config uses', () => {
    const s = compose.services.minewatch!
    expect(s.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' })
    expect(s.volumes).toContain('./minewatch.example.yaml:/config/minewatch.yaml:ro')
    expect(s.depends_on!.influxdb!.condition).toBe('service_healthy')
    const example = readFileSync(deploy('minewatch.example.yaml'), 'utf8')
    for (const m of code(example).matchAll(/\$\{([A-Za-z_]\w*)(:-[^}]*)?\}/g)) {
      if (m[2] === undefined) expect(Object.keys(s.environment!), m[1]).toContain(m[1])
    }
    for (const name of Object.keys(compose.volumes)) expect(name).toMatch(/^[a-z0-9-]+$/)
  })
})

describe('deploy/influxdb-init/10-minewatch-v1.sh', () => {
  const file = deploy('influxdb-init/10-minewatch-v1.sh')
  const text = readFileSync(file, 'utf8')
  it('is executable, valid bash, and creates the DBRP mapping and a read-only v1 auth', () => {
    expect(statSync(file).mode & 0o111).not.toBe(0)
    execFileSync('bash', ['-n', file])
    expect(text).toMatch(/influx v1 dbrp create[\s\S]*--bucket-id "\$\{DOCKER_INFLUXDB_INIT_BUCKET_ID\}"[\s\S]*--db "\$\{MINEWATCH_INFLUX_DB\}"[\s\S]*--rp autogen[\s\S]*--default/)
    expect(text).toMatch(/influx v1 auth create[\s\S]*--read-bucket/)
    expect(text).not.toMatch(/--write-bucket/)
  })
})

describe('deploy/Dockerfile', () => {
  const text = readFileSync(deploy('Dockerfile'), 'utf8')
  it('builds on node:24 with npm ci and npm run build, installs the npm pack tarball, and runs minewatch up on /config/minewatch.yaml', () => {
    expect(text).toMatch(/^FROM node:24/m)
    expect(text).toContain('RUN npm ci')
    expect(text).toContain('RUN npm run build')
    expect(text).toMatch(/npm pack --ignore-scripts/)
    expect(text).toMatch(/npm install --omit=dev [^\n]*\/tmp\/minewatch\.tgz/)
    expect(text).toContain('CMD ["node", "node_modules/minewatch/dist/bin/minewatch.js", "up", "--config", "/config/minewatch.yaml", "--data-dir", "/data"]')
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>, bin: Record<string, string> }
    expect(pkg.scripts.build).toBeDefined()
    expect(pkg.bin.minewatch).toBe('dist/bin/minewatch.js')
  })
})

describe('deploy/minewatch.example.yaml', () => {
  const text = readFileSync(deploy('minewatch.example.yaml'), 'utf8')
  const env = {
    INFLUX_TOKEN: 'tok-123',
    EXAMPLE_DUST01_SECRET_HASH: hashSecret('dust-secret-1'),
    EXAMPLE_WATER01_SECRET_HASH: hashSecret('water-secret-1'),
    EXAMPLE_API_ADMIN_TOKEN_HASH: hashSecret('admin-token-0123456789')
  }

  it('passes the config schema: store.kind influx, api v2, token from ${INFLUX_TOKEN}', () => {
    expect(text).toContain('token: ${INFLUX_TOKEN}')
    const { config } = parseConfig(text, 'minewatch.example.yaml', env)
    expect(config.store.kind).toBe('influx')
    expect(config.store.influx).toMatchObject({ api: 'v2', url: 'http://influxdb:8086', org: 'mines', bucket: 'telemetry', db: 'minewatch', token: 'tok-123' })
    expect(config.store.spool.onFull).toBe('backpressure')
    expect(config.demo).toBe(false)
  })

  it('says which variable is missing when the environment lacks one', () => {
    expect(() => parseConfig(text, 'minewatch.example.yaml', { ...env, INFLUX_TOKEN: undefined })).toThrow(/INFLUX_TOKEN/)
  })
})
