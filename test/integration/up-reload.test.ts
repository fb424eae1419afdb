/**
 * Issue 20, config reload without downtime and credential rotation, through a running
 * `minewatch up` (child process): SIGHUP and `minewatch reload` make it re-read its config file.
 * A reload adds a device that then publishes, disables one that is then refused (its live
 * connection closed), changes a limit that then fires at the new value (its averaging window kept
 * its data), rotates a device's secret with no refused reading; an invalid reload changes nothing
 * and says why. Meanwhile a publisher on another device sees no disconnect, and every reading
 * acknowledged to it is in the store.
 */
import { it, expect } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, waitFor } from '../helpers/ports.js'
import { missingFromStore, startMinewatchProcess, type MinewatchProcess } from '../helpers/minewatch-process.js'
import { hashSecret } from '../../core/secrets.js'

const SITE = 'reload-site'
const TOKEN = 'reload-admin-token-0001'
const OLD_SECRET = 'rotate-old-secret'
const NEW_SECRET = 'rotate-new-secret'
const OLD_HASH = hashSecret(OLD_SECRET)
const NEW_HASH = hashSecret(NEW_SECRET)

const dust = (id: string, secret: string) => `      - { id: ${id}, kind: dust, role: extraction, unit: mg/m3, intervalS: 60, ${secret} }`

/** The config file: `limit` for the operational TSP limit, device lines, one ingest setting (read at start only). */
function configText (o: { limit: number, devices: string[], dedup?: number }): string {
  return `demo: true
sites:
  - id: ${SITE}
    name: Reload test quarry
    province: 浙江省
    licence: C0000000000000000000001
    scaleTPerYear: 1000000
    boundary: { type: Polygon, coordinates: [ [ [ 120.0, 30.0 ], [ 120.01, 30.0 ], [ 120.01, 30.01 ], [ 120.0, 30.01 ], [ 120.0, 30.0 ] ] ] }
    dust:
      limits:
        - { metric: tsp, limit: ${o.limit}, windowS: 600, holdS: 0, clearHoldS: 0, severity: alarm }
    devices:
${o.devices.join('\n')}
ingest:
  dedupPerDevice: ${o.dedup ?? 2048}
api:
  tokens:
    - { name: admin, role: admin, token: ${TOKEN} }
`
}

const KEEP = dust('KEEP', 'password: keep-device-pw')
const GONE = dust('GONE', 'password: gone-device-pw')
const LIM = dust('LIM', 'password: lim-device-pw')
const ROT_OLD = dust('ROT', `secretHash: '${OLD_HASH}'`)
const ROT_BOTH = dust('ROT', `secretHash: '${OLD_HASH}', nextSecretHash: '${NEW_HASH}'`)
const ROT_NEW = dust('ROT', `secretHash: '${NEW_HASH}'`)
const NEW = dust('NEW', 'password: new-device-pw')
const GONE_DISABLED = dust('GONE', 'password: gone-device-pw, disabled: true')

async function connect (mw: MinewatchProcess, id: string, password: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${mw.mqttPort}`, {
    username: id, password, clientId: `${id}-${Math.random().toString(16).slice(2, 8)}`, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000
  })
  c.on('error', () => {})
  return c
}

/** True when the broker refuses this login. */
async function refused (mw: MinewatchProcess, id: string, password: string): Promise<boolean> {
  try {
    const c = await connect(mw, id, password)
    await c.endAsync()
    return false
  } catch {
    return true
  }
}

async function api (mw: MinewatchProcess, path: string, init: RequestInit = {}): Promise<Response> {
  return await fetch(`http://127.0.0.1:${mw.httpPort}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...(init.headers ?? {}) } })
}

interface Report { seq: number, outcome: string, problems: string[], disconnected: string[], diff?: { devices: { added: string[], disabled: string[], changed: Array<{ id: string, fields: string[] }> }, limits: Array<{ site: string, limit: string, change: string, fields?: string[] }>, needsRestart: string[] } }

async function lastReload (mw: MinewatchProcess): Promise<Report | null> {
  const r = await api(mw, '/api/v1/ops/config')
  expect(r.status).toBe(200)
  return ((await r.json()) as { lastReload: Report | null }).lastReload
}

/** `minewatch reload --data-dir DIR` as the operator runs it. */
async function reloadCommand (dataDir: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/minewatch.ts', 'reload', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += String(d) })
  child.stderr.on('data', (d) => { stderr += String(d) })
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  return { code, stdout, stderr }
}

