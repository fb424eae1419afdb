/**
 * Outages against a real InfluxDB 1.6.7: readings flow through SpooledStore(InfluxTelemetryStore)
 * while influxd is killed and restarted, and while the writing PROCESS is SIGKILLed with
 * data in the spool. Afterwards InfluxDB holds every reading that write() promised, once.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startInfluxDB, type InfluxDBHandle } from '../helpers/influxdb.js'
import { tempDir, waitFor } from '../helpers/ports.js'
import { InfluxTelemetryStore } from '../../store/influx/index.js'
import { SpooledStore } from '../../store/spool/index.js'
import { spoolSchema } from '../../core/config.js'
import type { Reading } from '../../core/readings.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const CHILD = join(root, 'test', 'unit', 'store-influx', 'spool-writer.child.ts')
const T0 = Date.parse('2025-03-01T00:00:00Z')

let influx: InfluxDBHandle
const dirs: { path: string, remove: () => void }[] = []

beforeAll(async () => { influx = await startInfluxDB() })
afterAll(async () => {
  await influx?.stop()
  for (const d of dirs) d.remove()
})

function spoolDir (): string {
  const d = tempDir('mw-outage-')
  dirs.push(d)
  return join(d.path, 'spool')
}

/** seq values stored under site 'outage' of a database, sorted. */
async function storedSeqs (store: InfluxTelemetryStore): Promise<number[]> {
  const keys = await store.recentKeys(T0)
  return keys.map((k) => k.seq!).sort((a, b) => a - b)
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i)

describe('InfluxDB outage while readings flow', () => {
  it('loses nothing and duplicates nothing when influxd is killed and restarted', async () => {
    const db = 'outage_live'
    const inner = new InfluxTelemetryStore({ config: { url: influx.url, api: 'v1', db, timeoutMs: 2_000 } })
    const store = new SpooledStore({ inner, dir: spoolDir(), config: spoolSchema.parse({}), retryInitialMs: 50, retryMaxMs: 200 })
    await store.init()

    let seq = 0
    let maxSpooled = 0
    const writes: Promise<void>[] = []
    const tick = async () => {
      const batch: Reading[] = []
      for (let i = 0; i < 50; i++, seq++) batch.push({ site: 'outage', device: `d${seq % 5}`, kind: 'dust', ts: T0 + seq, seq, values: { tsp: 0.5, flag: 'N' } })
      writes.push(store.write(batch))
      maxSpooled = Math.max(maxSpooled, (await store.health()).spooledReadings ?? 0)
    }
    const flow = async (ms: number) => {
      const end = Date.now() + ms
      while (Date.now() < end) { await tick(); await new Promise((r) => setTimeout(r, 10)) }
    }

    await flow(400)
    await influx.kill() // SIGKILL: no clean shutdown of influxd
    await flow(800)
    await influx.restart()
    await flow(400)
    await Promise.all(writes)
    await waitFor(async () => (await store.health()).spooledReadings === 0, 30_000, 'spool to drain')

    expect(maxSpooled).toBeGreaterThan(0) // the outage really went through the spool
    expect(await store.count({ site: 'outage' })).toBe(seq)
    expect(await storedSeqs(inner)).toEqual(range(0, seq))
    await store.close()
  })
})

/** A child process writing through the spool; collects its stdout lines. */
function startWriter (args: string[]): { proc: ChildProcess, lines: string[], exited: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  let buf = ''
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString()
    const parts = buf.split('\n')
    buf = parts.pop()!
    lines.push(...parts)
  })
  let err = ''
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString() })
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`spool writer exited ${code}: ${err}\n`)
    resolve(code)
  }))
  return { proc, lines, exited }
}

const lastDurable = (lines: string[]) => Math.max(0, ...lines.filter((l) => l.startsWith('durable ')).map((l) => Number(l.slice(8))))

describe('writer process SIGKILLed while the spool holds data', () => {
  it('a new process on the same spool dir delivers everything that was promised, once', async () => {
    const db = 'outage_kill'
    const dir = spoolDir()
    await influx.pause()
    try {
      // 1. InfluxDB down: 40 batches of 100 go to the spool, then the process is killed.
      const a = startWriter([influx.url, db, dir, '0', '40', '100'])
      await waitFor(() => a.lines.includes('done'), 60_000, 'writer A to spool 40 batches')
      a.proc.kill('SIGKILL')
      await a.exited
    } finally {
      await influx.restart()
    }
    // 2. InfluxDB back: a new process resumes the spool, drains it, writes 10 more batches.
    const b = startWriter([influx.url, db, dir, '4000', '10', '100', 'drain'])
    expect(await b.exited).toBe(0)
    expect(b.lines).toContain('drained')
    const check = new InfluxTelemetryStore({ config: { url: influx.url, api: 'v1', db, timeoutMs: 5_000 } })
    expect(await check.count({ site: 'outage' })).toBe(5000)
    expect(await storedSeqs(check)).toEqual(range(0, 5000))
    await check.close()
  })

  it('killed mid-stream: what was promised is delivered, and what landed is a whole-batch prefix', async () => {
    const db = 'outage_midstream'
    const dir = spoolDir()
    await influx.pause()
    let promised = 0
    try {
      const a = startWriter([influx.url, db, dir, '0', '100000', '50'])
      await waitFor(() => lastDurable(a.lines) >= 2_000, 60_000, 'writer A to spool 2,000 readings')
      a.proc.kill('SIGKILL') // somewhere in the middle of an append, or between two
      await a.exited
      promised = lastDurable(a.lines)
    } finally {
      await influx.restart()
    }
    const b = startWriter([influx.url, db, dir, '10000000', '0', '50', 'drain'])
    expect(await b.exited).toBe(0)
    const check = new InfluxTelemetryStore({ config: { url: influx.url, api: 'v1', db, timeoutMs: 5_000 } })
    const seqs = await storedSeqs(check)
    await check.close()
    expect(seqs.length).toBeGreaterThanOrEqual(promised)
    expect(seqs.length % 50).toBe(0) // batches are appended whole or not at all
    expect(seqs).toEqual(range(0, seqs.length)) // in order, no gap, no duplicate
  })
})
