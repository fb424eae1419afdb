/**
 * Issue 20: what a config reload hands the API and the HJ 212 gateway, through a real minewatch
 * (startMinewatch) reloading its config file: API tokens rotate (both hashes valid in the window,
 * the removed one refused at once), the config routes are admin only; an HJ 212 device whose PW
 * changed keeps its connection but its old PW is refused from the next frame, a disabled one is
 * disconnected, and an unchanged one keeps sending.
 */
import { it, expect } from 'vitest'
import mqtt from 'mqtt'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../core/config.js'
import { silentLogger } from '../../core/log.js'
import { hashSecret } from '../../core/secrets.js'
import { startMinewatch } from '../../bin/up.js'
import { tempDir, waitFor } from '../helpers/ports.js'
import { Hj212DeviceClient } from '../../simulators/hj212-device.js'
import { formatDataTime } from '../../hj212/datatime.js'

const OLD_TOKEN = 'rotating-token-old-0001'
const NEW_TOKEN = 'rotating-token-new-0002'
const OLD_HASH = hashSecret(OLD_TOKEN)
const NEW_HASH = hashSecret(NEW_TOKEN)

function configText (o: { rotating: string, pw2: string, hj3?: string }): string {
  return `demo: true
sites:
  - id: s1
    name: Reload parts
    province: 浙江省
    licence: L1
    scaleTPerYear: 1000000
    boundary: { type: Polygon, coordinates: [ [ [ 120.0, 30.0 ], [ 120.01, 30.0 ], [ 120.01, 30.01 ], [ 120.0, 30.01 ], [ 120.0, 30.0 ] ] ] }
    devices:
      - { id: HJ1, kind: dust, role: boundary, unit: mg/m3, intervalS: 60, hj212: { mn: MN0001, pw: "111111" } }
      - { id: HJ2, kind: dust, role: boundary, unit: mg/m3, intervalS: 60, hj212: { mn: MN0002, pw: "${o.pw2}" } }
      - { id: HJ3, kind: dust, role: boundary, unit: mg/m3, intervalS: 60, hj212: { mn: MN0003, pw: "333333" }${o.hj3 ?? ''} }
api:
  tokens:
    - { name: admin, role: admin, token: reload-admin-token-0001 }
    - { name: op, role: operator, sites: [ s1 ], token: reload-operator-token-01 }
    - { name: rotating, role: regulator, ${o.rotating} }
`
}

it('rotates API tokens, keeps the config routes admin only; HJ 212: a changed PW applies at the next frame, a disabled device is disconnected', async () => {
  const dir = tempDir('minewatch-reload-parts-')
  const file = join(dir.path, 'minewatch.yaml')
  writeFileSync(file, configText({ rotating: `tokenHash: '${OLD_HASH}', nextTokenHash: '${NEW_HASH}'`, pw2: '222222' }))
  const mw = await startMinewatch({ config: loadConfig(file), dataDir: join(dir.path, 'data'), mqttPort: 0, httpPort: 0, hj212Port: 0, host: '127.0.0.1', logger: silentLogger() })
  const get = (path: string, token: string, init: RequestInit = {}) => fetch(`http://127.0.0.1:${mw.httpPort}${path}`, { ...init, headers: { authorization: `Bearer ${token}` } })
  const hj = (mn: string, pw: string) => new Hj212DeviceClient({ host: '127.0.0.1', port: mw.hj212Port!, mn, pw, st: '22' })
  try {
    // admin only
    expect((await get('/api/v1/ops/config', 'reload-operator-token-01')).status).toBe(403)
    expect((await get('/api/v1/ops/config/reload', 'reload-operator-token-01', { method: 'POST' })).status).toBe(403)
    const view = await get('/api/v1/ops/config', 'reload-admin-token-0001')
    expect(view.status).toBe(200)
    expect(await view.json()).toMatchObject({ file, sites: 1, devices: 3, disabledDevices: [], lastReload: null })

    // the rotation window: both tokens answer
    expect((await get('/api/v1/sites', OLD_TOKEN)).status).toBe(200)
    expect((await get('/api/v1/sites', NEW_TOKEN)).status).toBe(200)

    const d1 = hj('MN0001', '111111')
    const d2 = hj('MN0002', '222222')
    const d3 = hj('MN0003', '333333')
    await d1.connect()
    await d2.connect()
    await d3.connect()
    const dust = (c: Hj212DeviceClient, ts: number) => c.frame('2011', [[['DataTime', formatDataTime(ts)]], [['a34001-Rtd', '0.3'], ['a34001-Flag', 'N']]])
    const t = Math.floor(Date.now() / 60_000) * 60_000 - 120_000
    await d1.send(dust(d1, t))
    await d2.send(dust(d2, t))
    await d3.send(dust(d3, t))

    // the window closes (only the new token), HJ2's PW changes, HJ3 is disabled
    writeFileSync(file, configText({ rotating: `tokenHash: '${NEW_HASH}'`, pw2: '232323', hj3: ', disabled: true' }))
    const r = await get('/api/v1/ops/config/reload', 'reload-admin-token-0001', { method: 'POST' })
    expect(r.status).toBe(200)
    const report = await r.json() as { outcome: string, trigger: string, disconnected: string[], diff: { tokens: { changed: unknown[] }, devices: { changed: unknown[] } } }
    expect(report).toMatchObject({ outcome: 'applied', trigger: 'api:admin', disconnected: ['HJ3'] })
    expect(report.diff.tokens.changed).toEqual([{ id: 'rotating', fields: ['nextTokenHash', 'tokenHash'] }])
    expect(report.diff.devices.changed).toEqual([{ id: 'HJ2', fields: ['hj212'] }, { id: 'HJ3', fields: ['disabled'] }])

    // the old token is refused at once (it was cached as verified), the new one answers
    expect((await get('/api/v1/sites', OLD_TOKEN)).status).toBe(401)
    expect((await get('/api/v1/sites', NEW_TOKEN)).status).toBe(200)

    // HJ3 was disconnected; HJ1 stays on its connection and its next frame is stored and acknowledged
    await waitFor(() => !d3.connected, 10_000, 'HJ3 to be disconnected')
    expect(d1.connected).toBe(true)
    await d1.send(dust(d1, t + 60_000))
    expect((await mw.telemetry.latest({ site: 's1', device: 'HJ1' }))[0]?.ts).toBe(t + 60_000)
    // HJ2 keeps its connection, but its next frame with the old PW is refused (no 9014, a reject)
    expect(d2.connected).toBe(true)
    await d2.send(d2.frame('2011', [[['DataTime', formatDataTime(t + 60_000)]], [['a34001-Rtd', '0.3']]], { ack: false }))
    const wrongPw = async () => ((await (await get('/api/v1/rejects?reason=hj212_wrong_pw', 'reload-admin-token-0001')).json()) as { items: Array<{ device: string | null }> }).items
    await waitFor(async () => (await wrongPw()).some((r) => r.device === 'HJ2'), 10_000, 'the old PW to be refused')
    expect((await mw.telemetry.latest({ site: 's1', device: 'HJ2' }))[0]?.ts).toBe(t)
    // HJ2 with its new PW is stored
    const d2b = hj('MN0002', '232323')
    await d2b.connect()
    await d2b.send(dust(d2b, t + 60_000))
    expect((await mw.telemetry.latest({ site: 's1', device: 'HJ2' }))[0]?.ts).toBe(t + 60_000)
    await d1.close()
    await d2.close()
    await d2b.close()
  } finally {
    await mw.close()
    dir.remove()
  }
}, 120_000)

