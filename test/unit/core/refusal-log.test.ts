import { describe, it, expect, afterEach } from 'vitest'
import { Writable } from 'node:stream'
import { createLogger } from '../../../core/log.js'
import { RefusalLog } from '../../../core/refusal-log.js'

interface Line { msg: string, level: number, address?: string, addresses?: number, reason?: string, refusals?: number, reasons?: Record<string, number>, aggregated?: boolean, username?: string }

function capture (): { lines: Line[], log: RefusalLog } {
  const lines: Line[] = []
  const destination = new Writable({ write (chunk: Buffer, _e, cb) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Line); cb() } })
  // an interval long enough never to end during a test: flush() ends it
  const log = new RefusalLog(createLogger({ level: 'info', destination }), { message: 'login refused', intervalMs: 3_600_000, maxAddresses: 3 })
  logs.push(log)
  return { lines, log }
}
const logs: RefusalLog[] = []
afterEach(() => { for (const l of logs.splice(0)) l.close() })

describe('RefusalLog', () => {
  it('logs the first refusal of an address at once, with its fields, and counts the rest into one line', () => {
    const { lines, log } = capture()
    log.note('10.0.0.1', 'bad_password', { username: 'ZJ-DUST01' })
    expect(lines).toEqual([expect.objectContaining({ msg: 'login refused', level: 40, address: '10.0.0.1', reason: 'bad_password', username: 'ZJ-DUST01' })])
    for (let i = 0; i < 99; i++) log.note('10.0.0.1', i < 9 ? 'bad_password' : 'blocked', { username: `U${i}` })
    expect(lines).toHaveLength(1)
    log.flush()
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatchObject({ msg: 'login refused (more from this address)', address: '10.0.0.1', refusals: 99, reasons: { bad_password: 9, blocked: 90 }, aggregated: true })
    expect(JSON.stringify(lines[1])).not.toContain('U5') // later fields are not kept
  })

  it('starts afresh after each interval, and writes no summary for an address refused once', () => {
    const { lines, log } = capture()
    log.note('10.0.0.1', 'busy')
    log.flush()
    expect(lines).toHaveLength(1)
    log.note('10.0.0.1', 'busy')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatchObject({ msg: 'login refused', address: '10.0.0.1' })
  })

  it('past maxAddresses an interval folds every other address into one line: the log stays bounded', () => {
    const { lines, log } = capture()
    for (let i = 0; i < 1000; i++) log.note(`10.1.${i >> 8}.${i & 0xff}`, i % 2 ? 'unknown_user' : 'busy')
    expect(lines).toHaveLength(3) // maxAddresses
    log.flush()
    expect(lines).toHaveLength(4)
    expect(lines[3]).toMatchObject({ refusals: 997, addresses: 997, reasons: { unknown_user: 499, busy: 498 }, aggregated: true })
  })

  it('close() writes what is pending', () => {
    const { lines, log } = capture()
    log.note('10.0.0.9', 'blocked')
    log.note('10.0.0.9', 'blocked')
    log.close()
    expect(lines.at(-1)).toMatchObject({ address: '10.0.0.9', refusals: 1 })
  })
})
