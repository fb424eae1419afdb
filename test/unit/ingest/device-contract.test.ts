/**
 * docs/device-contract.md and test/fixtures/device-contract/ stay in step: every example in
 * the doc is a fixture file embedded unchanged, and every fixture goes through the real
 * pipeline (demo registry) with the outcome and reject detail the doc shows.
 */
import { describe, it, expect } from 'vitest'
import { readFileSync, readdirSync } from 'node:fs'
import { loadConfig } from '../../../core/config.js'
import { Registry } from '../../../core/registry.js'
import { ManualClock } from '../../../core/clock.js'
import { createMetrics } from '../../../core/metrics.js'
import { silentLogger } from '../../../core/log.js'
import { createIngest } from '../../../ingest/index.js'
import { MemoryTelemetryStore, MemoryRejectStore, T0 } from './helpers.js'

const root = new URL('../../../', import.meta.url)
const fixtureDir = new URL('test/fixtures/device-contract/', root)
const doc = readFileSync(new URL('docs/device-contract.md', root), 'utf8')
const { config } = loadConfig(new URL('config/demo.yaml', root).pathname, {})
const registry = new Registry(config)

interface Case {
  file: string
  topic: string
  expect: { stored: number, values?: Record<string, unknown>[], reason?: string, detail?: string }
}
const cases = JSON.parse(readFileSync(new URL('cases.json', fixtureDir), 'utf8')) as Case[]
const fixtures = readdirSync(fixtureDir).filter((f) => f !== 'cases.json')
const read = (f: string) => readFileSync(new URL(f, fixtureDir), 'utf8').trim()

describe('device contract fixtures through the pipeline (demo registry, server time 2025-03-01T10:30+08:00)', () => {
  it.each(cases.map((c) => [`${c.file} → ${c.topic}`, c] as const))('%s', async (_n, c) => {
    const store = new MemoryTelemetryStore()
    const rejects = new MemoryRejectStore()
    const ingest = createIngest({ registry, store, rejects, config: config.ingest, metrics: createMetrics(), logger: silentLogger(), clock: new ManualClock(T0) })
    const out = await ingest.handle({ topic: c.topic, payload: readFileSync(new URL(c.file, fixtureDir)), deviceId: null, receivedAt: T0 })
    expect(out.stored).toBe(c.expect.stored)
    expect(store.readings).toHaveLength(c.expect.stored)
    if (c.expect.values) expect(store.readings.map((r) => r.values)).toEqual(c.expect.values)
    if (c.expect.reason) {
      expect(rejects.rows.map((r) => r.reason)).toEqual([c.expect.reason])
      expect(rejects.rows[0]!.detail.startsWith(c.expect.detail!), rejects.rows[0]!.detail).toBe(true)
      // the doc quotes this very detail
      expect(doc).toContain(`\`${rejects.rows[0]!.detail}\``)
    } else {
      expect(rejects.rows).toEqual([])
    }
  })

  it('every fixture is used by a case', () => {
    for (const f of fixtures) expect(cases.some((c) => c.file === f), f).toBe(true)
  })
})

describe('docs/device-contract.md', () => {
  it('embeds every JSON fixture unchanged, after a marker naming it', () => {
    for (const f of fixtures.filter((x) => x.endsWith('.json'))) {
      expect(doc, f).toContain(`<!-- fixture: ${f} -->\n\`\`\`json\n${read(f)}\n\`\`\``)
    }
  })

  it('has no JSON example that is not a fixture', () => {
    const blocks = [...doc.matchAll(/(?:<!-- fixture: ([^ ]+) -->\n)?```json\n/g)]
    expect(blocks.length).toBeGreaterThan(0)
    for (const b of blocks) expect(b[1], `unmarked json block at offset ${b.index}`).toBeDefined()
  })

  it('shows the non-JSON fixture unchanged', () => {
    expect(doc).toContain(read('reject-not-json.txt'))
  })

  it('names every reject reason', async () => {
    const { REJECT_REASONS } = await import('../../../core/rejects.js')
    for (const r of REJECT_REASONS) expect(doc, r).toContain(`| \`${r}\` |`)
  })
})
