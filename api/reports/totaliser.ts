/**
 * Volume (or mass) from a totaliser's successive values (domain.md §4), with the same
 * rules as the water_recycling_low alert rule:
 *  - next ≥ prev: the difference;
 *  - a drop larger than 90 % of the rollover value: a rollover, volume = rollover − prev + next;
 *  - a drop to below 10 % of prev: a reset (counter restarted at 0), volume = next;
 *  - any other drop: the meter ran backwards; nothing is counted (data_quality reports it).
 */

/** A drop of more than this share of the rollover value is a rollover. */
export const ROLLOVER_SHARE = 0.9
/** A drop to below this share of the previous value is a reset. */
export const RESET_SHARE = 0.1

export interface TotaliserSum {
  total: number
  resets: number
  rollovers: number
  backwards: number
}

/** Sums the increases over `values` (in time order); `rollover` Infinity for counters that never wrap. */
export function totaliserIncrease (values: readonly number[], rollover: number): TotaliserSum {
  const out: TotaliserSum = { total: 0, resets: 0, rollovers: 0, backwards: 0 }
  for (let i = 1; i < values.length; i++) {
    const prev = values[i - 1]!
    const next = values[i]!
    if (next >= prev) {
      out.total += next - prev
    } else if (prev - next > ROLLOVER_SHARE * rollover) {
      out.total += rollover - prev + next
      out.rollovers++
    } else if (next < RESET_SHARE * prev) {
      out.total += next
      out.resets++
    } else {
      out.backwards++
    }
  }
  return out
}
