/**
 * The HJ 212 gateway through a real minewatch (startMinewatch: broker, ingest, DuckDB, API) with
 * devices on real TCP connections: values and units of several devices, 9014 only once stored,
 * each quirk accepted where configured, each bad-frame reason recorded, split packets, backfill
 * of a gap, time calibration, and a garbage-only connection closed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { connect } from 'node:net'
import { loadConfig } from '../../core/config.js'
import { silentLogger } from '../../core/log.js'
import { startMinewatch, type Minewatch } from '../../bin/up.js'
import { tempDir, waitFor } from '../helpers/ports.js'
import { Hj212DeviceClient, type Hj212Quirks } from '../../simulators/hj212-device.js'
import { encodeText, type CpGroup } from '../../hj212/frame.js'
import { formatDataTime } from '../../hj212/datatime.js'
import type { Reading } from '../../core/readings.js'

const SITE = 'hj-test-quarry'
const MIN = 60_000
let mw: Minewatch
let dir: ReturnType<typeof tempDir>

beforeAll(async () => {
  dir = tempDir('minewatch-hj212-')
  mw = await startMinewatch({ config: loadConfig('test/fixtures/hj212/minewatch.yaml'), dataDir: dir.path, mqttPort: 0, httpPort: 0, host: '127.0.0.1', logger: silentLogger() })
}, 60_000)
afterAll(async () => { await mw?.close(); dir?.remove() })

const DEVICES = {
  'HJ-DUST01': { mn: 'GM0001DUST0001', pw: '123456', st: '22' },
  'HJ-DUST02': { mn: 'GM0001DUST0002', pw: '654321', st: '39' },
  'HJ-DUST05': { mn: 'GM0001DUST0005', pw: 'hashed-pw-0001', st: '22' },
  'HJ-WM01': { mn: 'GM0001WATER01', pw: '123456', st: '32' },
  'HJ-WM02': { mn: 'GM0001WATER02', pw: '123456', st: '32' }
} as const

async function device (id: keyof typeof DEVICES, more: { quirks?: Hj212Quirks, pw?: string, now?: () => number, history?: ConstructorParameters<typeof Hj212DeviceClient>[0]['history'] } = {}): Promise<Hj212DeviceClient> {
  const c = new Hj212DeviceClient({ host: '127.0.0.1', port: mw.hj212Port!, ...DEVICES[id], ...more })
  await c.connect()
  return c
}

/** A minute boundary `minutesAgo` before now. */
const minuteAgo = (minutesAgo: number) => Math.floor(Date.now() / MIN) * MIN - minutesAgo * MIN

function dustCp (c: Hj212DeviceClient, ts: number, v: { tsp: number, pm10: number, pm25: number }, aliases = false): CpGroup[] {
  const [a, b, d] = aliases ? ['TSP', 'PM10', 'PM25'] : ['a34001', 'a34002', 'a34004']
  return [[['DataTime', c.dataTime(ts)]], [[`${a}-Rtd`, String(v.tsp)], [`${a}-Flag`, 'N']], [[`${b}-Rtd`, String(v.pm10)], [`${b}-Flag`, 'N']],
    [[`${d}-Rtd`, String(v.pm25)], [`${d}-Flag`, 'N']], [['a01001-Rtd', '12.3']], [['a01006-Rtd', '101.32']], [['LA-Rtd', '63.2'], ['LA-Flag', 'N']]]
}

async function latest (device: string): Promise<Reading | undefined> {
  return (await mw.telemetry.latest({ site: SITE, device }))[0]
}

async function rejects (reason: string): Promise<Array<{ reason: string, detail: string, device: string | null, payload: string }>> {
  const res = await fetch(`http://127.0.0.1:${mw.httpPort}/api/v1/rejects?reason=${reason}`, { headers: { authorization: 'Bearer demo-admin-token-0001' } })
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: Array<{ reason: string, detail: string, device: string | null, payload: string }> }).items
}

