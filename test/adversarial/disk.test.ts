/**
 * Finding 9 (free disk): `minewatch_disk_free_bytes`, `/readyz` 503 below the free-space floor,
 * and a full filesystem for real (a small tmpfs): readings are never acknowledged and lost. While
 * the disk is full, or below `store.diskFreeFloorBytes`, a QoS 1 publish gets no PUBACK (the device
 * keeps it and sends it again), the process stays up and serves /healthz; once space returns the
 * same reading is taken and stored. Mounting a tmpfs needs root (CI runs as root); without it the
 * tmpfs tests are skipped with the reason printed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, openSync, writeSync, closeSync, rmSync, statfsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestMinewatch, DEMO_TEXT, api } from '../helpers/minewatch.js'
import { waitFor } from '../helpers/ports.js'
import { parseConfig } from '../../core/config.js'
import { mqttLogin } from './helpers.js'

const ZJ = 'zj-huzhou-quarry'
const config = (floor: number) => parseConfig(`${DEMO_TEXT}\nstore:\n  diskFreeFloorBytes: ${floor}\n`, 'demo+disk', {})

/** Publishes one reading QoS 1 as ZJ-DUST01 on a fresh connection: 'puback', or 'closed' when refused without one. */
async function publishOnce (port: number, ts: number): Promise<'puback' | 'closed'> {
  const { code, conn } = await mqttLogin(port, 'ZJ-DUST01', 'demo-ZJ-DUST01-pw', { clientId: 'ZJ-DUST01', keep: true })
  expect(code).toBe(0)
  conn.send({ cmd: 'publish', topic: `mines/${ZJ}/dust/ZJ-DUST01`, payload: Buffer.from(JSON.stringify({ ts, seq: ts % 100000, tsp: 0.25 })), qos: 1, messageId: 1, retain: false, dup: false })
  const p = await conn.next()
  conn.end()
  return p?.cmd === 'puback' ? 'puback' : 'closed'
}

async function stored (mw: Awaited<ReturnType<typeof startTestMinewatch>>, ts: number): Promise<boolean> {
  return (await mw.telemetry.count({ site: ZJ, kind: 'dust', device: 'ZJ-DUST01', from: ts, to: ts + 1 })) === 1
}

async function readiness (mw: Awaited<ReturnType<typeof startTestMinewatch>>): Promise<{ status: number, disk?: { ok: boolean, detail?: string } }> {
  const res = await api(mw, '/readyz')
  const body = await res.json() as { checks: Record<string, { ok: boolean, detail?: string }> }
  return { status: res.status, disk: body.checks.disk }
}

describe('free-space floor above the real free space', () => {
  let mw: Awaited<ReturnType<typeof startTestMinewatch>>
  beforeAll(async () => { mw = await startTestMinewatch({ config: config(Number.MAX_SAFE_INTEGER) }) })
  afterAll(async () => { await mw?.cleanup() })

  it('/readyz is 503 naming the disk, the metric reports free bytes, a reading gets no PUBACK and the process stays up', async () => {
    const r = await readiness(mw)
    expect(r.status).toBe(503)
    expect(r.disk?.ok).toBe(false)
    expect(r.disk?.detail).toMatch(/below the floor .*store\.diskFreeFloorBytes/)
    const free = statfsSync(mw.dataDir)
    const metric = (await mw.metrics.diskFree.get()).values.find((v) => v.labels.dir === 'data')
    expect(metric?.value).toBeGreaterThan(0)
    expect(Math.abs(metric!.value - Number(free.bavail) * Number(free.bsize))).toBeLessThan(512 * 1024 ** 2) // the same filesystem, give or take other writers
    const ts = Date.now()
    expect(await publishOnce(mw.mqttPort, ts)).toBe('closed')
    expect(await stored(mw, ts)).toBe(false)
    expect((await api(mw, '/healthz')).status).toBe(200)
  })
})

/** A tmpfs of `mb` MiB mounted on a fresh temp dir, or the reason it cannot be. */
function mountTmpfs (mb: number): { dir: string, unmount(): void } | string {
  const dir = mkdtempSync(join(tmpdir(), 'minewatch-tmpfs-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    return `cannot mount a tmpfs (${(err as Error).message.split('\n')[0]}); run the tests as root to cover a real ENOSPC`
  }
  return { dir, unmount () { try { execFileSync('umount', ['-l', dir]) } catch { /* already gone */ } rmSync(dir, { recursive: true, force: true }) } }
}

/** Writes a filler file until the filesystem is full, or only `leaveBytes` are left; returns its path. */
function fill (dir: string, leaveBytes = 0): string {
  const path = join(dir, 'filler')
  const fd = openSync(path, 'w')
  const chunk = Buffer.alloc(64 * 1024, 1)
  try {
    while (true) {
      const s = statfsSync(dir)
      const free = Number(s.bavail) * Number(s.bsize)
      if (free <= leaveBytes) break
      writeSync(fd, chunk, 0, Math.min(chunk.length, Math.max(4096, free - leaveBytes)))
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
  } finally {
    closeSync(fd)
  }
  return path
}

const tmpfs = mountTmpfs(96)
if (typeof tmpfs === 'string') console.warn(`SKIPPED test/adversarial/disk.test.ts real-ENOSPC cases: ${tmpfs}`)

describe.skipIf(typeof tmpfs === 'string')('a full filesystem (tmpfs)', () => {
  const mount = tmpfs as Exclude<typeof tmpfs, string>
  afterAll(() => { mount.unmount() })

  it('ENOSPC with the floor off: no PUBACK, no crash; once space returns the same reading is stored', async () => {
    const dataDir = join(mount.dir, 'enospc')
    const mw = await startTestMinewatch({ config: config(0), dataDir })
    try {
      const before = Date.now() - 1000
      expect(await publishOnce(mw.mqttPort, before)).toBe('puback')
      const filler = fill(mount.dir)
      const ts = Date.now()
      let outcome: 'puback' | 'closed' = 'puback'
      for (let i = 0; i < 20 && outcome === 'puback'; i++) outcome = await publishOnce(mw.mqttPort, ts + i) // small writes may still fit in allocated blocks
      expect(outcome).toBe('closed')
      expect((await api(mw, '/healthz')).status).toBe(200)
      rmSync(filler)
      await waitFor(async () => (await publishOnce(mw.mqttPort, ts + 100)) === 'puback', 30_000, 'a PUBACK once space is back')
      expect(await stored(mw, before)).toBe(true)
      expect(await stored(mw, ts + 100)).toBe(true)
    } finally {
      await mw.cleanup()
    }
  })

  it('the floor refuses before the disk is full and lets readings in again when space returns', async () => {
    const dataDir = join(mount.dir, 'floor')
    const floor = 16 * 1024 ** 2
    const mw = await startTestMinewatch({ config: config(floor), dataDir })
    try {
      expect((await readiness(mw)).status).toBe(200)
      const filler = fill(mount.dir, floor / 2)
      await waitFor(async () => (await readiness(mw)).status === 503, 15_000, '/readyz to see the disk below the floor')
      const ts = Date.now()
      expect(await publishOnce(mw.mqttPort, ts)).toBe('closed')
      expect(await stored(mw, ts)).toBe(false)
      rmSync(filler)
      await waitFor(async () => (await readiness(mw)).status === 200, 15_000, '/readyz ready again')
      expect(await publishOnce(mw.mqttPort, ts)).toBe('puback')
      expect(await stored(mw, ts)).toBe(true)
    } finally {
      await mw.cleanup()
    }
  })
})
