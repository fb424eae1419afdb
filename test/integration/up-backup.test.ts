/**
 * Issue 19 point 3 through `minewatch up` and the CLI: `minewatch backup DIR` while a device keeps
 * publishing, `minewatch restore DIR` into a new data dir, and a minewatch started on it shows the
 * daily report, the alerts with their history, the audit log and the reading counts of the backup
 * instant (every reading acknowledged before the backup started is in it). Restores of a non-empty
 * dir, a partial, a corrupt and a newer backup are refused with nothing written.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { startTestMinewatch, demoConfig, api, publishReadings, connectDevice } from '../helpers/minewatch.js'
import { freePort, tempDir, waitFor } from '../helpers/ports.js'
import { beijingDate, beijingDayStart } from '../../core/time.js'
import { ManualClock } from '../../core/clock.js'
import { MEASUREMENT } from '../../core/kinds.js'
import type { BackupManifest } from '../../lifecycle/backup.js'
import { currentVersion } from '../../store/duckdb/schema-meta.js'
import { TELEMETRY_SCHEMA } from '../../store/duckdb/schema.js'

const SITE = 'zj-huzhou-quarry'
const T0 = Date.now()
const DAY = 86_400_000
/** Stands still 4 h after the readings start: both minewatch runs compute the report and alerts at the same instant. */
const clock = new ManualClock(T0 + 4 * 3_600_000)
const ADMIN = 'demo-admin-token-0001'
/** Start of the Beijing day before T0's: the flow's fixes stay out of the report of T0's day. */
const YESTERDAY = beijingDayStart(T0) - DAY
const FLOW_DEVICE = 'ZJ-TRK02'
const PER_MESSAGE = 20

function cli (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number, out: string, err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/bin/minewatch.js', ...args], { env: { ...process.env, ...env } }, (e, out, err) => resolve({ code: e ? Number(e.code ?? 1) : 0, out, err }))
  })
}

type Mw = Awaited<ReturnType<typeof startTestMinewatch>>
interface Seen { report: unknown, alerts: unknown, history: unknown, audit: unknown, dust: number }

async function observe (mw: Mw): Promise<Seen> {
  const alerts = await (await api(mw, `/api/v1/alerts?site=${SITE}`)).json() as { items: Array<{ id: string }> }
  const history: unknown[] = []
  for (const a of alerts.items) history.push(await (await api(mw, `/api/v1/alerts/${encodeURIComponent(a.id)}`)).json())
  return {
    report: await (await api(mw, `/api/v1/reports/daily?site=${SITE}&date=${beijingDate(T0)}`)).json(),
    alerts,
    history,
    audit: await (await api(mw, '/api/v1/audit?limit=10000')).json(),
    dust: await mw.telemetry.count({ kind: 'dust' })
  }
}

function sha256 (p: string): string { return createHash('sha256').update(readFileSync(p)).digest('hex') }

