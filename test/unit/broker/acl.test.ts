import { describe, it, expect } from 'vitest'
import { canPublish, canSubscribe, canReceive, type Principal } from '../../../broker/acl.js'

const dev: Principal = { type: 'device', username: 'ZJ-DUST01', site: 'zj', kind: 'dust' }
const svcAll: Principal = { type: 'account', username: 'svc', role: 'service', sites: '*' }
const regGs: Principal = { type: 'account', username: 'reg', role: 'regulator', sites: ['gs', 'sc'] }

describe('canPublish', () => {
  const table: [Principal, string, string][] = [
    [dev, 'mines/zj/dust/ZJ-DUST01', 'ok'],
    [dev, 'mines/zj/dust/ZJ-DUST02', 'topic_mismatch'], // another device of its site
    [dev, 'mines/gs/dust/ZJ-DUST01', 'topic_mismatch'], // another site
    [dev, 'mines/zj/water/ZJ-DUST01', 'topic_mismatch'], // another kind
    [dev, 'mines/zj/dust/ZJ-DUST01/extra', 'bad_topic'],
    [dev, 'mines/zj/dust', 'bad_topic'],
    [dev, 'mines/zj/noise/ZJ-DUST01', 'bad_topic'], // unknown kind
    [dev, 'alerts/zj/dust', 'bad_topic'],
    [dev, '$SYS/broker/x', 'bad_topic'],
    [dev, 'zj/dust/ZJ-DUST01', 'bad_topic'],
    [dev, '', 'bad_topic'],
    [svcAll, 'mines/zj/dust/ZJ-DUST01', 'not_allowed'],
    [regGs, 'alerts/gs/dust', 'not_allowed']
  ]
  it.each(table)('%o → %s', (p, topic, expected) => {
    const d = canPublish(p, topic)
    expect(d.ok ? 'ok' : d.reason).toBe(expected)
  })
})

describe('canSubscribe', () => {
  const table: [Principal, string, boolean][] = [
    [dev, 'mines/zj/#', true],
    [dev, 'mines/zj/+/ZJ-DUST02', true],
    [dev, 'alerts/zj/#', true],
    [dev, 'alerts/zj', true],
    [dev, 'mines/gs/#', false],
    [dev, 'mines/+/dust/#', false],
    [dev, 'mines/#', false],
    [dev, '+/zj/#', false],
    [dev, '#', false],
    [dev, 'mines', false],
    [dev, 'other/zj/#', false],
    [dev, '$SYS/#', false],
    [dev, 'mines/zj+/#', false], // malformed wildcard
    [dev, 'mines/zj/#/x', false],
    [svcAll, 'mines/#', true],
    [svcAll, '+/zj/#', true],
    [svcAll, '#', true],
    [svcAll, 'alerts/+/dust', true],
    [svcAll, '$SYS/#', false],
    [svcAll, '$share/g/mines/#', false],
    [svcAll, 'other/#', false],
    [svcAll, '+', false],
    [regGs, 'mines/gs/#', true],
    [regGs, 'alerts/sc/+', true],
    [regGs, 'mines/zj/#', false],
    [regGs, 'mines/#', false],
    [regGs, 'mines/+/dust/#', false],
    [regGs, '+/gs/#', false],
    [regGs, '#', false],
    [regGs, 'alerts/gsx/#', false],
    [regGs, '', false]
  ]
  it.each(table)('%o may subscribe %s: %s', (p, filter, expected) => {
    expect(canSubscribe(p, filter)).toBe(expected)
  })
})

describe('canReceive', () => {
  const table: [Principal, string, boolean][] = [
    [dev, 'mines/zj/dust/ZJ-DUST02', true],
    [dev, 'alerts/zj/dust', true],
    [dev, 'mines/gs/dust/X', false],
    [dev, '$SYS/x/heartbeat', false],
    [regGs, 'alerts/gs/fence', true],
    [regGs, 'alerts/zj/fence', false],
    [regGs, 'mines/gsx/dust/X', false],
    [svcAll, 'mines/zj/dust/ZJ-DUST01', true],
    [svcAll, '$SYS/x/heartbeat', false],
    [svcAll, 'single', false]
  ]
  it.each(table)('%o receives %s: %s', (p, topic, expected) => {
    expect(canReceive(p, topic)).toBe(expected)
  })
})

describe('site-uplink accounts (uplink/, docs/uplink.md)', () => {
  const up: Principal = { type: 'uplink', username: 'site-zj', site: 'zj' }
  it.each([
    ['uplink/zj/up', 'ok'],
    ['uplink/gs/up', 'topic_mismatch'], // another site's uplink
    ['uplink/zj/down', 'topic_mismatch'], // only the upstream publishes down
    ['uplink/zj/up/x', 'bad_topic'],
    ['mines/zj/dust/ZJ-DUST01', 'bad_topic'], // never telemetry directly
    ['alerts/zj/dust', 'bad_topic']
  ])('publish %s → %s', (topic, expected) => {
    const d = canPublish(up, topic)
    expect(d.ok ? 'ok' : d.reason).toBe(expected)
  })
  it.each([
    ['uplink/zj/down', true],
    ['uplink/zj/#', false],
    ['uplink/+/down', false],
    ['uplink/gs/down', false],
    ['mines/zj/#', false],
    ['#', false]
  ])('subscribe %s → %s', (filter, expected) => {
    expect(canSubscribe(up, filter)).toBe(expected)
  })
  it('receives only its own site\'s downlink; devices and site-limited accounts never see uplink topics', () => {
    expect(canReceive(up, 'uplink/zj/down')).toBe(true)
    expect(canReceive(up, 'uplink/gs/down')).toBe(false)
    expect(canReceive(up, 'mines/zj/dust/ZJ-DUST01')).toBe(false)
    expect(canReceive(dev, 'uplink/zj/down')).toBe(false)
    expect(canReceive(regGs, 'uplink/gs/down')).toBe(false)
    expect(canPublish(dev, 'uplink/zj/up').ok).toBe(false)
  })
})
