/**
 * SpooledStore around an in-process TelemetryStore whose availability the test
 * switches (InfluxDB itself is exercised in test/integration/influx-outage.test.ts).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { join } from 'node:path'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { SpooledStore } from '../../../store/spool/index.js'
import { spoolSchema } from '../../../core/config.js'
import { MinewatchError } from '../../../core/errors.js'
import { createMetrics } from '../../../core/metrics.js'
import type { Reading } from '../../../core/readings.js'
import type { StoreHealth, TelemetryStore } from '../../../store/telemetry.js'
import { tempDir, waitFor } from '../../helpers/ports.js'

/** An in-memory store that can be down, refuse given readings as malformed, or be closed. */
class SwitchableStore implements TelemetryStore {
  readonly name = 'switchable'
  readonly stored: Reading[] = []
  readonly writeSizes: number[] = []
  down = false
  initCalls = 0
  retryAfterMs: number | undefined
  bad: (r: Reading) => boolean = () => false
  fatal = false

  async init (): Promise<void> {
    this.initCalls++
    if (this.down) throw new MinewatchError('MW_STORE_UNAVAILABLE', 'switched off')
  }

  async write (batch: readonly Reading[]): Promise<void> {
    await new Promise((r) => setImmediate(r))
    if (this.fatal) throw new MinewatchError('MW_STORE_CLOSED', 'inner closed')
    if (this.down) throw new MinewatchError('MW_STORE_UNAVAILABLE', 'switched off', { retryAfterMs: this.retryAfterMs })
    const badOne = batch.find(this.bad)
    if (badOne) throw new MinewatchError('MW_STORE_REJECTED', `bad reading seq ${badOne.seq}`)
    this.writeSizes.push(batch.length)
    this.stored.push(...batch)
  }

  async latest () { return [] }
  async series () { return [] }
  async count () { return this.stored.length }
  async recentKeys () { return [] }
  async keysBetween () { return [] }
  async writeAlertEvents () {}
  async writeDayFacts () {}
  async dayFacts () { return [] }
  async health (): Promise<StoreHealth> { return { ok: !this.down, detail: this.down ? 'down' : 'up' } }
  async close () {}
}

const dirs: { remove: () => void }[] = []
afterEach(() => { for (const d of dirs.splice(0)) d.remove() })

let seq = 0
const batch = (n: number): Reading[] => Array.from({ length: n }, () => {
  const s = seq++
  return { site: 's', device: 'd', kind: 'dust', ts: 1_700_000_000_000 + s, seq: s, values: { tsp: 0.1, flag: 'N' } }
})

function setup (config: Partial<ReturnType<typeof spoolSchema.parse>> = {}, extra: { dir?: string, inner?: SwitchableStore, replayMaxReadings?: number, diskRoom?: () => number | undefined } = {}) {
  let dir = extra.dir
  if (dir === undefined) {
    const d = tempDir('mw-spooled-')
    dirs.push(d)
    dir = join(d.path, 'spool')
  }
  const inner = extra.inner ?? new SwitchableStore()
  const metrics = createMetrics()
  const rejected: { readings: Reading[], detail: string }[] = []
  const store = new SpooledStore({
    inner, dir, config: spoolSchema.parse(config), metrics, retryInitialMs: 5, retryMaxMs: 20,
    replayMaxReadings: extra.replayMaxReadings, diskRoom: extra.diskRoom,
    onRejected: (readings, detail) => { rejected.push({ readings, detail }) }
  })
  return { store, inner, metrics, rejected, dir }
}

const seqs = (rs: Reading[]) => rs.map((r) => r.seq)
const ascending = (rs: Reading[]) => seqs(rs).every((s, i, a) => i === 0 || s! > a[i - 1]!)
const gauge = async (g: { get: () => Promise<{ values: { value: number }[] }> }) => (await g.get()).values[0]?.value ?? 0