describe('HJ 212 gateway through minewatch', () => {
  it('stores real-time data of several devices in canonical units, acknowledging each frame only once it is stored', async () => {
    const ts = minuteAgo(10)
    const d1 = await device('HJ-DUST01')
    const d2 = await device('HJ-DUST02', { quirks: { crc: 'swapped', length: 'chars', edition2005: true } })
    const w1 = await device('HJ-WM01')
    let storedAtAck = -1
    await d1.send(d1.frame('2011', dustCp(d1, ts, { tsp: 312.5, pm10: 168.2, pm25: 61.7 })))
    // the 9014 has arrived: the reading must already be in the store
    storedAtAck = await mw.telemetry.count({ site: SITE, device: 'HJ-DUST01', from: ts, to: ts + 1 })
    expect(storedAtAck).toBe(1)
    await w1.send(w1.frame('2011', [[['DataTime', formatDataTime(ts)]], [['w00000-Rtd', '12.5'], ['w00000-Cou', '88123.4'], ['w00000-Flag', 'N']]]))
    // 2005 edition: no QN/Flag, so no ack; swapped CRC and length in characters are this device's settings
    await d2.send(d2.frame('2011', dustCp(d2, ts, { tsp: 0.312, pm10: 0.168, pm25: 0.062 }, true)))
    await waitFor(async () => (await latest('HJ-DUST02')) !== undefined, 10_000, 'the 2005-style frame to be stored')

    expect((await latest('HJ-DUST01'))!.values).toEqual({ tsp: 0.3125, pm10: 0.1682, pm25: 0.0617, temp: 12.3, pressure: 101.32, noise: 63.2, flag: 'N' })
    expect((await latest('HJ-DUST01'))!.ts).toBe(ts)
    expect((await latest('HJ-DUST02'))!.values).toMatchObject({ tsp: 0.312, pm10: 0.168, pm25: 0.062, flag: 'N' })
    expect((await latest('HJ-WM01'))!.values).toEqual({ flowM3h: 45, totalM3: 88123.4 })
    expect(mw.hj212!.status().filter((s) => s.connected).map((s) => s.device).sort()).toEqual(['HJ-DUST01', 'HJ-DUST02', 'HJ-WM01'])
    await Promise.all([d1.close(), d2.close(), w1.close()])
  })

  it('stores minute and hourly statistics apart from real-time values, queryable through the series API, a resent frame once', async () => {
    const d = await device('HJ-DUST01')
    const start = Math.floor(Date.now() / (60 * MIN)) * 60 * MIN - 2 * 60 * MIN // an hour boundary (series buckets align to the epoch)
    const cp: CpGroup[] = [[['DataTime', formatDataTime(start)]], [['a34002-Min', '120.4'], ['a34002-Avg', '158.9'], ['a34002-Max', '231.0'], ['a34002-Flag', 'N']]]
    await d.send(d.frame('2061', cp))
    await d.send(d.frame('2061', cp)) // resent (same MN, DataTime, CN): stored once
    await d.send(d.frame('2051', cp))
    const url = `http://127.0.0.1:${mw.httpPort}/api/v1/series?site=${SITE}&kind=dust&field=pm10Avg&device=HJ-DUST01&from=${start}&to=${start + 60 * MIN}&step=1h&agg=count`
    const res = await fetch(url, { headers: { authorization: 'Bearer demo-admin-token-0001' } })
    expect(res.status).toBe(200)
    const body = await res.json() as { unit: string, points: Array<{ t: number, value: number }> }
    expect(body.unit).toBe('mg/m³')
    expect(body.points).toEqual([{ device: 'HJ-DUST01', t: start, value: 2 }]) // one hourly + one minute row
    const mean = await mw.telemetry.series({ site: SITE, kind: 'dust', field: 'pm10Avg', device: 'HJ-DUST01', from: start, to: start + 1, stepMs: MIN, agg: 'max' })
    expect(mean[0]!.value).toBeCloseTo(0.1589, 10)
    expect(await mw.telemetry.count({ site: SITE, device: 'HJ-DUST01', from: start, to: start + 1 })).toBe(2)
    await d.close()
  })

  it('reassembles split packets (PNUM/PNO) into one reading', async () => {
    const ts = minuteAgo(9)
    const d = await device('HJ-DUST01', { quirks: { splitInto: 3, dataTimeMs: true } })
    await d.send(d.frame('2011', dustCp(d, ts + 250, { tsp: 100, pm10: 50, pm25: 20 })))
    const [r] = await mw.telemetry.latest({ site: SITE, device: 'HJ-DUST01' })
    expect(r!.ts).toBe(ts + 250)
    expect(r!.values).toMatchObject({ tsp: 0.1, pm10: 0.05, pm25: 0.02, noise: 63.2 })
    await d.close()
  })

  it('records each bad frame with its reason, keeps the good frames after it', async () => {
    const ts = minuteAgo(8)
    const d = await device('HJ-DUST01')
    const good = d.frame('2011', dustCp(d, ts, { tsp: 1, pm10: 1, pm25: 1 }), { ack: false })
    const seg = (over: Partial<typeof good>) => encodeText(`QN=${good.qn};ST=22;CN=${over.cn ?? '2011'};PW=${over.pw ?? '123456'};MN=${over.mn ?? 'GM0001DUST0001'};Flag=4;CP=&&DataTime=${over.qn ?? formatDataTime(ts)};a34001-Rtd=1&&`)
    const wrongCrc = encodeText(`QN=1;ST=22;CN=2011;PW=123456;MN=GM0001DUST0001;Flag=4;CP=&&DataTime=${formatDataTime(ts)};a34001-Rtd=1&&`, { crc: 'wrong' })
    const wrongLength = Buffer.concat([Buffer.from('##0001'), seg({}).subarray(6)])
    d.write(Buffer.concat([
      Buffer.from('garbage\r\n'),
      wrongLength,
      wrongCrc,
      seg({ mn: 'GM9999' }),
      seg({ pw: 'wrong!' }),
      encodeText('QN=1;ST=22;CN=2011;PW=123456;MN=GM0001DUST0001;Flag=4;'),
      seg({ qn: '20251340000000' }),
      seg({ cn: '3020' })
    ]))
    await d.send({ ...good, flag: 5 })
    expect((await latest('HJ-DUST01'))!.ts).toBe(ts)
    const expected: Record<string, RegExp> = {
      hj212_bad_frame: /bytes outside a frame/,
      hj212_bad_length: /length field says 1/,
      hj212_bad_crc: /does not match/,
      hj212_unknown_mn: /"GM9999" is not in the registry/,
      hj212_wrong_pw: /PW does not match device 'HJ-DUST01'/,
      hj212_missing_cp: /no CP=&&/,
      hj212_bad_datatime: /20251340000000/,
      hj212_unknown_command: /CN=3020/
    }
    for (const [reason, detail] of Object.entries(expected)) {
      await waitFor(async () => (await rejects(reason)).length > 0, 10_000, `a ${reason} reject`)
      const [r] = await rejects(reason)
      expect(r!.detail, reason).toMatch(detail)
      expect(r!.payload.length, reason).toBeGreaterThan(0)
    }
    expect((await rejects('hj212_wrong_pw'))[0]!.payload).not.toContain('wrong!\r\n')
    const metrics = await (await fetch(`http://127.0.0.1:${mw.httpPort}/metrics`)).text()
    expect(metrics).toMatch(/minewatch_hj212_frames_total\{cn="2011",outcome="hj212_wrong_pw"\} 1/)
    await d.close()
  })

  it('closes a connection that sends only garbage', async () => {
    const s = connect({ host: '127.0.0.1', port: mw.hj212Port! })
    await new Promise<void>((resolve) => s.once('connect', () => resolve()))
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()))
    s.on('error', () => {})
    for (let i = 0; i < 25; i++) s.write(`##0010not a frame ${i}\r\n`)
    await closed
  })

  it('backfills a gap after a reconnect: requests the gap\'s minute data with BeginTime/EndTime and stores it', async () => {
    const t0 = minuteAgo(30)
    const first = await device('HJ-WM02')
    await first.send(first.frame('2011', [[['DataTime', formatDataTime(t0)]], [['w00000-Rtd', '10'], ['w00000-Cou', '1000']]]))
    await first.close()
    const requests: Array<{ begin: number, end: number }> = []
    const again = await device('HJ-WM02', {
      history: (cn, begin, end) => {
        requests.push({ begin, end })
        const out: CpGroup[][] = []
        // minute data every 10 min (the device's minuteIntervalS is 600)
        for (let t = Math.ceil(begin / (10 * MIN)) * 10 * MIN; t <= end; t += 10 * MIN) {
          out.push([[['DataTime', formatDataTime(t)]], [['w00000-Avg', '10'], ['w00000-Cou', '6.0']]])
        }
        return out
      }
    })
    const t1 = minuteAgo(0)
    await again.send(again.frame('2011', [[['DataTime', formatDataTime(t1)]], [['w00000-Rtd', '10'], ['w00000-Cou', '1180']]]))
    await waitFor(() => requests.length === 1, 10_000, 'the history request')
    expect(again.received.find((f) => f.cn === '2051')!.cp[0]!.map(([k]) => k)).toEqual(['BeginTime', 'EndTime'])
    expect(requests[0]!.begin).toBeGreaterThan(t0)
    expect(requests[0]!.end).toBeLessThan(t1)
    const expectedRows = Math.floor((t1 - 1000) / (10 * MIN)) - Math.ceil((t0 + 1000) / (10 * MIN)) + 1
    await waitFor(async () => (await mw.telemetry.series({ site: SITE, kind: 'water', field: 'volumeM3', device: 'HJ-WM02', from: t0, to: t1, stepMs: 10 * MIN, agg: 'sum' })).length === expectedRows, 10_000, 'backfilled minute data')
    await again.close()
  })

  it('calibrates a drifting device clock (CN 1012) and the operator can set the real-time interval (CN 1062)', async () => {
    const drift = 10 * MIN
    const d = await device('HJ-DUST02', { quirks: { crc: 'swapped' }, now: () => Date.now() + drift })
    const calibrated = new Promise<void>((resolve) => { d.onFrame = (f) => { if (f.cn === '1012') resolve() } })
    await d.send(d.frame('2011', dustCp(d, Math.floor(d.now() / 1000) * 1000, { tsp: 0.2, pm10: 0.1, pm25: 0.05 })))
    await calibrated
    await waitFor(() => Math.abs(d.now() - Date.now()) < 5000, 10_000, 'the device clock to be set')
    const command = (token: string, body: unknown) => fetch(`http://127.0.0.1:${mw.httpPort}/api/v1/sites/${SITE}/hj212/HJ-DUST02/commands`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body)
    })
    const res = await command('demo-operator-hj-token', { command: 'set-interval', rtdIntervalS: 30 })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ cn: '1062', exeRtn: '1' })
    expect(d.rtdIntervalS).toBe(30)
    expect((await command('demo-regulator-hj-token', { command: 'calibrate-time' })).status).toBe(403)
    expect((await command('demo-operator-hj-token', { command: 'set-interval', rtdIntervalS: 5 })).status).toBe(400)
    await expect(mw.hj212!.command('HJ-DUST02', { cn: '1062', rtdIntervalS: 5 })).rejects.toThrow(/ExeRtn=3/)
    const status = await fetch(`http://127.0.0.1:${mw.httpPort}/api/v1/sites/${SITE}/hj212`, { headers: { authorization: 'Bearer demo-regulator-hj-token' } })
    expect(((await status.json()) as { devices: Array<{ device: string, connected: boolean }> }).devices.find((x) => x.device === 'HJ-DUST02')!.connected).toBe(true)
    await d.close()
    const gone = await command('demo-operator-hj-token', { command: 'calibrate-time' })
    expect(gone.status).toBe(502)
    expect(((await gone.json()) as { error: string }).error).toBe('MW_HJ212_COMMAND_FAILED')
  })

  it('checks a pwHash off the event loop, keeping the frames that arrive meanwhile in order; a wrong PW is refused', async () => {
    const c = await device('HJ-DUST05')
    const t0 = minuteAgo(30)
    // three frames in one burst: the first waits for scrypt, the other two queue behind it
    await Promise.all([0, 1, 2].map((i) => c.send(c.frame('2011', dustCp(c, t0 + i * MIN, { tsp: 300 + i, pm10: 160, pm25: 60 })))))
    const stored = await mw.telemetry.series({ site: SITE, kind: 'dust', device: 'HJ-DUST05', field: 'tsp', from: t0, to: t0 + 3 * MIN, stepMs: MIN, agg: 'mean' })
    expect(stored.map((p) => [p.t, p.value])).toEqual([[t0, 0.3], [t0 + MIN, 0.301], [t0 + 2 * MIN, 0.302]])
    await c.close()
    const bad = await device('HJ-DUST05', { pw: 'not-the-pw-0001' })
    bad.write(encodeText(`QN=20250301103000000;ST=22;CN=2011;PW=not-the-pw-0001;MN=GM0001DUST0005;Flag=4;CP=&&DataTime=${formatDataTime(t0 + 5 * MIN)};a34001-Rtd=1,a34001-Flag=N&&`))
    await waitFor(async () => (await rejects('hj212_wrong_pw')).some((r) => r.device === 'HJ-DUST05'), 10_000, 'the wrong PW to be recorded')
    await bad.close()
  })
})
