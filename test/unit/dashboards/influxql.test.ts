import { describe, it, expect } from 'vitest'
import { select, as, call, eq, ne, oneOf, noneOf, since, time, tagColumn, ident, str, anyOf, TIME_FILTER } from '../../../dashboards/influxql.js'

describe('InfluxQL builder', () => {
  const cases: [string, () => string, string][] = [
    ['last per device', () => select(as(call('last', 'tsp'), 'tsp')).from('dust').where(eq('site', '$site'), TIME_FILTER).groupBy('device').toString(),
      `SELECT last("tsp") AS "tsp" FROM "dust" WHERE "site" = '$site' AND $timeFilter GROUP BY "device"`],
    ['mean per interval', () => select(call('mean', 'tsp')).from('dust').where(TIME_FILTER).groupBy(time(), 'device').fill('none').toString(),
      'SELECT mean("tsp") FROM "dust" WHERE $timeFilter GROUP BY time($__interval), "device" fill(none)'],
    ['fixed interval and numeric fill', () => select(call('count', 'alertId')).from('alert_events').groupBy(time('1h')).fill(0).toString(),
      'SELECT count("alertId") FROM "alert_events" GROUP BY time(1h) fill(0)'],
    ['subqueries', () => select('sum("n")').from(select(as(call('count', 'x'), 'n')).from('a'), select(as(call('count', 'x'), 'n')).from('b')).toString(),
      'SELECT sum("n") FROM (SELECT count("x") AS "n" FROM "a"), (SELECT count("x") AS "n" FROM "b")'],
    ['regex, negation, window', () => select(call('max', 'v')).from('m').where(oneOf('device', ['A.1', 'B/2']), noneOf('kind', ['x']), ne('to', 'resolved'), since(3600)).toString(),
      `SELECT max("v") FROM "m" WHERE "device" =~ /^(A\\.1|B\\/2)$/ AND "kind" !~ /^(x)$/ AND "to" != 'resolved' AND time > now() - 3600s`],
    ['tag columns, newest first, limit', () => select(tagColumn('kind'), '"message"').from('alert_events').newestFirst().limit(10).toString(),
      'SELECT "kind"::tag, "message" FROM "alert_events" ORDER BY time DESC LIMIT 10'],
    ['function with extra arguments', () => call('moving_average', 'mean("tsp")', 3), 'moving_average(mean("tsp"), 3)'],
    ['escaping', () => `${ident('a"b\\c')} ${str("it's")} ${anyOf(['a|b', 'a|b', '(c)'])}`, `"a\\"b\\\\c" 'it\\'s' /^(a\\|b|\\(c\\))$/`]
  ]
  for (const [name, build, want] of cases) it(name, () => expect(build()).toBe(want))

  it('is immutable: a derived query leaves its base unchanged', () => {
    const base = select('"v"').from('m')
    const derived = base.where(eq('site', 'a')).limit(1)
    expect(base.toString()).toBe('SELECT "v" FROM "m"')
    expect(derived.toString()).toBe(`SELECT "v" FROM "m" WHERE "site" = 'a' LIMIT 1`)
  })

  const errors: [string, () => unknown, RegExp][] = [
    ['no expressions', () => select(), /at least one expression/],
    ['no FROM', () => select('"v"').toString(), /without FROM/],
    ['empty FROM', () => select('"v"').from(), /measurement or a subquery/],
    ['empty alternation', () => anyOf([]), /at least one value/],
    ['fill without time buckets', () => select('"v"').from('m').fill('none'), /GROUP BY time/],
    ['bad limit', () => select('"v"').from('m').limit(0), /positive integer/],
    ['bad window', () => since(1.5), /whole number of seconds/],
    ['empty identifier', () => ident(''), /must not be empty/],
    ['line break', () => str('a\nb'), /line break/]
  ]
  for (const [name, fn, message] of errors) it(`refuses ${name}`, () => expect(fn).toThrow(message))
})
