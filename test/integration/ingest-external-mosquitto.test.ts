/**
 * External intake against a real Mosquitto: a device publishes valid and invalid messages of
 * every kind; readings land in DuckDB and rejects in the state store. A store failure leaves
 * the message unacknowledged and Mosquitto redelivers it after the intake reconnects; messages
 * published while the intake is away arrive through its persistent session.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { join } from 'node:path'
import { connectAsync, type MqttClient } from 'mqtt'
import { DuckDBTelemetryStore } from '../../store/duckdb/telemetry.js'
import { openStateStore, type StateStore } from '../../store/duckdb/state.js'
import { silentLogger } from '../../core/log.js'
import { startExternalIntake } from '../../ingest/external.js'
import { startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js'
import { tempDir, waitFor } from '../helpers/ports.js'
import { makeIngest, T0, FaultyStore } from '../unit/ingest/helpers.js'

let mosquitto: MosquittoHandle
let dir: ReturnType<typeof tempDir>
let telemetry: DuckDBTelemetryStore
let state: StateStore
let store: FaultyStore
let device: MqttClient
let ingest: ReturnType<typeof makeIngest>['ingest']
let intake: { close(): Promise<void> }
const CLIENT_ID = 'minewatch-ingest-test'

const startIntake = () => startExternalIntake({ url: mosquitto.url, clientId: CLIENT_ID, topic: 'mines/#', ingest, logger: silentLogger() })

beforeAll(async () => {
  mosquitto = await startMosquitto()
  dir = tempDir('ingest-external-')
  telemetry = new DuckDBTelemetryStore({ path: join(dir.path, 'telemetry.duckdb') })
  state = await openStateStore({ path: join(dir.path, 'state.duckdb'), rejectsMaxRows: 1000 })
  store = new FaultyStore(telemetry)
  ingest = makeIngest({ store, rejects: state.rejects }).ingest
  await ingest.start()
  intake = await startIntake()
  device = await connectAsync(mosquitto.url, { clientId: 'device-sim', reconnectPeriod: 0 })
})

afterAll(async () => {
  await device?.endAsync()
  await intake?.close()
  await ingest?.close()
  await telemetry?.close()
  await state?.close()
  await mosquitto?.stop()
  dir?.remove()
})

const publish = (topic: string, payload: unknown) =>
  device.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 })

describe('external intake (Mosquitto → ingest → DuckDB)', () => {
  it('stores valid readings of every kind and records every invalid message as a reject', async () => {
    const valid: Array<[string, unknown]> = [
      ['mines/site-a/dust/DUST-UG', { ts: T0, seq: 1, tsp: 312.5, pm10: 168.2, pm25: 61.7 }],
      ['mines/site-a/dust/DUST-MG', [{ ts: T0, pm10: 0.2 }, { ts: T0 + 60_000, pm10: 0.21 }]],
      ['mines/site-a/water/WM-1', { ts: '2025-03-01T10:30:00+08:00', totalM3: 1234.5, flowM3h: 42 }],
      ['mines/site-a/locator/UWB-1', { ts: T0, entity: 'person', entityId: 'P-7', lat: 30.95, lon: 119.91 }],
      ['mines/site-a/ore/TS-1', { ts: T0, tonnes: 58.2, truckId: 'TRK-3' }],
      ['mines/site-a/status/DTU-1', { ts: T0, batteryPct: 87, rssiDbm: -71 }]
    ]
    const invalid: Array<[string, unknown, string]> = [
      ['mines/site-a/dust/DUST-UG', '{"ts":', 'not_json'],
      ['mines/site-a/dust/DUST-UG', { ts: T0 + 1, pm10: 'high' }, 'invalid_reading'],
      ['mines/site-a/water/WM-1', { ts: T0 + 1 }, 'invalid_reading'],
      ['mines/site-a/locator/UWB-1', { ts: T0 + 1, entity: 'robot', entityId: 'R-1', lat: 0, lon: 0 }, 'invalid_reading'],
      ['mines/site-a/ore/TS-1', { ts: 'yesterday', tonnes: 1 }, 'bad_ts'],
      ['mines/site-a/status/DTU-1', { ts: T0 + 86_400_000, batteryPct: 50 }, 'future_ts'],
      ['mines/site-b/dust/DUST-UG', { ts: T0, pm10: 1 }, 'topic_mismatch'],
      ['mines/site-a/dust/GHOST-9', { ts: T0, pm10: 1 }, 'unknown_device'],
      ['mines/site-a/dust', { ts: T0, pm10: 1 }, 'bad_topic'],
      ['mines/site-a/water/WM-1', [], 'empty']
    ]
    for (const [topic, payload] of valid) await publish(topic, payload)
    for (const [topic, payload] of invalid) await publish(topic, payload)
    await waitFor(async () => (await state.rejects.count()) >= invalid.length && (await telemetry.count({ site: 'site-a' })) >= 7, 15_000, 'readings and rejects')
    expect(await telemetry.count({ site: 'site-a' })).toBe(7)
    for (const kind of ['dust', 'water', 'locator', 'ore', 'status'] as const) {
      expect((await telemetry.latest({ site: 'site-a', kind })).length, kind).toBeGreaterThan(0)
    }
    const [dust] = await telemetry.latest({ site: 'site-a', device: 'DUST-UG' })
    expect(dust?.values).toMatchObject({ tsp: 0.3125, pm10: 0.1682, pm25: 0.0617 })
    const rejects = await state.rejects.list({ limit: 100 })
    expect(rejects.map((r) => r.reason).sort()).toEqual(invalid.map((i) => i[2]).sort())
    expect(rejects.find((r) => r.reason === 'topic_mismatch')).toMatchObject({ device: 'DUST-UG', site: 'site-a', topic: 'mines/site-b/dust/DUST-UG' })
  })

  it('does not acknowledge a message whose write failed; Mosquitto redelivers it and it is stored', async () => {
    store.failNext = 1
    await publish('mines/site-a/water/WM-1', { ts: T0 + 2 * 60_000, seq: 42, totalM3: 1300 })
    await waitFor(async () => (await telemetry.count({ device: 'WM-1', from: T0 + 2 * 60_000 })) === 1, 20_000, 'redelivery after the failed write')
    expect(store.failNext).toBe(0)
    expect((await telemetry.latest({ site: 'site-a', device: 'WM-1' }))[0]).toMatchObject({ seq: 42, values: { totalM3: 1300 } })
  })

  it('receives what was published while the intake was away (persistent session)', async () => {
    await intake.close()
    await publish('mines/site-a/ore/TS-1', { ts: T0 + 3 * 60_000, tonnes: 61.5, truckId: 'TRK-9' })
    intake = await startIntake()
    await waitFor(async () => (await telemetry.count({ device: 'TS-1', from: T0 + 3 * 60_000 })) === 1, 15_000, 'queued message after reconnect')
  })
})
