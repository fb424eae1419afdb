/**
 * Normal operation plus deliberately bad messages from the site's own devices:
 * malformed JSON, wrong units, missing fields, impossible values, bad and future
 * timestamps, an empty array, too many readings, an oversized payload, another
 * site's topic, a malformed topic, an unknown device, and a flood of valid readings.
 * Expected: rejects by reason (direct path) or broker refusals (MQTT); no alerts.
 */
import { MINUTE, SECOND } from '../../core/time.js'
import { telemetryTopic } from '../../core/topics.js'
import { MAX_PAYLOAD_BYTES, MAX_READINGS_PER_MESSAGE } from '../../core/readings.js'
import type { RejectReason } from '../../core/rejects.js'
import type { Device, Site } from '../../core/sites.js'
import type { SimMessage } from '../types.js'
import { endingNow, type Scenario } from './types.js'
import { devicesOf, pickSite } from './pick.js'

/** Valid readings sent in one burst by the status device (the broker's rate limit refuses part of them). */
export const FLOOD_MESSAGES = 400
const YEAR_MS = 365 * 24 * 3600 * 1000

export const badPayloads: Scenario = {
  name: 'bad-payloads',
  description: 'Normal operation plus bad messages from the site\'s own devices (malformed JSON, wrong units, missing fields, impossible values, bad/future ts, empty, too many readings, oversized, another site\'s topic, bad topic, unknown device) and a flood of 400 valid messages. Rejects by reason (direct) or broker refusals (MQTT); no alerts.',
  durationMs: 30 * MINUTE,
  defaultStart: endingNow,
  plan: ({ registry, sites, start }) => {
    const site = pickSite(sites, 'bad-payloads', 'a dust monitor, a water meter and a status device',
      (s) => devicesOf(s, 'dust').length > 0 && devicesOf(s, 'water').length > 0 && devicesOf(s, 'status').length > 0)
    const dust = devicesOf(site, 'dust')[0]!
    const water = devicesOf(site, 'water')[0]!
    const status = devicesOf(site, 'status')[0]!
    const other = registry.sites.find((s) => s.id !== site.id && s.devices.length > 0)
    const inject: SimMessage[] = []
    const expectedRejects: Partial<Record<RejectReason, number>> = {}
    let t = start + 5 * MINUTE
    const add = (from: Device, topic: string, payload: string | Buffer, reason: RejectReason, readings = 0) => {
      inject.push({ t, site: site.id, device: from.id, kind: from.kind, topic, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload), readings, bad: reason })
      expectedRejects[reason] = (expectedRejects[reason] ?? 0) + 1
      t += 10 * SECOND
    }
    const own = (d: Device) => telemetryTopic(site.id, d.kind, d.id)
    const ts = () => t + 1
    add(dust, own(dust), `{"ts":${ts()},"tsp":312.5,"pm10":`, 'not_json')
    add(dust, own(dust), JSON.stringify({ ts: ts(), tsp: '312.5 ug/m3' }), 'invalid_reading', 1) // unit inside the value
    add(dust, own(dust), JSON.stringify({ ts: ts(), tsp: 312.5, unit: 'ug/m3' }), 'invalid_reading', 1) // unit as an extra field
    add(water, own(water), JSON.stringify({ ts: ts(), flowM3h: 120.5 }), 'invalid_reading', 1) // totaliser missing
    add(dust, own(dust), JSON.stringify({ ts: ts(), tsp: 100, rh: 150 }), 'invalid_reading', 1) // humidity above 100 %
    add(dust, own(dust), JSON.stringify({ ts: new Date(ts()).toISOString().replace('Z', ''), tsp: 100 }), 'bad_ts', 1) // no offset
    add(dust, own(dust), JSON.stringify({ ts: ts() + YEAR_MS, tsp: 100 }), 'future_ts', 1)
    add(status, own(status), '[]', 'empty')
    add(status, own(status), manyReadings(ts(), MAX_READINGS_PER_MESSAGE + 1), 'too_many_readings', MAX_READINGS_PER_MESSAGE + 1)
    add(status, own(status), oversized(ts()), 'payload_too_large')
    add(dust, other ? otherTopic(other) : telemetryTopic(site.id, 'water', dust.id), JSON.stringify({ ts: ts(), tsp: 100 }), 'topic_mismatch', 1)
    add(dust, `mines/${site.id}/dust`, JSON.stringify({ ts: ts(), tsp: 100 }), 'bad_topic', 1)
    const ghost: Device = { ...dust, id: `${dust.id}-GHOST`.slice(0, 64) }
    add(ghost, own(ghost), JSON.stringify({ ts: ts(), tsp: 100 }), 'unknown_device', 1)
    // the flood: valid readings, back to back (the broker's per-device rate limit refuses part of them)
    const floodAt = t
    for (let i = 0; i < FLOOD_MESSAGES; i++) {
      const body = { ts: floodAt + i, seq: 1_000_000 + i, batteryPct: 97 + (i % 20) / 10, rssiDbm: -70 - (i % 15), uptimeS: 1_000_000 + i }
      inject.push({ t: floodAt, site: site.id, device: status.id, kind: 'status', topic: own(status), payload: Buffer.from(JSON.stringify(body)), readings: 1, bad: 'flood' })
    }
    return {
      effects: [],
      inject,
      expectedAlerts: [],
      expectedRejects,
      summary: `${site.id}: ${inject.length - FLOOD_MESSAGES} bad messages from ${dust.id}, ${water.id}, ${status.id} from +5 min, then a flood of ${FLOOD_MESSAGES} valid messages from ${status.id}`
    }
  }
}

function otherTopic (other: Site): string {
  const d = other.devices[0]!
  return telemetryTopic(other.id, d.kind, d.id)
}

function manyReadings (ts: number, n: number): string {
  const items: string[] = []
  for (let i = 0; i < n; i++) items.push(`{"ts":${ts + i},"batteryPct":97}`)
  return `[${items.join(',')}]`
}

/** A valid-looking array just over the payload limit. */
function oversized (ts: number): string {
  const item = `{"ts":${ts},"fw":"${'x'.repeat(60)}"}`
  const n = Math.ceil((MAX_PAYLOAD_BYTES + 1024) / (item.length + 1))
  return `[${new Array(n).fill(item).join(',')}]`
}
