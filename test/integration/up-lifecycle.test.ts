/**
 * Issue 20, device lifecycle through the API, through a running `minewatch up` (child process):
 * add a device (it connects and publishes), disable one (its live connection closes, it is
 * refused), replace a dust monitor mid-day by one with a new id (the daily report and the day facts
 * count both halves as one monitor position; the replaced id is refused), retire one (refused, its
 * past data still reported). Every change is audited (who, when, why); bad input gets its own error
 * code; non-admin tokens get 403. A restart keeps the changes (stored overrides on top of the
 * file); `config export` gives a file check-config accepts, which run as the file gives the same
 * registry and makes the stored changes no-ops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, waitFor } from '../helpers/ports.js'
import { startMinewatchProcess, type MinewatchProcess } from '../helpers/minewatch-process.js'
import { oneSiteYaml } from '../helpers/site-yaml.js'
import { beijingDate, beijingDayStart, DAY, HOUR, MINUTE } from '../../core/time.js'

const SITE = 's1'
const ADMIN = 'lifecycle-admin-token-01'
const OPERATOR = 'lifecycle-operator-tok-01'
const dust = (id: string) => `      - { id: ${id}, kind: dust, role: boundary, unit: mg/m3, intervalS: 60, password: ${id}-device-pw }`
const CONFIG = oneSiteYaml(`    devices:
${[...['KEEP', 'OFF', 'OLD', 'RET'].map(dust), '      - { id: W1, kind: water, role: fresh_intake, intervalS: 60, password: W1-device-pw }'].join('\n')}`, `alerts:
  dayFactsRefreshS: 1
api:
  tokens:
    - { name: lc-admin, role: admin, token: ${ADMIN} }
    - { name: lc-operator, role: operator, sites: [ ${SITE} ], token: ${OPERATOR} }
`)

const dir = tempDir('mw-lifecycle-')
const configFile = join(dir.path, 'minewatch.yaml')
const dataDir = join(dir.path, 'data')
let mw: MinewatchProcess
const yesterday = beijingDayStart(Date.now()) - DAY
const date = beijingDate(yesterday)
let newSecret = ''
let replacementSecret = ''

async function connect (id: string, password: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${mw.mqttPort}`, { username: id, password, clientId: `${id}-${Math.random().toString(16).slice(2, 8)}`, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000 })
  c.on('error', () => {})
  return c
}
async function refused (id: string, password: string): Promise<boolean> {
  try { await (await connect(id, password)).endAsync(); return false } catch { return true }
}
/** pm10 0.3 mg/m³ (above GB 3095-2012's 0.15 daily mean) every minute over [from, to). */
async function publishDay (id: string, password: string, from: number, to: number): Promise<void> {
  const c = await connect(id, password)
  const readings = []
  for (let t = from; t < to; t += MINUTE) readings.push({ ts: t, pm10: 0.3, tsp: 0.3 })
  for (let i = 0; i < readings.length; i += 500) await c.publishAsync(`mines/${SITE}/dust/${id}`, JSON.stringify(readings.slice(i, i + 500)), { qos: 1 })
  await c.endAsync()
}
async function api (path: string, init: RequestInit & { token?: string, json?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${init.token ?? ADMIN}` }
  if (init.json !== undefined) headers['content-type'] = 'application/json'
  return await fetch(`http://127.0.0.1:${mw.httpPort}/api/v1${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body })
}
const post = (path: string, json: unknown, token?: string) => api(path, { method: 'POST', json, token })
async function code (res: Response): Promise<[number, string]> { return [res.status, ((await res.json()) as { error: string }).error] }
async function stop (): Promise<void> { mw.child.kill('SIGTERM'); await mw.exited }
async function registryView (): Promise<{ devices: number, disabledDevices: string[] }> {
  const v = await (await api('/ops/config')).json() as { devices: number, disabledDevices: string[] }
  return { devices: v.devices, disabledDevices: [...v.disabledDevices].sort() }
}

beforeAll(async () => {
  writeFileSync(configFile, CONFIG)
  mw = await startMinewatchProcess({ config: configFile, dataDir })
  // the first half of yesterday from OLD, before it is replaced; RET reports yesterday too
  await publishDay('OLD', 'OLD-device-pw', yesterday, yesterday + 12 * HOUR)
  await publishDay('RET', 'RET-device-pw', yesterday, yesterday + 2 * HOUR)
}, 120_000)
afterAll(async () => {
  if (mw && mw.child.exitCode === null && mw.child.signalCode === null) await stop()
  dir.remove()
})

describe('device lifecycle through the API', () => {
  it('refuses bad input with a specific error code, and non-admin tokens with 403', async () => {
    expect(await code(await post('/ops/devices/OFF/disable', { reason: 'x' }, OPERATOR))).toEqual([403, 'MW_FORBIDDEN'])
    expect(await code(await api('/ops/devices/changes', { token: OPERATOR }))).toEqual([403, 'MW_FORBIDDEN'])
    expect(await code(await post('/ops/devices/OFF/disable', {}))).toEqual([400, 'MW_REASON_REQUIRED'])
    expect(await code(await post('/ops/devices/OFF/disable', { reason: '   ' }))).toEqual([400, 'MW_REASON_REQUIRED'])
    expect(await code(await post('/ops/devices/NOPE/disable', { reason: 'x' }))).toEqual([404, 'MW_DEVICE_UNKNOWN'])
    expect(await code(await post('/ops/devices/OLD/replace', { reason: 'x', id: 'OLD2', kind: 'water' }))).toEqual([400, 'MW_DEVICE_KIND_MISMATCH'])
    expect(await code(await post('/ops/devices', { reason: 'x', site: SITE, device: { id: 'KEEP', kind: 'dust', role: 'boundary', unit: 'mg/m3', intervalS: 60 } }))).toEqual([409, 'MW_DEVICE_EXISTS'])
    expect(await code(await post('/ops/devices/OLD/replace', { reason: 'x', id: 'RET' }))).toEqual([409, 'MW_DEVICE_EXISTS'])
    expect(await code(await post('/ops/devices', { reason: 'x', site: SITE, device: { id: 'NOUNIT', kind: 'dust', intervalS: 60 } }))).toEqual([400, 'MW_LIFECYCLE_INVALID'])
    expect(await code(await post('/ops/devices/KEEP/enable', { reason: 'x' }))).toEqual([409, 'MW_CONFLICT'])
    expect((await (await api('/ops/devices/changes')).json() as { items: unknown[] }).items).toEqual([]) // nothing refused was stored
  })

  it('adds a device that then connects with its generated secret and publishes', async () => {
    const res = await post('/ops/devices', { reason: 'new boundary monitor at the north gate', site: SITE, device: { id: 'NEWDEV', kind: 'dust', role: 'boundary', unit: 'mg/m3', intervalS: 60, location: [120.005, 30.009] } })
    expect(res.status).toBe(201)
    const body = await res.json() as { change: { seq: number, by: string }, report: { outcome: string, diff: { devices: { added: string[] } } }, generated: { secret: string } }
    expect(body.report.outcome).toBe('applied')
    expect(body.report.diff.devices.added).toEqual(['NEWDEV'])
    expect(body.change).toMatchObject({ seq: 1, by: 'lc-admin' })
    newSecret = body.generated.secret
    const c = await connect('NEWDEV', newSecret)
    await c.publishAsync(`mines/${SITE}/dust/NEWDEV`, JSON.stringify({ ts: Date.now() - 1000, pm10: 0.05 }), { qos: 1 })
    await c.endAsync()
    const latest = await (await api(`/sites/${SITE}/latest`)).json() as { readings?: Array<{ device: string }> } | Array<{ device: string }>
    expect(JSON.stringify(latest)).toContain('NEWDEV')
  })

  it('disables a device: its live connection closes and it is refused', async () => {
    const c = await connect('OFF', 'OFF-device-pw')
    let closed = false
    c.on('close', () => { closed = true })
    const res = await post('/ops/devices/OFF/disable', { reason: 'sensor head cracked' })
    expect((await res.json() as { report: { disconnected: string[] } }).report.disconnected).toContain('OFF')
    await waitFor(() => closed, 10_000, 'OFF to be disconnected')
    expect(await refused('OFF', 'OFF-device-pw')).toBe(true)
    await c.endAsync(true)
  })

  it('replaces a dust monitor mid-day: the report and the day facts count both halves as one position', async () => {
    const res = await post('/ops/devices/OLD/replace', { reason: 'laser module failed; swapped for a new unit', id: 'OLD2' })
    expect(res.status).toBe(200)
    const body = await res.json() as { report: { outcome: string }, generated: { secret: string } }
    expect(body.report.outcome).toBe('applied')
    replacementSecret = body.generated.secret
    expect(await refused('OLD', 'OLD-device-pw')).toBe(true)
    await publishDay('OLD2', replacementSecret, yesterday + 12 * HOUR, yesterday + DAY)
    const report = await (await api(`/reports/daily?site=${SITE}&date=${date}`)).json() as { dust: Array<{ metric: string, windowS: number, devices: number, dayMeans: Array<{ device: string, validHours: number, aboveLimit: boolean }> | null, dayExceedances: number | null }>, uptime: Array<{ device: string, withData: number }> }
    const pm10 = report.dust.find((r) => r.metric === 'pm10' && r.windowS === 86_400)!
    expect(pm10.devices).toBe(5) // KEEP, OFF, RET, NEWDEV and the OLD→OLD2 position (not 6)
    expect(pm10.dayMeans!.map((m) => m.device).sort()).toEqual(['KEEP', 'NEWDEV', 'OFF', 'OLD2', 'RET'])
    expect(pm10.dayMeans!.find((m) => m.device === 'OLD2')).toMatchObject({ validHours: 24, aboveLimit: true }) // 12 h from each half
    expect(pm10.dayExceedances).toBe(1)
    expect(report.uptime.find((u) => u.device === 'OLD2')!.withData).toBe(1440)
    expect(report.uptime.some((u) => u.device === 'OLD')).toBe(false)
    await waitFor(async () => {
      const facts = await (await api(`/reports/day-facts?site=${SITE}&from=${date}&to=${date}`)).json() as { items: Array<{ dustDayExceedances: number }> }
      return facts.items[0]?.dustDayExceedances === 1
    }, 30_000, 'the day facts to count the replaced position once')
  })

  it('retires a device: refused from then on, its past data still reported', async () => {
    const res = await post('/ops/devices/RET/retire', { reason: 'decommissioned with the old crusher' })
    expect((await res.json() as { report: { outcome: string } }).report.outcome).toBe('applied')
    expect(await refused('RET', 'RET-device-pw')).toBe(true)
    expect(await code(await post('/ops/devices/RET/enable', { reason: 'x' }))).toEqual([409, 'MW_DEVICE_RETIRED'])
    const report = await (await api(`/reports/daily?site=${SITE}&date=${date}`)).json() as { uptime: Array<{ device: string, withData: number }> }
    expect(report.uptime.find((u) => u.device === 'RET')!.withData).toBe(120)
  })

  it('lists every change with who, when and why (secret hashes left out)', async () => {
    const { items } = await (await api('/ops/devices/changes')).json() as { items: Array<{ seq: number, action: string, device: string, by: string, at: number, reason: string, spec: Record<string, unknown> | null, override: string }> }
    expect(items.map((c) => [c.seq, c.action, c.device, c.by, c.override])).toEqual([
      [1, 'add', 'NEWDEV', 'lc-admin', 'applied'], [2, 'disable', 'OFF', 'lc-admin', 'applied'],
      [3, 'replace', 'OLD', 'lc-admin', 'applied'], [4, 'retire', 'RET', 'lc-admin', 'applied']
    ])
    for (const c of items) { expect(c.reason.length).toBeGreaterThan(0); expect(Math.abs(c.at - Date.now())).toBeLessThan(10 * 60_000) }
    expect(items[2]!.spec).toMatchObject({ id: 'OLD2', kind: 'dust', role: 'boundary', unit: 'mg/m3' })
    expect(JSON.stringify(items)).not.toContain('scrypt$')
    expect((await (await api('/ops/devices/changes?device=OLD2')).json() as { items: unknown[] }).items).toHaveLength(1)
  })

  it('keeps the changes across a restart, and exports a file that check-config accepts and that gives the same registry', async () => {
    const before = await registryView()
    expect(before.disabledDevices).toEqual(['OFF', 'OLD', 'RET'])
    const exported = await (await api('/ops/config/export')).text()
    expect(exported).not.toMatch(/password: (NEWDEV|OLD2)/)
    await stop()
    // the CLI gives the same YAML from the stopped instance's data dir
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'bin/minewatch.ts', 'config', 'export', '--config', configFile, '--data-dir', dataDir], { encoding: 'utf8' })
    expect(cli.status, cli.stderr).toBe(0)
    expect(cli.stdout).toBe(exported)
    const exportFile = join(dir.path, 'exported.yaml')
    writeFileSync(exportFile, exported)
    const check = spawnSync(process.execPath, ['--import', 'tsx', 'bin/minewatch.ts', 'check-config', '--config', exportFile], { encoding: 'utf8' })
    expect(check.status, check.stderr).toBe(0)
    expect(check.stdout).toContain('1 sites, 7 devices')

    mw = await startMinewatchProcess({ config: configFile, dataDir }) // the original file: the overrides still apply
    expect(await registryView()).toEqual(before)
    expect(await refused('OLD', 'OLD-device-pw')).toBe(true)
    await (await connect('NEWDEV', newSecret)).endAsync()
    await stop()

    mw = await startMinewatchProcess({ config: exportFile, dataDir }) // folded: same registry, the overrides are no-ops
    expect(await registryView()).toEqual(before)
    await (await connect('OLD2', replacementSecret)).endAsync()
    const { items } = await (await api('/ops/devices/changes')).json() as { items: Array<{ override: string }> }
    expect(items.map((c) => c.override)).toEqual(['noop', 'noop', 'noop', 'noop'])
    expect(readFileSync(exportFile, 'utf8')).toContain('replacedBy: OLD2')
  }, 180_000)
})