describe('minewatch backup / restore', () => {
  const root = tempDir('minewatch-backup-')
  const dataDir = join(root.path, 'data')
  const backupDir = join(root.path, 'backup')
  const restored = join(root.path, 'restored')
  let atBackup: Seen
  let manifest: BackupManifest
  /** Locator fixes whose PUBACK came before `minewatch backup` was started, and all of them. */
  let ackedBefore: number[] = []
  let ackedAll: number[] = []

  let config: ReturnType<typeof demoConfig>

  beforeAll(async () => {
    // an uplink target nobody listens on: what is forwarded waits in its queue (uplink/province/), which the backup holds too
    process.env.MW_TEST_UPLINK_PW = 'uplink-test-pw-1' // the uplink reads its password from the environment
    config = demoConfig(`uplink:\n  targets:\n    - { name: province, url: 'mqtt://127.0.0.1:${await freePort()}', site: ${SITE}, username: site-zj, passwordEnv: MW_TEST_UPLINK_PW, reconnectMs: 60000 }\n`, { MW_TEST_UPLINK_PW: 'uplink-test-pw-1' })
    const mw = await startTestMinewatch({ dataDir, clock, config })
    try {
      // µg/m³, above the GB 16297-1996 limit, varying (a constant value would also raise "stuck" alerts)
      const dust = Array.from({ length: 70 }, (_, i) => ({ ts: T0 + i * 60_000, seq: i, tsp: 2500 + i, pm10: 250 + i, pm25: 120 + i }))
      await publishReadings(mw, SITE, 'dust', 'ZJ-DUST01', dust)
      const dustAlerts = async () => ((await (await api(mw, `/api/v1/alerts?site=${SITE}&kind=dust_exceedance`)).json()) as { items: Array<{ id: string }> }).items
      await waitFor(async () => (await dustAlerts()).length > 0, 15_000, 'a dust alert')
      const ack = await api(mw, `/api/v1/alerts/${encodeURIComponent((await dustAlerts())[0]!.id)}/ack`, ADMIN, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note: 'water cart sent' }) })
      expect(ack.status).toBe(200)
      atBackup = await observe(mw)

      // steady ingest: a vehicle tag (in the pit, away from the blasting zone) uploading yesterday's fixes (late data, inside ingest.maxLateMs), one message after the other
      const device = await connectDevice(mw.mqttPort, FLOW_DEVICE)
      const acked: number[] = []
      let stop = false
      let n = 0
      const flow = (async () => {
        while (!stop && n < 80_000) { // stays inside yesterday's Beijing day
          const fixes = Array.from({ length: PER_MESSAGE }, () => ({ ts: YESTERDAY + (n++) * 1_000, entity: 'vehicle', entityId: FLOW_DEVICE, lat: 30.955 + (n % 10) * 1e-6, lon: 119.905, speedKmh: 20 }))
          await device.publishAsync(`mines/${SITE}/locator/${FLOW_DEVICE}`, JSON.stringify(fixes), { qos: 1 })
          acked.push(...fixes.map((f) => f.ts))
        }
      })()
      try {
        await waitFor(() => acked.length >= 10 * PER_MESSAGE, 30_000, 'ingest to flow')
        ackedBefore = [...acked]
        const res = await cli(['backup', backupDir, '--url', `http://127.0.0.1:${mw.httpPort}`], { MINEWATCH_TOKEN: ADMIN })
        expect(res.err).toBe('')
        expect(res.code).toBe(0)
        expect(res.out).toMatch(/backup taken/)
        const afterBackup = acked.length
        await waitFor(() => acked.length >= afterBackup + 5 * PER_MESSAGE, 30_000, 'ingest to go on after the backup')
      } finally {
        stop = true
        await flow
        await device.endAsync()
      }
      ackedAll = [...acked]
      // the alerts, the report and the audit log were not changed by the late fixes: they are what the backup instant had
      expect(await observe(mw)).toEqual({ ...atBackup })
    } finally {
      await mw.close()
    }
    manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')) as BackupManifest
  }, 120_000)
  afterAll(() => root.remove())

  it('writes a manifest with schema versions, row counts and checksums of a consistent copy', () => {
    expect(manifest.format).toBe(1)
    expect(manifest.telemetryStore).toBe('duckdb')
    const tel = manifest.files['telemetry.duckdb']!
    const state = manifest.files['state.duckdb']!
    expect(tel.schemaVersion).toBe(currentVersion(TELEMETRY_SCHEMA))
    expect(state.schemaVersion).toBe(2)
    expect(tel.rows![MEASUREMENT.dust]).toBe(70)
    expect(state.rows!.alerts).toBe((atBackup.alerts as { items: unknown[] }).items.length)
    expect(state.rows!.audit_log).toBe((atBackup.audit as { items: unknown[] }).items.length)
    const fixes = tel.rows![MEASUREMENT.locator]!
    expect(fixes).toBeGreaterThanOrEqual(ackedBefore.length)
    expect(fixes).toBeLessThan(ackedAll.length) // ingest went on after the copy's instant
    for (const [name, f] of Object.entries(manifest.files)) {
      expect(sha256(join(backupDir, name))).toBe(f.sha256)
      expect(statSync(join(backupDir, name)).size).toBe(f.bytes)
    }
    expect(readdirSync(backupDir).sort()).toEqual(['manifest.json', 'state.duckdb', 'telemetry.duckdb', 'uplink'])
    expect(Object.keys(manifest.files).filter((n) => n.startsWith('uplink/province/') && n.endsWith('.seg')).length).toBeGreaterThan(0)
  })

  it('the CLI says why when minewatch cannot be reached or no token is given', async () => {
    const res = await cli(['backup', dataDir, '--url', 'http://127.0.0.1:1'], { MINEWATCH_TOKEN: ADMIN })
    expect(res.code).toBe(1)
    expect(res.err).toMatch(/cannot reach minewatch/)
    const noToken = await cli(['backup', join(root.path, 'x')], { MINEWATCH_TOKEN: '' })
    expect(noToken.code).toBe(1)
    expect(noToken.err).toMatch(/admin API token is needed/)
  })

  it('refuses to restore into a non-empty dir, a partial, a corrupt or a newer backup, writing nothing', async () => {
    const target = join(root.path, 'untouched')
    const mustStayEmpty = async (from: string, code: string, message: RegExp) => {
      const res = await cli(['restore', from, '--data-dir', target])
      expect(res.code).toBe(1)
      expect(res.err).toMatch(new RegExp(code))
      expect(res.err).toMatch(message)
      expect(existsSync(target) && readdirSync(target).length > 0).toBe(false)
    }
    const notEmpty = await cli(['restore', backupDir, '--data-dir', dataDir])
    expect(notEmpty.code).toBe(1)
    expect(notEmpty.err).toMatch(/MW_DATA_DIR_NOT_EMPTY/)

    const copy = join(root.path, 'copy')
    const fresh = () => { rmSync(copy, { recursive: true, force: true }); cpSync(backupDir, copy, { recursive: true }) }
    fresh()
    rmSync(join(copy, 'manifest.json'))
    await mustStayEmpty(copy, 'MW_BACKUP_INVALID', /no manifest\.json: not a backup, or a partial one/)

    fresh()
    const tel = join(copy, 'telemetry.duckdb')
    const bytes = readFileSync(tel)
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff
    writeFileSync(tel, bytes)
    await mustStayEmpty(copy, 'MW_BACKUP_INVALID', /telemetry\.duckdb does not match its sha256/)

    fresh()
    rmSync(join(copy, 'state.duckdb'))
    await mustStayEmpty(copy, 'MW_BACKUP_INVALID', /state\.duckdb is missing/)

    // a telemetry file of a newer minewatch, with a manifest that matches it
    fresh()
    const instance = await DuckDBInstance.create(tel)
    const conn = await instance.connect()
    await conn.run("INSERT INTO schema_meta VALUES (99, 'telemetry', 'from the future', 0, '99.0.0')")
    await conn.run('CHECKPOINT')
    conn.closeSync()
    instance.closeSync()
    const m = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8')) as BackupManifest
    m.files['telemetry.duckdb'] = { ...m.files['telemetry.duckdb']!, bytes: statSync(tel).size, sha256: sha256(tel) }
    writeFileSync(join(copy, 'manifest.json'), JSON.stringify(m))
    await mustStayEmpty(copy, 'MW_SCHEMA_TOO_NEW', /telemetry schema version 99/)
  }, 60_000)

  it('restores into a new data dir: report, alerts and history, audit chain and counts of the backup instant', async () => {
    mkdirSync(restored)
    const res = await cli(['restore', backupDir, '--data-dir', restored])
    expect(res.err).toBe('')
    expect(res.code).toBe(0)
    expect(readdirSync(restored).sort()).toEqual(['state.duckdb', 'telemetry.duckdb', 'uplink'])
    for (const name of Object.keys(manifest.files)) expect(sha256(join(restored, name))).toBe(manifest.files[name]!.sha256)
    const verify = await cli(['audit', 'verify', '--data-dir', restored])
    expect(verify.out).toMatch(/audit log intact/)
    expect(verify.code).toBe(0)

    const mw = await startTestMinewatch({ dataDir: restored, clock, config })
    try {
      expect(await observe(mw)).toEqual(atBackup)
      const fixes = manifest.files['telemetry.duckdb']!.rows![MEASUREMENT.locator]!
      expect(await mw.telemetry.count({ kind: 'locator' })).toBe(fixes)
      expect(await mw.telemetry.count({})).toBe(70 + fixes)
      // every fix acknowledged before the backup started is there, and the copy holds a prefix of the flow
      const keys = await mw.telemetry.keysBetween({ device: FLOW_DEVICE, kind: 'locator', from: YESTERDAY, to: YESTERDAY + DAY })
      const stored = new Set(keys.map((k) => k.ts))
      expect(ackedBefore.filter((ts) => !stored.has(ts))).toEqual([])
      expect(ackedAll.slice(0, fixes).every((ts) => stored.has(ts))).toBe(true)
      // the uplink queue came back with what waited for the province at the backup
      const uplink = await (await api(mw, '/api/v1/ops/uplink')).json() as { targets: Array<{ name: string, backlogItems: number }> }
      expect(uplink.targets.find((t) => t.name === 'province')!.backlogItems).toBeGreaterThan(0)
      const chain = await (await api(mw, '/api/v1/audit/verify')).json() as { ok: boolean }
      expect(chain.ok).toBe(true)
    } finally {
      await mw.close()
    }
  }, 60_000)

  it('refuses a non-admin token, a relative dir and a non-empty dir, leaving nothing behind', async () => {
    const mw = await startTestMinewatch({ clock })
    try {
      const dir = join(root.path, 'by-operator')
      const res = await api(mw, '/api/v1/ops/backup', 'demo-operator-zj-token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dir }) })
      expect(res.status).toBe(403)
      expect(existsSync(dir)).toBe(false)
      const rel = await api(mw, '/api/v1/ops/backup', ADMIN, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dir: 'relative/dir' }) })
      expect(rel.status).toBe(400)
      expect(((await rel.json()) as { message: string }).message).toMatch(/absolute path/)
      const before = readdirSync(backupDir).sort()
      const full = await api(mw, '/api/v1/ops/backup', ADMIN, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dir: backupDir }) })
      expect(full.status).toBe(400)
      expect(((await full.json()) as { message: string }).message).toMatch(/is not empty/)
      expect(readdirSync(backupDir).sort()).toEqual(before)
      expect(sha256(join(backupDir, 'telemetry.duckdb'))).toBe(manifest.files['telemetry.duckdb']!.sha256)
    } finally {
      await mw.cleanup()
    }
  }, 30_000)
})
