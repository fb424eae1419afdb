import { describe, it, expect } from 'vitest'
import { createEpisodeState, evaluateEpisode, createStuckState, evaluateStuck, dustImplausible, flagProblem, oreImplausible, CLEAN_FOR_S } from '../../../alerts/rules/data-quality.js'
import type { Signal } from '../../../alerts/rules/signal.js'
import { MINUTE, HOUR } from '../../../core/time.js'

const T0 = Date.UTC(2025, 2, 1)

describe('data_quality rule', () => {
  it('flags: fires on the first non-N flag, holds, clears after N readings spanning CLEAN_FOR_S', () => {
    const s = createEpisodeState()
    const sigs: Signal[] = []
    for (let i = 0; i < 4 * 60; i++) {
      const flag = i >= 30 && i < 90 ? 'D' : 'N'
      const sig = evaluateEpisode(s, flagProblem(flag), null, T0 + i * MINUTE)
      if (sig) sigs.push(sig)
    }
    expect(sigs.map((x) => [x.type, x.reason])).toEqual([['fire', 'flag_D'], ['resolve', 'clean_readings']])
    expect(sigs[0]!.at).toBe(T0 + 30 * MINUTE)
    // the first clean reading (90 min) starts the span; it ends CLEAN_FOR_S later
    expect(sigs[1]!.at).toBe(T0 + 90 * MINUTE + CLEAN_FOR_S * 1000)
  })

  it('silence is not evidence: one clean reading after a long gap does not clear the alert', () => {
    const s = createEpisodeState()
    expect(evaluateEpisode(s, 'flag_D', null, T0)?.type).toBe('fire')
    // the device says nothing for an hour, then one clean reading: still open
    expect(evaluateEpisode(s, null, null, T0 + HOUR)).toBeNull()
    // clean readings each minute after it: clears once they span CLEAN_FOR_S
    const sigs: Signal[] = []
    for (let i = 1; i <= 15; i++) {
      const sig = evaluateEpisode(s, null, null, T0 + HOUR + i * MINUTE)
      if (sig) sigs.push(sig)
    }
    expect(sigs.map((x) => [x.type, x.at])).toEqual([['resolve', T0 + HOUR + CLEAN_FOR_S * 1000]])
    // a bad reading inside a clean span restarts it
    const t = createEpisodeState()
    evaluateEpisode(t, 'flag_D', null, T0)
    evaluateEpisode(t, null, null, T0 + 5 * MINUTE)
    evaluateEpisode(t, 'flag_D', null, T0 + 6 * MINUTE)
    expect(evaluateEpisode(t, null, null, T0 + 6 * MINUTE + CLEAN_FOR_S * 1000)).toBeNull()
    expect(evaluateEpisode(t, null, null, T0 + 7 * MINUTE + CLEAN_FOR_S * 1000)).toBeNull()
  })

  it('flags toggling every few minutes are one alert (flap suppression)', () => {
    const s = createEpisodeState()
    const sigs: Signal[] = []
    for (let i = 0; i < 6 * 60; i++) {
      const flag = i < 180 && i % 4 === 0 ? 'C' : 'N'
      const sig = evaluateEpisode(s, flagProblem(flag), null, T0 + i * MINUTE)
      if (sig) sigs.push(sig)
    }
    expect(sigs.map((x) => x.type)).toEqual(['fire', 'resolve'])
  })

  it('impossible values', () => {
    expect(dustImplausible(-0.1, NaN, NaN)).toBe('negative_concentration')
    expect(dustImplausible(0.5, 0.3, 0.4)).toBe('pm25_above_pm10')
    expect(dustImplausible(0.5, 0.55, 0.2)).toBeNull() // within 10 % + 0.005
    expect(dustImplausible(0.5, 0.7, 0.2)).toBe('pm10_above_tsp')
    expect(dustImplausible(0.5, NaN, 0.9)).toBe('pm25_above_tsp')
    expect(dustImplausible(0.6, 0.3, 0.1)).toBeNull()
    expect(oreImplausible(-3)).toBe('negative_tonnes')
    expect(oreImplausible(30)).toBeNull()
    expect(flagProblem('N')).toBeNull()
    expect(flagProblem(undefined)).toBeNull()
    expect(flagProblem('T')).toBe('flag_T')
  })

  it('stuck: fires after stuckAfterS unchanged, holds, resolves when the value moves; noise never fires', () => {
    const s = createStuckState()
    const sigs: Signal[] = []
    for (let i = 0; i < 5 * 60; i++) {
      const v = i >= 60 && i < 200 ? 0.412 : 0.4 + (i % 7) / 100
      const sig = evaluateStuck(s, v, T0 + i * MINUTE, 3600)
      if (sig) sigs.push(sig)
    }
    expect(sigs.map((x) => x.type)).toEqual(['fire', 'resolve'])
    expect(sigs[0]!.at).toBe(T0 + 60 * MINUTE + HOUR)
    expect(sigs[1]!.at).toBe(T0 + 200 * MINUTE)
    // a value that changes only once an hour flaps at most once per stuck period: never fires for 59 min steps
    const t = createStuckState()
    let n = 0
    for (let i = 0; i < 10 * 60; i++) if (evaluateStuck(t, Math.floor(i / 59), T0 + i * MINUTE, 3600)) n++
    expect(n).toBe(0)
  })
})