it('a login whose secret check straddles a reload is decided by the new credentials', async () => {
  const dir = tempDir('minewatch-reload-race-')
  const file = join(dir.path, 'minewatch.yaml')
  const hashD = hashSecret('device-d-secret')
  const hashX = hashSecret('device-x-secret')
  const text = (withD: boolean) => `demo: true
sites:
  - id: s1
    name: Reload race
    province: 浙江省
    licence: L1
    scaleTPerYear: 1000000
    boundary: { type: Polygon, coordinates: [ [ [ 120.0, 30.0 ], [ 120.01, 30.0 ], [ 120.01, 30.01 ], [ 120.0, 30.01 ], [ 120.0, 30.0 ] ] ] }
    devices:
      - { id: X, kind: ore, role: belt_scale, intervalS: 60, secretHash: '${hashX}' }
${withD ? `      - { id: D, kind: ore, role: belt_scale, intervalS: 60, secretHash: '${hashD}' }` : ''}
`
  writeFileSync(file, text(true))
  const mw = await startMinewatch({ config: loadConfig(file), dataDir: join(dir.path, 'data'), mqttPort: 0, httpPort: 0, host: '127.0.0.1', logger: silentLogger() })
  const login = (username: string, password: string) => mqtt.connectAsync(`mqtt://127.0.0.1:${mw.mqttPort}`, { username, password, clientId: `${username}-${Math.random().toString(16).slice(2, 8)}`, protocolVersion: 4, reconnectPeriod: 0 })
    .then(async (c) => { await c.endAsync(); return 'accepted' }, () => 'refused')
  try {
    // three wrong secrets of X fill the verifier (one scrypt at a time); D's correct login waits behind them
    // (four failures in all: under the throttle's five per address, so X's own login below is still checked)
    const wrong = Array.from({ length: 3 }, (_, i) => login('X', `wrong-secret-${i}`))
    await new Promise((resolve) => setTimeout(resolve, 5))
    const d = login('D', 'device-d-secret')
    await new Promise((resolve) => setTimeout(resolve, 10))
    writeFileSync(file, text(false)) // D is removed while its check is queued
    expect((await mw.reload('test')).outcome).toBe('applied')
    expect(await d).toBe('refused')
    expect(await Promise.all(wrong)).toEqual(['refused', 'refused', 'refused'])
    expect(await login('X', 'device-x-secret')).toBe('accepted')
  } finally {
    await mw.close()
    dir.remove()
  }
}, 60_000)
