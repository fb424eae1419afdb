import { describe, it, expect } from 'vitest'
import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard'
import { dateMath, panelRange, autoIntervalMs, intervalText, interpolate, aliasName } from '../../../dashboards/grafana.js'

const CST = 8 * 3_600_000
// 2025-03-01 10:30:00 Beijing time
const NOW = Date.UTC(2025, 2, 1, 2, 30)

describe('Grafana time ranges', () => {
  const cases: [string, boolean, number][] = [
    ['now', false, NOW],
    ['now-6h', false, NOW - 6 * 3_600_000],
    ['now-15m', false, NOW - 15 * 60_000],
    ['now/d', false, Date.UTC(2025, 1, 28, 16)], // Beijing midnight of 1 March
    ['now/d', true, Date.UTC(2025, 2, 1, 16) - 1],
    ['now/M', false, Date.UTC(2025, 1, 28, 16)],
    ['now/M', true, Date.UTC(2025, 2, 31, 16) - 1],
    ['now/y', false, Date.UTC(2024, 11, 31, 16)],
    ['now/y', true, Date.UTC(2025, 11, 31, 16) - 1]
  ]
  for (const [text, up, want] of cases) it(`${text}${up ? ' (end)' : ''}`, () => expect(dateMath(text, NOW, CST, up)).toBe(want))

  it('refuses what it does not understand', () => {
    expect(() => dateMath('now-1Q', NOW, CST)).toThrow(/unsupported/)
  })

  it('a panel time override replaces the dashboard range', () => {
    const d = { timezone: 'Asia/Shanghai', time: { from: 'now-6h', to: 'now' } } as Dashboard
    expect(panelRange(d, { type: 'stat' } as Panel, NOW)).toEqual({ from: NOW - 6 * 3_600_000, to: NOW })
    expect(panelRange(d, { type: 'stat', timeFrom: '15m' } as Panel, NOW)).toEqual({ from: NOW - 15 * 60_000, to: NOW })
    expect(panelRange(d, { type: 'stat', timeFrom: 'now/d' } as Panel, NOW).from).toBe(Date.UTC(2025, 1, 28, 16))
  })

  it('picks $__interval like rangeUtil.calculateInterval', () => {
    const h6 = { from: NOW - 6 * 3_600_000, to: NOW }
    expect(autoIntervalMs(h6, 1000, 10_000)).toBe(20_000)
    expect(autoIntervalMs(h6, 1000, 60_000)).toBe(60_000)
    expect(autoIntervalMs({ from: NOW - 7 * 86_400_000, to: NOW }, 1000, 10_000)).toBe(600_000)
    expect([20_000, 60_000, 3_600_000, 86_400_000, 1500].map(intervalText)).toEqual(['20s', '1m', '1h', '1d', '1500ms'])
  })
})

describe('Grafana query interpolation', () => {
  const ctx = { range: { from: 1000, to: 2000 }, intervalMs: 60_000, vars: { site: 'gs-baiyin-cuzn' } }

  it('substitutes time filter, interval and variables in all three syntaxes', () => {
    expect(interpolate(`SELECT mean("v") FROM "m" WHERE "site" = '$site' AND "x" = '\${site}' AND "y" = '[[site]]' AND $timeFilter GROUP BY time($__interval) -- $__interval_ms`, ctx))
      .toBe(`SELECT mean("v") FROM "m" WHERE "site" = 'gs-baiyin-cuzn' AND "x" = 'gs-baiyin-cuzn' AND "y" = 'gs-baiyin-cuzn' AND time >= 1000ms and time <= 2000ms GROUP BY time(1m) -- 60000`)
  })

  it('leaves regex anchors alone and refuses undefined variables', () => {
    expect(interpolate('"device" =~ /^(A|B)$/', ctx)).toBe('"device" =~ /^(A|B)$/')
    expect(() => interpolate(`"site" = '$mine'`, ctx)).toThrow(/undefined variable \$mine/)
  })

  it('names series from an alias pattern', () => {
    expect(aliasName('$tag_device', { name: 'dust', tags: { device: 'D1' } }, 'tsp')).toBe('D1')
    expect(aliasName('dust $tag_site', { name: 'dust', tags: { site: 's' } }, 'online')).toBe('dust s')
    expect(aliasName('$m.$col', { name: 'dust' }, 'tsp')).toBe('dust.tsp')
  })
})