/** A device publishing one QoS 1 reading every 50 ms until stopped; records what was acknowledged and any refusal or disconnect. */
function steadyPublisher (client: MqttClient, id: string, field = 0.3) {
  const acked: Array<{ device: string, ts: number }> = []
  const failures: string[] = []
  let closes = 0
  client.on('close', () => { closes++ })
  let ts = Date.now() - 5000
  let sent = 0
  let stopped = false
  let current = client
  const loop = (async () => {
    while (!stopped) {
      const r = { ts: ts++, tsp: field }
      sent++
      try {
        await current.publishAsync(`mines/${SITE}/dust/${id}`, JSON.stringify(r), { qos: 1 })
        acked.push({ device: id, ts: r.ts })
      } catch (err) {
        failures.push((err as Error).message)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()
  return {
    acked, failures,
    get closes () { return closes },
    get sent () { return sent },
    /** The device moves to a new connection (e.g. with its new secret); the old one is ended cleanly first. */
    async switchTo (next: MqttClient) { const old = current; current = next; await old.endAsync() },
    async stop () { stopped = true; await loop }
  }
}

it('applies a reload live: device added, disabled, limit changed, secret rotated; an invalid reload changes nothing', async () => {
  const dir = tempDir('minewatch-reload-')
  const configFile = join(dir.path, 'minewatch.yaml')
  const dataDir = join(dir.path, 'data')
  writeFileSync(configFile, configText({ limit: 5, devices: [KEEP, GONE, LIM, ROT_OLD] }))
  const mw = await startMinewatchProcess({ config: configFile, dataDir })
  const since = Date.now() - 120_000
  try {
    expect(existsSync(join(dataDir, 'minewatch.pid'))).toBe(true)
    const keepClient = await connect(mw, 'KEEP', 'keep-device-pw')
    const keep = steadyPublisher(keepClient, 'KEEP')
    const rot = steadyPublisher(await connect(mw, 'ROT', OLD_SECRET), 'ROT')
    const gone = await connect(mw, 'GONE', 'gone-device-pw')
    let goneClosed = false
    gone.on('close', () => { goneClosed = true })
    expect(await refused(mw, 'NEW', 'new-device-pw')).toBe(true)

    // LIM's 10 min window fills with 2 mg/m³ (one reading per 10 s bucket), under the limit of 5: no alert
    const lim = await connect(mw, 'LIM', 'lim-device-pw')
    const t0 = Date.now() - 600_000
    await lim.publishAsync(`mines/${SITE}/dust/LIM`, JSON.stringify(Array.from({ length: 60 }, (_, i) => ({ ts: t0 + i * 10_000, tsp: 2 }))), { qos: 1 })
    const dustAlerts = async () => ((await (await api(mw, `/api/v1/alerts?site=${SITE}&kind=dust_exceedance`)).json()) as { items: Array<{ subject: string, state: string, limit: number | null, device: string | null }> }).items
    expect(await dustAlerts()).toEqual([])

    await waitFor(() => keep.acked.length > 0, 15_000, 'KEEP acknowledged before the first reload')
    const ackedBeforeReloads = keep.acked.length
    // reload 1 (SIGHUP): NEW added, GONE disabled, the limit lowered to 1, ROT gets its next secret, an ingest setting changed
    writeFileSync(configFile, configText({ limit: 1, devices: [KEEP, GONE_DISABLED, LIM, ROT_BOTH, NEW], dedup: 1000 }))
    mw.child.kill('SIGHUP')
    await waitFor(async () => (await lastReload(mw))?.seq === 1, 30_000, 'the first reload')
    const first = (await lastReload(mw))!
    expect(first.outcome).toBe('applied')
    expect(first.problems).toEqual([])
    expect(first.diff!.devices.added).toEqual(['NEW'])
    expect(first.diff!.devices.disabled).toEqual(['GONE'])
    expect(first.diff!.devices.changed).toEqual(expect.arrayContaining([{ id: 'GONE', fields: ['disabled'] }, { id: 'ROT', fields: ['nextSecretHash'] }]))
    expect(first.diff!.limits).toEqual([{ site: SITE, limit: 'tsp:600', change: 'changed', fields: ['limit'] }])
    expect(first.diff!.needsRestart).toEqual(['ingest.dedupPerDevice'])
    expect(first.disconnected).toEqual(['GONE'])

    // the disabled device's live connection was closed, and it is refused from now on
    await waitFor(() => goneClosed, 10_000, 'the disabled device to be disconnected')
    expect(await refused(mw, 'GONE', 'gone-device-pw')).toBe(true)
    // the new device logs in and its reading is acknowledged
    const fresh = await connect(mw, 'NEW', 'new-device-pw')
    const newTs = Date.now() - 1000
    await fresh.publishAsync(`mines/${SITE}/dust/NEW`, JSON.stringify({ ts: newTs, tsp: 0.2 }), { qos: 1 })
    await fresh.endAsync()
    // the lowered limit fires on LIM's next reading: the window kept its readings of 2 mg/m³ (a new one would hold too few to be valid)
    await lim.publishAsync(`mines/${SITE}/dust/LIM`, JSON.stringify({ ts: Date.now() - 500, tsp: 2 }), { qos: 1 })
    await lim.endAsync()
    await waitFor(async () => (await dustAlerts()).some((a) => a.device === 'LIM' && a.state === 'firing'), 15_000, 'the dust alert at the new limit')
    expect((await dustAlerts()).find((a) => a.device === 'LIM')!.limit).toBe(1)

    // rotation: during the window both secrets log in; the device moves to the new one
    expect(await refused(mw, 'ROT', OLD_SECRET)).toBe(false)
    await rot.switchTo(await connect(mw, 'ROT', NEW_SECRET))

    // reload 2 (`minewatch reload`): the old secret is removed
    writeFileSync(configFile, configText({ limit: 1, devices: [KEEP, GONE_DISABLED, LIM, ROT_NEW, NEW], dedup: 1000 }))
    const second = await reloadCommand(dataDir)
    expect(second.stderr).toBe('')
    expect(second.code).toBe(0)
    expect(second.stdout).toContain('reload #2')
    expect(second.stdout).toContain('applied')
    expect(second.stdout).toContain('devices changed: ROT (nextSecretHash, secretHash)')
    expect(await refused(mw, 'ROT', OLD_SECRET)).toBe(true) // the verifier's cache does not keep the removed secret alive
    expect(await refused(mw, 'ROT', NEW_SECRET)).toBe(false)

    // reload 3: an invalid file changes nothing and says why, in the CLI and in the API
    writeFileSync(configFile, configText({ limit: -1, devices: [KEEP, LIM, ROT_NEW, NEW, dust('NEW', 'password: new-device-pw')] }))
    const third = await reloadCommand(dataDir)
    expect(third.code).toBe(1)
    expect(third.stdout).toContain('reload #3')
    expect(third.stdout).toContain('rejected')
    expect(third.stdout).toMatch(/minewatch\.yaml:\d+: sites\[0\]\.dust\.limits\[0\]\.limit: /)
    expect(third.stdout).toMatch(/minewatch\.yaml:\d+: sites\[0\]\.devices\[4\]\.id: device id 'NEW' is already used/)
    const rejected = (await lastReload(mw))!
    expect(rejected.outcome).toBe('rejected')
    expect(rejected.problems.length).toBe(2)
    expect(await refused(mw, 'GONE', 'gone-device-pw')).toBe(true) // still the config of reload 2
    expect(await refused(mw, 'NEW', 'new-device-pw')).toBe(false)
    const cfg = (await (await api(mw, '/api/v1/ops/config')).json()) as { devices: number, disabledDevices: string[] }
    expect(cfg).toMatchObject({ devices: 5, disabledDevices: ['GONE'] })

    // the other publishers never saw a disconnect or a refusal; every reading was acknowledged, and KEEP still
    // publishes after the three reloads (counted from what it had before them, not from how fast the machine is)
    const ackedAfterReloads = keep.acked.length
    await waitFor(() => keep.acked.length >= ackedAfterReloads + 5, 15_000, 'KEEP acknowledged after the reloads')
    await keep.stop()
    await rot.stop()
    expect(keep.failures).toEqual([])
    expect(rot.failures).toEqual([])
    expect(keep.closes).toBe(0)
    expect(keep.acked.length).toBe(keep.sent)
    expect(rot.acked.length).toBe(rot.sent)
    expect(ackedAfterReloads).toBeGreaterThan(ackedBeforeReloads)
    await keepClient.endAsync()

    mw.child.kill('SIGTERM')
    await mw.exited
    const missing = await missingFromStore(dataDir, since, [...keep.acked, ...rot.acked, { device: 'NEW', ts: newTs }])
    expect(missing, `${missing.length} acknowledged readings missing`).toEqual([])
  } finally {
    if (mw.child.exitCode === null && mw.child.signalCode === null) mw.child.kill('SIGKILL')
    dir.remove()
  }
}, 180_000)
