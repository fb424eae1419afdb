import { describe, it, expect } from 'vitest'
import { createOfflineState, checkOffline, seenOffline } from '../../../alerts/rules/device-offline.js'
import type { Signal } from '../../../alerts/rules/signal.js'
import { ManualClock } from '../../../core/clock.js'
import { SECOND, MINUTE, HOUR } from '../../../core/time.js'

const T0 = Date.UTC(2025, 2, 1)

describe('device_offline rule', () => {
  it('fires on the clock after factor × interval, holds, resolves when the device reports at cadence again', () => {
    const clock = new ManualClock(T0)
    const s = createOfflineState(60, 3, T0) // 60 s interval, factor 3: 180 s
    const sigs: Signal[] = []
    const step = (reading: boolean) => {
      clock.advance(60 * SECOND)
      if (reading) { const r = seenOffline(s, clock.now()); if (r) sigs.push(r) }
      const c = checkOffline(s, clock.now()); if (c) sigs.push(c)
    }
    for (let i = 0; i < 60; i++) step(true) // 1 h normal
    for (let i = 0; i < 120; i++) step(false) // 2 h silent
    for (let i = 0; i < 60; i++) step(true) // back
    expect(sigs.map((x) => [x.type, x.reason])).toEqual([['fire', 'no_reading_within_limit'], ['resolve', 'reporting_again']])
    expect(sigs[0]!.at).toBe(T0 + HOUR + 180 * SECOND) // event time: last reading + limit
    expect(sigs[1]!.at).toBe(T0 + 3 * HOUR + 2 * MINUTE) // the second reading after the outage
  })

  it('fires from reading timestamps alone when no clock check ran (fast-forwarded replay)', () => {
    const s = createOfflineState(60, 3, T0)
    expect(seenOffline(s, T0 + 60 * SECOND)).toBeNull()
    const f = seenOffline(s, T0 + HOUR)
    expect(f).toMatchObject({ type: 'fire', at: T0 + 60 * SECOND + 180 * SECOND, reason: 'gap_between_readings' })
    expect(seenOffline(s, T0 + HOUR + 60 * SECOND)).toMatchObject({ type: 'resolve' })
    expect(seenOffline(s, T0 + 30 * SECOND)).toBeNull() // late data says nothing
  })

  it('gaps hovering around the limit give one alert, not a stream', () => {
    const clock = new ManualClock(T0)
    const s = createOfflineState(60, 3, T0)
    const sigs: Signal[] = []
    for (let i = 0; i < 200; i++) {
      // gaps alternate 170 s and 190 s for ~10 hours, with the clock checked every 10 s
      const gap = i % 2 ? 170 : 190
      for (let k = 0; k < gap; k += 10) {
        clock.advance(10 * SECOND)
        const c = checkOffline(s, clock.now()); if (c) sigs.push(c)
      }
      const r = seenOffline(s, clock.now()); if (r) sigs.push(r)
    }
    expect(sigs.map((x) => x.type)).toEqual(['fire'])
  })
})
