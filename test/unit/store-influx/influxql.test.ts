/** InfluxQL builders: quoting and the statements the store sends, from fixtures. */
import { describe, it, expect } from 'vitest'
import { ident, literal, from, latestStatements, seriesStatement, countStatement, recentKeysStatement } from '../../../store/influx/influxql.js'

describe('quoting', () => {
  const table: [string, string, string][] = [
    ['plain', '"plain"', "'plain'"],
    ["it's", '"it\'s"', "'it\\'s'"],
    ['a"b', '"a\\"b"', "'a\"b'"],
    ['back\\slash', '"back\\\\slash"', "'back\\\\slash'"],
    ["x' OR '1'='1", '"x\' OR \'1\'=\'1"', "'x\\' OR \\'1\\'=\\'1'"]
  ]
  for (const [input, id, lit] of table) {
    it(`${input}`, () => {
      expect(ident(input)).toBe(id)
      expect(literal(input)).toBe(lit)
    })
  }
})

describe('statements', () => {
  const t = { db: 'minewatch' }
  it('qualifies measurements with db and rp when rp is set', () => {
    expect(from(t, 'dust')).toBe('"dust"')
    expect(from({ db: 'mw', rp: 'one_year' }, 'dust')).toBe('"mw"."one_year"."dust"')
  })
  it('latest: newest point per series, per kind (not last(*), which answers time 0 on 1.6)', () => {
    expect(latestStatements(t, { site: 'gm01', kind: 'dust', device: 'd1' })).toEqual([{
      kind: 'dust',
      q: `SELECT * FROM "dust" WHERE "site" = 'gm01' AND "device" = 'd1' GROUP BY * ORDER BY time DESC LIMIT 1`
    }])
    expect(latestStatements(t, { site: 'gm01' }).map((s) => s.kind)).toEqual(['dust', 'water', 'locator', 'ore', 'status', 'energy'])
  })
  it('series: epoch-aligned GROUP BY time in ms, fill(none), [from, to)', () => {
    expect(seriesStatement(t, { site: 's', kind: 'locator', field: 'lat', entityId: 'P1', from: 1000, to: 61000, stepMs: 60000, agg: 'mean' }))
      .toBe(`SELECT mean("lat") AS "value" FROM "locator" WHERE "site" = 's' AND time >= 1000ms AND time < 61000ms AND "entityId" = 'P1' GROUP BY time(60000ms), "device" fill(none)`)
  })
  it('series with flags: an OR over the flag field', () => {
    expect(seriesStatement(t, { site: 's', kind: 'dust', field: 'tsp', flags: ['N', 'T'], from: 0, to: 10, stepMs: 5, agg: 'max' }))
      .toBe(`SELECT max("tsp") AS "value" FROM "dust" WHERE "site" = 's' AND time >= 0ms AND time < 10ms AND ("flag" = 'N' OR "flag" = 'T') GROUP BY time(5ms), "device" fill(none)`)
  })
  it('count: count("seq") over the kinds, explicit time bounds', () => {
    expect(countStatement(t, { site: 's', kind: 'water' })).toBe(`SELECT count("seq") FROM "water" WHERE "site" = 's' AND time >= 0ms AND time <= 9223372036854775806`)
    expect(countStatement(t, { from: 5, to: 9 })).toBe(`SELECT count("seq") FROM "dust", "water", "locator", "ore", "status", "energy" WHERE time >= 5ms AND time < 9ms`)
  })
  it('recentKeys: seq grouped by device and entityId', () => {
    expect(recentKeysStatement(t, 7)).toBe(`SELECT "seq" FROM "dust", "water", "locator", "ore", "status", "energy" WHERE time >= 7ms AND time <= 9223372036854775806 GROUP BY "device", "entityId"`)
  })
})
