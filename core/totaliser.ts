/**
 * Totalisers (cumulative counters: water meters' m³, energy meters' kWh, fuel meters' L or kg):
 * how successive values become an amount, with the same step rules for every kind (rise,
 * rollover, reset, backwards glitch). core/water.ts and core/energy.ts use them; never re-derive
 * them. Pure and allocation-free on the step path (the alert engine calls it per reading).
 */

/** A drop of more than this share of the rollover value is a rollover (the kind's rollover setting: water.rolloverM3, energy.rollover). */
export const ROLLOVER_FRACTION = 0.9
/** A drop to below this share of the previous value is a reset (the counter restarted near 0). */
export const RESET_FRACTION = 0.1

/** How a totaliser value relates to the baseline before it. */
export const STEP_NORMAL = 0
export const STEP_RESET = 1
export const STEP_ROLLOVER = 2
export const STEP_BACKWARDS = 3
export const STEP_FIRST = 4

/**
 * Classifies the step from baseline `prev` to `next` and writes the amount to `out[0]`:
 *  - first value (prev NaN): 0;
 *  - next ≥ prev (rise): next − prev;
 *  - a drop of more than ROLLOVER_FRACTION × rollover: rollover − prev + next;
 *  - a drop to below RESET_FRACTION × prev: next (the counter restarted from 0);
 *  - any other drop (a backwards glitch): 0, and the caller keeps `prev` as its baseline, so the
 *    climb back to the true value is not counted as new volume.
 * Allocation-free for the alert engine's hot path.
 */
export function totaliserStep (prev: number, next: number, rollover: number, out: Float64Array): number {
  if (Number.isNaN(prev)) { out[0] = 0; return STEP_FIRST }
  if (next >= prev) { out[0] = next - prev; return STEP_NORMAL }
  if (prev - next > ROLLOVER_FRACTION * rollover) { out[0] = rollover - prev + next; return STEP_ROLLOVER }
  if (next < RESET_FRACTION * prev) { out[0] = next; return STEP_RESET }
  out[0] = 0
  return STEP_BACKWARDS
}

/** The baseline after a step: a backwards glitch keeps the previous (higher) one. */
export function nextBaseline (prev: number, next: number, step: number): number {
  return step === STEP_BACKWARDS ? prev : next
}

export interface TotaliserSum {
  total: number
  resets: number
  rollovers: number
  backwards: number
}

/** Amount over `values` in time order (the first is the baseline); `rollover` Infinity for counters that never wrap. */
export function totaliserIncrease (values: readonly number[], rollover: number): TotaliserSum {
  const sum: TotaliserSum = { total: 0, resets: 0, rollovers: 0, backwards: 0 }
  const out = new Float64Array(1)
  let base = NaN
  for (const v of values) {
    const step = totaliserStep(base, v, rollover, out)
    sum.total += out[0]!
    if (step === STEP_RESET) sum.resets++
    else if (step === STEP_ROLLOVER) sum.rollovers++
    else if (step === STEP_BACKWARDS) sum.backwards++
    base = nextBaseline(base, v, step)
  }
  return sum
}