describe('SpooledStore', () => {
  it('writes straight through while the inner store answers', async () => {
    const { store, inner } = setup()
    await store.init()
    await store.write(batch(10))
    expect(inner.stored).toHaveLength(10)
    expect(await store.health()).toMatchObject({ ok: true, spooledReadings: 0, spoolBytes: 0 })
    await store.close()
  })

  it('spools during an outage and replays everything in order, several batches per write', async () => {
    const { store, inner, metrics } = setup()
    await store.init()
    await store.write(batch(5))
    inner.down = true
    for (let i = 0; i < 20; i++) await store.write(batch(10))
    const h = await store.health()
    expect(h).toMatchObject({ ok: true, spooledReadings: 200 })
    expect(h.spoolBytes).toBeGreaterThan(0)
    expect(h.detail).toContain('DOWN')
    expect(await gauge(metrics.spoolBatches)).toBe(20)
    inner.down = false
    await waitFor(async () => (await store.health()).spooledReadings === 0, 5_000, 'spool to drain')
    expect(inner.stored).toHaveLength(205)
    expect(ascending(inner.stored)).toBe(true)
    // replay joined spooled batches (up to replayMaxReadings) instead of one write per batch
    expect(inner.writeSizes.some((n) => n > 10)).toBe(true)
    expect(await gauge(metrics.spoolBytes)).toBe(0)
    await store.close()
  })

  it('keeps the order: while the spool holds batches, new ones go behind them even if the store is back', async () => {
    const { store, inner } = setup({}, { replayMaxReadings: 10 })
    await store.init()
    inner.down = true
    for (let i = 0; i < 10; i++) await store.write(batch(10))
    inner.down = false
    const writes = []
    for (let i = 0; i < 30; i++) writes.push(store.write(batch(3)))
    await Promise.all(writes)
    await waitFor(async () => (await store.health()).spooledReadings === 0, 5_000, 'spool to drain')
    expect(inner.stored).toHaveLength(190)
    expect(ascending(inner.stored)).toBe(true)
    await store.close()
  })

  it('bisects a refused batch: bad readings to onRejected, the rest written', async () => {
    const { store, inner, rejected, metrics } = setup()
    await store.init()
    const b = batch(100)
    const badSeqs = new Set([b[3]!.seq, b[57]!.seq, b[58]!.seq])
    inner.bad = (r) => badSeqs.has(r.seq)
    await store.write(b)
    expect(inner.stored).toHaveLength(97)
    expect(rejected.flatMap((r) => seqs(r.readings)).sort()).toEqual([...badSeqs].sort())
    expect(rejected[0]!.detail).toContain('bad reading')
    expect((await metrics.rejects.get()).values.find((v) => v.labels.reason === 'store_rejected')?.value).toBe(3)
    expect(ascending(inner.stored)).toBe(true)
    await store.close()
  })

  it('bisects refused data found during replay too', async () => {
    const { store, inner, rejected } = setup()
    await store.init()
    inner.down = true
    const b1 = batch(10)
    const b2 = batch(10)
    await store.write(b1)
    await store.write(b2)
    inner.bad = (r) => r.seq === b2[4]!.seq
    inner.down = false
    await waitFor(async () => (await store.health()).spooledReadings === 0, 5_000, 'spool to drain')
    expect(inner.stored).toHaveLength(19)
    expect(rejected.map((r) => r.readings[0]!.seq)).toEqual([b2[4]!.seq])
    await store.close()
  })

  it("backpressure: at maxBytes write() rejects with MW_SPOOL_FULL (retryable) and health is not ok; accepts again after replay", async () => {
    const { store, inner } = setup({ maxBytes: 4096, onFull: 'backpressure' })
    await store.init()
    inner.down = true
    let accepted = 0
    let full: unknown
    for (let i = 0; i < 100 && full === undefined; i++) {
      try { await store.write(batch(5)); accepted += 5 } catch (err) { full = err }
    }
    expect(full).toMatchObject({ code: 'MW_SPOOL_FULL' })
    expect((full as MinewatchError).canRetry()).toBe(true)
    expect((full as MinewatchError).retryAfterMs).toBeGreaterThan(0)
    const h = await store.health()
    expect(h.ok).toBe(false)
    expect(h.spooledReadings).toBe(accepted)
    expect(h.spoolBytes).toBeLessThanOrEqual(4096)
    inner.down = false
    await waitFor(async () => (await store.health()).spooledReadings === 0, 5_000, 'spool to drain')
    await store.write(batch(5))
    expect(inner.stored).toHaveLength(accepted + 5)
    await store.close()
  })

  it('the bound counts free disk space: with little room above the floor the spool refuses (backpressure) or drops (drop-oldest) before maxBytes', async () => {
    // a disk of `capacity` bytes above the floor, holding only the spool's files
    let capacity = 3000
    const used = (dir: string) => (existsSync(dir) ? readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0) : 0)
    const dirOf: { dir?: string } = {}
    const { store, inner, dir } = setup({ maxBytes: 1024 ** 3, onFull: 'backpressure' }, { diskRoom: () => capacity - used(dirOf.dir!) })
    dirOf.dir = dir
    await store.init()
    inner.down = true
    let full: unknown
    for (let i = 0; i < 100 && full === undefined; i++) {
      try { await store.write(batch(5)) } catch (err) { full = err }
    }
    expect(full).toMatchObject({ code: 'MW_SPOOL_FULL', message: expect.stringContaining('free space of its disk above store.diskFreeFloorBytes') })
    expect((await store.health()).spoolBytes).toBeLessThanOrEqual(3000)
    capacity = 1024 ** 2 // space came back: accepted again
    await store.write(batch(5))
    await store.close()

    const d = setup({ maxBytes: 1024 ** 3, onFull: 'drop-oldest', segmentBytes: 600 }, { diskRoom: () => 2000 - used(dirOf.dir!) })
    dirOf.dir = d.dir
    await d.store.init()
    d.inner.down = true
    for (let i = 0; i < 30; i++) await d.store.write(batch(5))
    // what is left is the room plus the batches being replayed (never dropped): far from the 150 written
    expect((await d.store.health()).spooledReadings).toBeLessThan(150 / 2)
    expect(await gauge(d.metrics.spoolDropped)).toBeGreaterThan(0)
    await d.store.close()
  })

  it('backpressure: a batch larger than maxBytes is refused with a clear reason', async () => {
    const { store, inner } = setup({ maxBytes: 1000, onFull: 'backpressure' })
    await store.init()
    inner.down = true
    await expect(store.write(batch(100))).rejects.toMatchObject({ code: 'MW_SPOOL_FULL', message: expect.stringContaining('larger than spool.maxBytes') })
    await store.close()
  })

  it('drop-oldest: at maxBytes the oldest segment goes (counted), intake never blocks', async () => {
    const { store, inner, metrics } = setup({ maxBytes: 8192, segmentBytes: 2048, onFull: 'drop-oldest' })
    await store.init()
    inner.down = true
    const written: Reading[] = []
    for (let i = 0; i < 60; i++) { const b = batch(5); written.push(...b); await store.write(b) }
    const h = await store.health()
    expect(h.ok).toBe(true)
    expect(h.spoolBytes).toBeLessThanOrEqual(8192)
    const dropped = (await metrics.spoolDropped.get()).values[0]?.value ?? 0
    expect(dropped).toBeGreaterThan(0)
    expect(dropped + h.spooledReadings!).toBe(written.length)
    inner.down = false
    await waitFor(async () => (await store.health()).spooledReadings === 0, 5_000, 'spool to drain')
    // what survived is the newest part, in order
    expect(inner.stored).toHaveLength(written.length - dropped)
    expect(seqs(inner.stored)).toEqual(seqs(written.slice(dropped)))
    await store.close()
  })

  it('resumes a spool left by a previous process', async () => {
    const first = setup()
    await first.store.init()
    first.inner.down = true
    await first.store.write(batch(7))
    await first.store.write(batch(8))
    await first.store.close()

    const inner = new SwitchableStore()
    const second = setup({}, { dir: first.dir, inner })
    await second.store.init()
    await waitFor(() => inner.stored.length === 15, 5_000, 'resumed replay')
    expect(ascending(inner.stored)).toBe(true)
    expect((await second.store.health()).spooledReadings).toBe(0)
    await second.store.close()
  })

  it('starts with the inner store down and initialises it when it comes back', async () => {
    const inner = new SwitchableStore()
    inner.down = true
    const { store } = setup({}, { inner })
    await store.init()
    await store.write(batch(4))
    expect(inner.stored).toHaveLength(0)
    inner.down = false
    await waitFor(() => inner.stored.length === 4, 5_000, 'replay after the store came back')
    expect(inner.initCalls).toBeGreaterThanOrEqual(2)
    await store.close()
  })

  it('does not spool what retrying cannot help (a non-retryable error other than rejected data)', async () => {
    const { store, inner } = setup()
    await store.init()
    inner.fatal = true
    await expect(store.write(batch(3))).rejects.toMatchObject({ code: 'MW_STORE_CLOSED' })
    expect((await store.health()).spooledReadings).toBe(0)
    await store.close()
  })

  it('close() keeps what is spooled; later writes reject with MW_STORE_CLOSED', async () => {
    const { store, inner } = setup()
    await store.init()
    inner.down = true
    const pending = store.write(batch(3))
    const closing = store.close()
    await pending // called before close(): still routed (spooled)
    await closing
    await store.close()
    await expect(store.write(batch(1))).rejects.toMatchObject({ code: 'MW_STORE_CLOSED' })
  })
})
