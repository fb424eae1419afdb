/**
 * The uplink's config block and its queue bound: errors with file:line, and both onFull policies
 * with the upstream unreachable (a closed port): counted, shown in status and /readyz checks.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { join } from 'node:path'
import { createMetrics } from '../../../core/metrics.js'
import { silentLogger } from '../../../core/log.js'
import { parseConfig, type Config } from '../../../core/config.js'
import { oneSiteYaml } from '../../helpers/site-yaml.js'
import { freePort, tempDir } from '../../helpers/ports.js'
import { Uplink, createUplinkMetrics } from '../../../uplink/index.js'
import type { AlertStore } from '../../../store/state.js'
import type { Reading } from '../../../core/readings.js'

const dirs: Array<{ remove: () => void }> = []
afterAll(() => { for (const d of dirs) d.remove() })

const target = (port: number, onFull: string) => `
uplink:
  targets:
    - name: up
      url: mqtt://127.0.0.1:${port}
      site: s1
      username: site-s1
      passwordEnv: UPLINK_PW
      reconnectMs: 60000
      queue: { maxBytes: 4000, onFull: ${onFull}, segmentBytes: 600 }
`

describe('uplink config', () => {
  it('reports every problem with file:line', () => {
    const yaml = oneSiteYaml('    devices: []', `
accounts:
  - { username: up1, role: site-uplink, sites: [ s1, s2 ], password: 'demo-pw-123' }
uplink:
  targets:
    - { name: a, url: 'http://x', site: s9, username: u, passwordEnv: 'not a var' }
    - { name: a, url: 'mqtt://h:1', site: s1, username: u, passwordEnv: P, tls: { caFile: ca.pem } }
`)
    let details: string[] = []
    try { parseConfig(yaml, 'c.yaml', {}) } catch (err) { details = (err as { details: string[] }).details }
    const text = details.join('\n')
    expect(text).toMatch(/c\.yaml:\d+: accounts\[0\]\.sites: a site-uplink account has exactly one site/)
    expect(text).toMatch(/c\.yaml:\d+: uplink\.targets\[0\]\.url: an uplink url is mqtt:\/\/host:port/)
    expect(text).toMatch(/c\.yaml:\d+: uplink\.targets\[0\]\.passwordEnv: an environment variable name/)
    expect(text).toMatch(/c\.yaml:\d+: uplink\.targets\[1\]\.tls: tls needs an mqtts:\/\/ url/)
    expect(text).toMatch(/c\.yaml:\d+: uplink\.targets\[0\]\.site: unknown site 's9'/)
    expect(text).toMatch(/c\.yaml:\d+: uplink\.targets\[1\]\.name: duplicate uplink target 'a'/)
  })
})

describe('uplink queue bound (upstream unreachable)', () => {
  const readings = (n: number, from: number): Reading[] => Array.from({ length: n }, (_, i) => ({ site: 's1', device: 'd1', kind: 'dust', ts: from + i, values: { tsp: 0.2, flag: 'N' } }))
  async function uplink (onFull: string): Promise<Uplink> {
    const dir = tempDir('minewatch-uplink-bound-')
    dirs.push(dir)
    const config = parseConfig(oneSiteYaml('    devices: []', target(await freePort(), onFull)), 'c.yaml', {}).config as Config
    const u = new Uplink({
      config: config.uplink, sites: config.sites, telemetry: { series: async () => [] }, dataDir: join(dir.path, 'data'), alertStore: {} as AlertStore, ack: async () => undefined, comment: async () => undefined, close: async () => undefined, dailyReport: async () => undefined, maxLateMs: 7 * 86_400_000, env: { UPLINK_PW: 'pw-123456' },
      clock: { now: () => Date.now() }, logger: silentLogger(), metrics: createUplinkMetrics(createMetrics().registry)
    })
    u.start()
    return u
  }

  it('drop-oldest: keeps the queue under its bound, counts what it dropped, is not ready while full', async () => {
    const u = await uplink('drop-oldest')
    for (let i = 0; i < 40; i++) u.readingsStored(readings(5, i * 5))
    const s = u.status().targets[0]!
    expect(s.backlogBytes).toBeLessThanOrEqual(4000)
    expect(s.droppedItems).toBeGreaterThan(0)
    expect(s.backlogItems + s.droppedItems).toBe(200)
    expect(s.connected).toBe(false)
    expect(u.health()['uplink:up']).toMatchObject({ ok: false })
    expect(u.health()['uplink:up']!.detail).toContain(`${s.droppedItems} dropped`)
    await u.close()
  })

  it('refuse-new: queues nothing past the bound and counts the refused items', async () => {
    const u = await uplink('refuse-new')
    for (let i = 0; i < 40; i++) u.readingsStored(readings(5, i * 5))
    const s = u.status().targets[0]!
    expect(s.backlogBytes).toBeLessThanOrEqual(4000)
    expect(s.refusedItems).toBeGreaterThan(0)
    expect(s.droppedItems).toBe(0)
    expect(s.backlogItems + s.refusedItems).toBe(200)
    await u.close()
  })

  it('a missing password variable stops the start with a clear error', async () => {
    const config = parseConfig(oneSiteYaml('    devices: []', target(1, 'drop-oldest')), 'c.yaml', {}).config
    const dir = tempDir('minewatch-uplink-env-')
    dirs.push(dir)
    expect(() => new Uplink({ config: config.uplink, sites: config.sites, telemetry: { series: async () => [] }, dataDir: dir.path, alertStore: {} as AlertStore, ack: async () => undefined, comment: async () => undefined, close: async () => undefined, dailyReport: async () => undefined, maxLateMs: 7 * 86_400_000, env: {}, clock: { now: () => 0 }, logger: silentLogger(), metrics: createUplinkMetrics(createMetrics().registry) }))
      .toThrow("uplink target 'up': environment variable UPLINK_PW (its password) is not set")
  })
})
