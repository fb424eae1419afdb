import { describe, it, expect } from 'vitest'
import { checkTag, createTagState, gapTag, seenTag } from '../../../alerts/rules/tag-lost.js'
import { SECOND } from '../../../core/time.js'

const T0 = Date.UTC(2025, 2, 1)
const LIMIT = 120 * SECOND

describe('tag_lost rule', () => {
  it('fires (clock) when a person tag is not seen for more than the limit, holds, resolves at its next fix', () => {
    const s = createTagState()
    expect(seenTag(s, LIMIT, 'UWB1', true, T0)).toBeNull()
    expect(checkTag(s, T0 + LIMIT, false)).toBeNull() // exactly the limit
    const f = checkTag(s, T0 + LIMIT + SECOND, false)!
    expect([f.type, f.severity, f.reason, f.at, f.value, f.limit]).toEqual(['fire', 'alarm', 'tag_not_seen_within_limit', T0 + LIMIT, 121, 120])
    expect(checkTag(s, T0 + 10 * LIMIT, false)).toBeNull() // holds: one alert
    const r = seenTag(s, LIMIT, 'UWB2', true, T0 + 5 * LIMIT)!
    expect([r.type, r.reason, r.value, r.limit]).toEqual(['resolve', 'tag_seen_again', 600, 120])
    expect(s.device).toBe('UWB2')
  })

  it('a vehicle tag is a warning; a tag where no limit applies, or whose locator is offline, does not fire', () => {
    const v = createTagState()
    seenTag(v, LIMIT, 'GNSS1', false, T0)
    expect(checkTag(v, T0 + 2 * LIMIT, false)!.severity).toBe('warning')
    const free = createTagState()
    seenTag(free, 0, 'UWB1', true, T0)
    expect(checkTag(free, T0 + 100 * LIMIT, false)).toBeNull()
    const relay = createTagState()
    seenTag(relay, LIMIT, 'UWB1', true, T0)
    expect(checkTag(relay, T0 + 2 * LIMIT, true)).toBeNull() // the locator's device_offline explains it
    expect(checkTag(relay, T0 + 3 * LIMIT, false)!.at).toBe(T0 + LIMIT) // the locator is back, the tag is not
  })

  it('a gap between two fixes longer than the limit fires at the gap\'s limit and the fix resolves it (a replay gives the same alert)', () => {
    const s = createTagState()
    seenTag(s, LIMIT, 'UWB1', true, T0)
    expect(gapTag(s, T0 + LIMIT)).toBeNull()
    const f = gapTag(s, T0 + 3 * LIMIT)!
    expect([f.type, f.at, f.reason]).toEqual(['fire', T0 + LIMIT, 'gap_between_fixes'])
    expect(seenTag(s, LIMIT, 'UWB1', true, T0 + 3 * LIMIT)!.type).toBe('resolve')
    expect(seenTag(s, LIMIT, 'UWB1', true, T0)).toBeNull() // late fix
    expect(gapTag(s, T0)).toBeNull()
  })
})
