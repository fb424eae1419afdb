/** uplink/items.ts parseDownlink: the province's requests (ack, comment, close) and the exact error for each malformed one. */
import { describe, it, expect } from 'vitest'
import { parseDownlink } from '../../../uplink/items.js'

const NOW = 1_790_000_000_000
const parse = (x: unknown) => parseDownlink(Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)), NOW)

describe('downlink messages', () => {
  it.each([
    [{ type: 'ack', alertId: 'a1', by: 'r', note: 'n', at: 5 }, { type: 'ack', alertId: 'a1', by: 'r', note: 'n', at: 5 }],
    [{ type: 'ack', alertId: 'a1', by: 'r' }, { type: 'ack', alertId: 'a1', by: 'r', note: '', at: NOW }],
    [{ type: 'comment', alertId: 'a1', by: 'r', text: '请复核', at: 6 }, { type: 'comment', alertId: 'a1', by: 'r', text: '请复核', at: 6 }],
    [{ type: 'close', alertId: 'a1', by: 'r', reason: 'rectified', at: 7 }, { type: 'close', alertId: 'a1', by: 'r', reason: 'rectified', text: '', at: 7 }]
  ])('parses %j', (msg, want) => {
    expect(parse(msg)).toEqual(want)
  })

  it.each([
    ['{', 'downlink message is not JSON'],
    ['null', 'downlink message is not an object'],
    [{ type: 'ack', by: 'r' }, 'downlink message needs alertId and by'],
    [{ type: 'ack', alertId: 'a1', by: '' }, 'downlink message needs alertId and by'],
    [{ type: 'comment', alertId: 'a1', by: 'r', text: '  ' }, 'downlink comment needs a text'],
    [{ type: 'close', alertId: 'a1', by: 'r', reason: 'bored' }, 'downlink close reason must be one of false_alarm, device_fault, rectified, other, got "bored"'],
    [{ type: 'delete', alertId: 'a1', by: 'r' }, 'downlink message type must be ack, comment or close, got "delete"']
  ])('refuses %j', (msg, message) => {
    expect(() => parse(msg)).toThrow(message)
  })
})
