/**
 * Issue 16 point 6 through `minewatch up`: 人员长时间静止 (person_motionless) and 标签失联 (tag_lost),
 * fixes over MQTT, alerts over the HTTP API and to a webhook receiver, on a manual clock. The pit
 * sets its own limits (motionlessS 60 s, tagLostS 120 s) over the site's (300 s, 600 s).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, publishReadings, api } from '../helpers/minewatch.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { waitFor } from '../helpers/ports.js'
import { oneSiteYaml } from '../helpers/site-yaml.js'
import { parseConfig } from '../../core/config.js'
import { ManualClock } from '../../core/clock.js'
import { offsetM, type LonLat } from '../../core/geo.js'
import { beijingDayStart, DAY, HOUR, SECOND } from '../../core/time.js'

const SITE = 's1'
const ADMIN = 'people-admin-token-0001'
const T = beijingDayStart(Date.now()) - DAY + 10 * HOUR // yesterday 10:00 Beijing
const PIT: LonLat = [120.007, 30.002]
const clock = new ManualClock(T)
let mw: Awaited<ReturnType<typeof startTestMinewatch>>
let receiver: Receiver

interface Event { event: string, text: string, alert: { kind: string, subject: string, device: string, severity: string }, transition: { reason: string } }
const events = (): Event[] => receiver.deliveries.map((d) => JSON.parse(d.body) as Event)

/** A person fix `eastM` m east of the pit's centre. */
const fix = (entityId: string, ts: number, eastM = 0) => { const [lon, lat] = offsetM(PIT, eastM, 0); return { ts, entity: 'person', entityId, lon, lat, accuracyM: 0.5 } }

beforeAll(async () => {
  receiver = await startReceiver()
  mw = await startTestMinewatch({
    clock,
    config: parseConfig(oneSiteYaml(`    people: { motionlessS: 300, tagLostS: 600 }
    zones:
      - { id: pit, name: 采场, kind: other, motionlessS: 60, tagLostS: 120, geometry: { type: Polygon, coordinates: [[[120.006, 30.001], [120.008, 30.001], [120.008, 30.003], [120.006, 30.003], [120.006, 30.001]]] } }
    devices:
      - { id: UWB1, kind: locator, role: personnel, intervalS: 60, password: demo-UWB1-pw }`, `alerts:
  retry: { initialMs: 100, maxMs: 400 }
  subscriptions:
    - { id: control-room, type: webhook, url: "${receiver.url}", secret: webhook-secret-for-tests, allowHttp: true, kinds: [person_motionless, tag_lost] }
api:
  tokens:
    - { name: admin, role: admin, token: ${ADMIN} }
`), 'up-people-still.yaml')
  })
})
afterAll(async () => {
  await mw?.cleanup()
  await receiver?.close()
})

describe('issue 16 point 6: motionless person and tag not seen', () => {
  it('a person still in the pit for more than 60 s is an alarm; a tag unseen for more than 120 s there is an alarm; both resolve when the person moves and the tag is back', async () => {
    // P-STILL lies still (0.3 m jitter) from T−90 s; P-GONE reports until T−60 s, then nothing
    const jitter = [0, 0.3, -0.2, 0.1, 0.3, -0.3, 0, 0.2, -0.1, 0]
    await publishReadings(mw, SITE, 'locator', 'UWB1', jitter.map((x, i) => fix('P-STILL', T - 90 * SECOND + i * 10 * SECOND, x)))
    await publishReadings(mw, SITE, 'locator', 'UWB1', [0, 1, 2, 3].map((i) => fix('P-GONE', T - 90 * SECOND + i * 10 * SECOND, 40)))
    await waitFor(() => events().length === 1, 10_000, 'motionless delivery')
    expect(events()[0]).toMatchObject({ event: 'alert.firing', alert: { kind: 'person_motionless', subject: 'P-STILL', device: 'UWB1', severity: 'alarm' }, transition: { reason: 'motionless_above_limit' } })
    expect(events()[0]!.text).toContain('【报警】人员长时间静止 · Site 1：P-STILL 已 70 秒未移动,超过限值 60 秒,可能倒地或被困')

    // 120 s after P-GONE's last fix (the pit's limit, not the site's 600 s), the locator still reporting
    clock.set(T + 60 * SECOND)
    await mw.alerts.tick(); await mw.alerts.idle()
    expect(events()).toHaveLength(1)
    clock.set(T + 61 * SECOND)
    await mw.alerts.tick(); await mw.alerts.idle()
    await waitFor(() => events().length === 2, 10_000, 'tag lost delivery')
    expect(events()[1]).toMatchObject({ event: 'alert.firing', alert: { kind: 'tag_lost', subject: 'P-GONE', device: 'UWB1', severity: 'alarm' }, transition: { reason: 'tag_not_seen_within_limit' } })
    expect(events()[1]!.text).toContain('P-GONE 已 121 秒无定位,超过限值 120 秒(最后经 UWB1 上报')

    // P-GONE is seen again; P-STILL gets up and walks 30 m (three fixes that have moved: fence.consecutiveFixes)
    clock.set(T + 80 * SECOND)
    await publishReadings(mw, SITE, 'locator', 'UWB1', [fix('P-GONE', T + 70 * SECOND, 40), ...[70, 75, 80].map((s) => fix('P-STILL', T + s * SECOND, 30))])
    await waitFor(() => events().length === 4, 10_000, 'resolves')
    expect(events().slice(2).map((e) => [e.event, e.alert.kind, e.transition.reason])).toEqual([
      ['alert.resolved', 'tag_lost', 'tag_seen_again'], ['alert.resolved', 'person_motionless', 'moving_again']
    ])
    const res = await api(mw, `/api/v1/alerts?site=${SITE}&limit=50`, ADMIN)
    const items = ((await res.json()) as { items: { kind: string, state: string }[] }).items
    expect(items.filter((a) => a.kind === 'person_motionless' || a.kind === 'tag_lost').map((a) => a.state)).toEqual(['resolved', 'resolved'])
  })
})
