/**
 * A small InfluxQL (InfluxDB 1.x query language) builder: the Grafana foundation SDK has
 * none. It renders text only; Grafana's template variables ($site, $timeFilter,
 * $__interval) pass through untouched and are substituted by Grafana (or by
 * dashboards/grafana.ts in tests).
 */

/** Grafana's time-range macro for InfluxQL: `time >= <from>ms and time <= <to>ms`. */
export const TIME_FILTER = '$timeFilter'
/** Grafana's automatic GROUP BY interval. */
export const INTERVAL = '$__interval'

function checkName (kind: string, name: string): void {
  if (name === '') throw new Error(`InfluxQL ${kind} must not be empty`)
  if (/[\n\r]/.test(name)) throw new Error(`InfluxQL ${kind} must not contain a line break: ${JSON.stringify(name)}`)
}

/** A double-quoted identifier (measurement, tag, field or alias), escaping `\` and `"`. */
export function ident (name: string): string {
  checkName('identifier', name)
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/** A single-quoted string literal, escaping `\` and `'`. Template variables like `$site` pass through. */
export function str (value: string): string {
  if (/[\n\r]/.test(value)) throw new Error(`InfluxQL string must not contain a line break: ${JSON.stringify(value)}`)
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** A regex literal matching exactly one of `values` (RE2 syntax, as InfluxDB uses). Throws on an empty list. */
export function anyOf (values: readonly string[]): string {
  if (values.length === 0) throw new Error('InfluxQL anyOf() needs at least one value (an empty alternation would match series without the tag)')
  const alts = [...new Set(values)].map((v) => {
    checkName('regex value', v)
    return v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\//g, '\\/')
  })
  return `/^(${alts.join('|')})$/`
}

/** `fn("field")` or `fn(expr)`; a bare name is quoted as an identifier. */
export function call (fn: string, arg: string, ...more: (string | number)[]): string {
  const a = /^[A-Za-z_][A-Za-z0-9_]*$/.test(arg) ? ident(arg) : arg
  return `${fn}(${[a, ...more.map(String)].join(', ')})`
}

/** `expr AS "alias"`. */
export function as (expr: string, alias: string): string {
  return `${expr} AS ${ident(alias)}`
}

/** `"tag" = 'value'`. */
export function eq (tag: string, value: string): string {
  return `${ident(tag)} = ${str(value)}`
}

/** `"tag" != 'value'`. */
export function ne (tag: string, value: string): string {
  return `${ident(tag)} != ${str(value)}`
}

/** `"tag" =~ /^(a|b)$/`. */
export function oneOf (tag: string, values: readonly string[]): string {
  return `${ident(tag)} =~ ${anyOf(values)}`
}

/** `"tag" !~ /^(a|b)$/`. */
export function noneOf (tag: string, values: readonly string[]): string {
  return `${ident(tag)} !~ ${anyOf(values)}`
}

/** `time > now() - <seconds>s`: a window ending now, independent of the dashboard range. */
export function since (seconds: number): string {
  if (!Number.isInteger(seconds) || seconds <= 0) throw new Error(`since() needs a positive whole number of seconds, got ${seconds}`)
  return `time > now() - ${seconds}s`
}

/** `time(<interval>)` for GROUP BY; defaults to Grafana's `$__interval`. */
export function time (interval: string = INTERVAL): string {
  return `time(${interval})`
}

export type Fill = 'none' | 'null' | 'previous' | 'linear' | number

/** An InfluxQL SELECT statement, built immutably: every method returns a new Select. */
export class Select {
  private constructor (
    private readonly fields: readonly string[],
    private readonly sources: readonly (string | Select)[] = [],
    private readonly conditions: readonly string[] = [],
    private readonly groups: readonly string[] = [],
    private readonly fillWith: Fill | undefined = undefined,
    private readonly descending = false,
    private readonly max: number | undefined = undefined
  ) {}

  /** SELECT <exprs>: expressions are used as written (build them with call/as/ident). */
  static of (...exprs: string[]): Select {
    if (exprs.length === 0) throw new Error('SELECT needs at least one expression')
    return new Select(exprs)
  }

  private with (patch: Partial<{ sources: readonly (string | Select)[], conditions: readonly string[], groups: readonly string[], fillWith: Fill, descending: boolean, max: number }>): Select {
    return new Select(
      this.fields,
      patch.sources ?? this.sources,
      patch.conditions ?? this.conditions,
      patch.groups ?? this.groups,
      'fillWith' in patch ? patch.fillWith : this.fillWith,
      patch.descending ?? this.descending,
      'max' in patch ? patch.max : this.max
    )
  }

  /** FROM a measurement (name, quoted here) or subqueries (several are merged by InfluxDB). */
  from (...sources: (string | Select)[]): Select {
    if (sources.length === 0) throw new Error('FROM needs a measurement or a subquery')
    return this.with({ sources })
  }

  /** WHERE: conditions are ANDed; each is used as written (eq, oneOf, since, TIME_FILTER ...). */
  where (...conditions: string[]): Select {
    return this.with({ conditions: [...this.conditions, ...conditions] })
  }

  /** GROUP BY time(...) and/or tags; bare tag names are quoted. */
  groupBy (...groups: string[]): Select {
    return this.with({ groups: [...this.groups, ...groups.map((g) => g.startsWith('time(') ? g : ident(g))] })
  }

  /** fill(...) for GROUP BY time buckets without data. */
  fill (fill: Fill): Select {
    if (!this.groups.some((g) => g.startsWith('time('))) throw new Error('fill() applies only with GROUP BY time(...)')
    return this.with({ fillWith: fill })
  }

  /** ORDER BY time DESC. */
  newestFirst (): Select {
    return this.with({ descending: true })
  }

  /** LIMIT n (points per series). */
  limit (n: number): Select {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`LIMIT needs a positive integer, got ${n}`)
    return this.with({ max: n })
  }

  toString (): string {
    if (this.sources.length === 0) throw new Error('SELECT without FROM')
    const from = this.sources.map((s) => typeof s === 'string' ? ident(s) : `(${s.toString()})`).join(', ')
    let q = `SELECT ${this.fields.join(', ')} FROM ${from}`
    if (this.conditions.length > 0) q += ` WHERE ${this.conditions.join(' AND ')}`
    if (this.groups.length > 0) q += ` GROUP BY ${this.groups.join(', ')}`
    if (this.fillWith !== undefined) q += ` fill(${this.fillWith})`
    if (this.descending) q += ' ORDER BY time DESC'
    if (this.max !== undefined) q += ` LIMIT ${this.max}`
    return q
  }
}

/** Shorthand for Select.of(...). */
export function select (...exprs: string[]): Select {
  return Select.of(...exprs)
}

/** A tag selected as a column in a raw query: `"state"::tag` (needs at least one field beside it). */
export function tagColumn (tag: string): string {
  return `${ident(tag)}::tag`
}
