/** Readings and alert events → line protocol, from a fixture table (input → expected line). */
import { describe, it, expect } from 'vitest'
import { readingToLine, readingToPoint, readingsToBodies, alertEventToLine, NO_SEQ } from '../../../store/influx/line-protocol.js'
import { KINDS, FIELDS } from '../../../core/kinds.js'
import type { Reading } from '../../../core/readings.js'
import type { AlertTransition } from '../../../core/alerts.js'

const T = 1_740_796_200_000 // 2025-03-01T02:30:00Z

const table: { name: string, reading: Reading, line: string }[] = [
  {
    name: 'dust: tags site and device, float fields, string flag, seq as integer',
    reading: { site: 'gm01', device: 'dust-01', kind: 'dust', ts: T, seq: 42, values: { tsp: 0.612, pm10: 0.168, flag: 'N' } },
    line: `dust,device=dust-01,site=gm01 flag="N",pm10=0.168,seq=42i,tsp=0.612 ${T}`
  },
  {
    name: 'a reading without seq gets seq=-1i (NO_SEQ), so every point has one field in common',
    reading: { site: 'gm01', device: 'w1', kind: 'water', ts: T, values: { totalM3: 12 } },
    line: `water,device=w1,site=gm01 seq=${NO_SEQ}i,totalM3=12 ${T}`
  },
  {
    name: 'locator: entity and entityId are tags, not fields',
    reading: { site: 'gm01', device: 'uwb', kind: 'locator', ts: T, values: { entity: 'person', entityId: 'P-001', lat: 29.5, lon: 120.25 } },
    line: `locator,device=uwb,entity=person,entityId=P-001,site=gm01 lat=29.5,lon=120.25,seq=-1i ${T}`
  },
  {
    name: 'status: uptimeS is an integer field, fw a string',
    reading: { site: 'gm01', device: 'st', kind: 'status', ts: T, seq: 0, values: { uptimeS: 864000, fw: '2.3.1', rssiDbm: -71 } },
    line: `status,device=st,site=gm01 fw="2.3.1",rssiDbm=-71,seq=0i,uptimeS=864000i ${T}`
  },
  {
    name: 'escaping: spaces, commas and = in tags; quotes and backslashes in strings',
    reading: { site: 'g m,1', device: 'a=b', kind: 'ore', ts: T, values: { tonnes: 1.5, truckId: 'T "7" \\x' } },
    line: `ore,device=a\\=b,site=g\\ m\\,1 seq=-1i,tonnes=1.5,truckId="T \\"7\\" \\\\x" ${T}`
  },
  {
    name: 'unicode survives as is',
    reading: { site: '浙江01', device: '粉尘-1', kind: 'dust', ts: 0, values: { tsp: 1, flag: 'N' } },
    line: 'dust,device=粉尘-1,site=浙江01 flag="N",seq=-1i,tsp=1 0'
  }
]

describe('readingToLine', () => {
  for (const row of table) {
    it(row.name, () => {
      expect(readingToLine(row.reading)).toBe(row.line)
    })
  }
})

describe('readingToLine agrees with influxdb-client Point', () => {
  const asIs = { convertTime: (t: string | number | Date | undefined) => (t === undefined ? undefined : String(t)) }
  for (const row of table) {
    it(`fixture: ${row.name}`, () => expect(readingToPoint(row.reading).toLineProtocol(asIs)).toBe(row.line))
  }
  it('on 5,000 generated readings of every kind with awkward names and values', () => {
    let s = 12345
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const awkward = ['a', 'b c', 'd,e', 'f=g', 'h"i', 'j\\k', '浙江', 'l\nm', 'x']
    const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!
    for (let i = 0; i < 5000; i++) {
      const kind = pick(KINDS)
      const values: Reading['values'] = {}
      for (const f of FIELDS[kind]) {
        if (rnd() < 0.3) continue
        if (f.type === 'string') values[f.name] = pick(awkward)
        else if (f.type === 'int') values[f.name] = Math.floor(rnd() * 1e12) - 1e6
        else values[f.name] = pick([0, -1.5, 1e-7, 123456789.125, rnd() * 1000, -rnd() * 1e21])
      }
      const r: Reading = { site: pick(awkward), device: pick(awkward), kind, ts: Math.floor(rnd() * 2e12), values }
      if (rnd() < 0.5) r.seq = Math.floor(rnd() * 1e9)
      expect(readingToLine(r), JSON.stringify(r)).toBe(readingToPoint(r).toLineProtocol(asIs))
    }
  })
})

describe('readingsToBodies', () => {
  it('splits a batch into bodies of at most maxLines lines, in order', () => {
    const batch = table.map((r) => r.reading)
    const bodies = readingsToBodies(batch, 4)
    expect(bodies).toHaveLength(2)
    expect(bodies[0]!.split('\n')).toEqual(table.slice(0, 4).map((r) => r.line))
    expect(bodies[1]!.split('\n')).toEqual(table.slice(4).map((r) => r.line))
    expect(readingsToBodies([], 4)).toEqual([])
  })
})

describe('alertEventToLine', () => {
  const ev: AlertTransition = {
    seq: 1_000_007, alertId: 'a-1', site: 'gm01', kind: 'dust_exceedance', from: 'firing', to: 'acknowledged', severity: 'alarm',
    at: T, reason: 'TSP 1 h mean 1.21 > 1.0', value: 1.21, limit: 1, by: 'zhang', message: '粉尘超标'
  }
  it('tags site, kind, severity, to; ns timestamp = at ms + seq mod 10⁶ ns', () => {
    expect(alertEventToLine(ev)).toBe(
      'alert_events,kind=dust_exceedance,severity=alarm,site=gm01,to=acknowledged ' +
      'alertId="a-1",by="zhang",from="firing",limit=1,message="粉尘超标",reason="TSP 1 h mean 1.21 > 1.0",seq=1000007i,value=1.21 ' +
      `${T}000007`
    )
  })
  it('leaves null fields out', () => {
    const line = alertEventToLine({ ...ev, seq: 3, from: null, value: null, limit: null, by: null, to: 'firing' })
    expect(line).toBe(`alert_events,kind=dust_exceedance,severity=alarm,site=gm01,to=firing alertId="a-1",message="粉尘超标",reason="TSP 1 h mean 1.21 > 1.0",seq=3i ${T}000003`)
  })
})
