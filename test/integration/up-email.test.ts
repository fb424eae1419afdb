/**
 * Email through `minewatch up`: a dust exceedance at a boundary monitor is delivered by the
 * email subscription to a real SMTP server (Exim, test/helpers/exim.ts) over STARTTLS with AUTH,
 * in Chinese; a second subscription naming a mailbox the server does not have becomes a dead
 * letter with the server's 550, and does not hold up the first.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, publishReadings, demoConfig, api } from '../helpers/minewatch.js'
import { waitFor } from '../helpers/ports.js'
import { startExim, decodeMail, type EximHandle } from '../helpers/exim.js'

const SITE = 'zj-huzhou-quarry'
const MONITOR = 'ZJ-DUST04' // a boundary monitor: GB 16297-1996 applies
const PW_ENV = 'MW_TEST_UP_SMTP_PW'

describe('email through minewatch up', () => {
  let x: EximHandle
  beforeAll(async () => { x = await startExim(); process.env[PW_ENV] = x.password }) // the notifier reads its password from the environment
  afterAll(async () => { delete process.env[PW_ENV]; await x?.stop() })

  it('an alert arrives by email in Chinese; an unknown mailbox is a dead letter with the server\'s answer', async () => {
    const smtp = `host: 127.0.0.1, port: ${x.smtpPort}, tls: starttls, caFile: "${x.caFile}", user: "${x.user}", passwordEnv: ${PW_ENV}, from: minewatch@mine.example`
    const mw = await startTestMinewatch({
      config: demoConfig([
        'alerts:',
        '  retry: { initialMs: 100, maxMs: 400 }',
        '  subscriptions:',
        `    - { id: ops-mail, type: email, sites: [${SITE}], email: { ${smtp}, to: [ops@mine.example, duty@mine.example] } }`,
        `    - { id: typo-mail, type: email, sites: [${SITE}], email: { ${smtp}, to: [opps@mine.example] } }`
      ].join('\n') + '\n', { [PW_ENV]: x.password }),
      clock: { now: () => Date.now() + 4 * 3_600_000 } // event time ahead, so 70 minutes of readings are not in the future
    })
    try {
      const t0 = Date.now()
      // 70 minutes at TSP 2.5 mg/m³ at a boundary monitor: over GB 16297-1996's 1.0 mg/m³
      await publishReadings(mw, SITE, 'dust', MONITOR, Array.from({ length: 70 }, (_, i) => ({ ts: t0 + i * 60_000, seq: i, tsp: 2500, pm10: 250, pm25: 125 })))

      const dust = (box: string) => x.messages(box).map(decodeMail).find((d) => d.text.includes('GB 16297-1996'))
      await waitFor(() => dust('ops') !== undefined && dust('duty') !== undefined, 20_000, 'the dust alert email in both mailboxes')
      const m = dust('ops')!
      expect(m.subject).toMatch(/^【(报警|预警)】.+ · 湖州长兴某建筑石料矿$/)
      expect(m.text).toContain(MONITOR)
      expect(m.text).toContain('GB 16297-1996')
      expect(m.text).toMatch(/矿山: 湖州长兴某建筑石料矿 \(zj-huzhou-quarry\)/)
      expect(m.headers.get('to')).toBe('ops@mine.example, duty@mine.example')
      expect(m.headers.get('received')).toMatch(/esmtpsa/)
      const id = m.headers.get('x-minewatch-delivery')!

      let dead: Array<{ subscription: string, channel: string, answer: string, payload: string }> = []
      await waitFor(async () => {
        dead = (await (await api(mw, '/api/v1/deliveries/dead')).json() as { items: typeof dead }).items
        return dead.some((d) => d.payload.includes('GB 16297-1996'))
      }, 20_000, 'the dead letter of the unknown mailbox')
      expect(dead.every((d) => d.subscription === 'typo-mail' && d.channel === 'email')).toBe(true)
      const letter = dead.find((d) => d.payload.includes('GB 16297-1996'))!
      expect(letter.answer).toMatch(/^opps@mine\.example: 550 5\.1\.1 .*unknown user/)
      // the body kept is what the right subscription delivered (same alert, same text)
      expect(JSON.parse(letter.payload)).toEqual({ subject: m.subject, text: m.text })
      // the delivery of ops-mail went once, with its stable id as the Message-ID
      expect(m.headers.get('message-id')).toBe(`<${id}@mine.example>`)
    } finally {
      await mw.cleanup()
    }
  })
})
