/** The email message format (alerts/notify/email.ts, smtp.ts) and the email subscription config (core/config.ts). */
import { describe, it, expect } from 'vitest'
import { encodeHeader, base64Lines, emailMessage, mailDate, parseEmailBody } from '../../../alerts/notify/email.js'
import { dotStuff } from '../../../alerts/notify/smtp.js'
import { demoConfig } from '../../helpers/minewatch.js'

const decodeWords = (h: string) => h.split(/\r\n /).map((w) => {
  const m = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/.exec(w)
  if (!m) throw new Error(`not an encoded-word: ${w}`)
  return Buffer.from(m[1]!, 'base64')
})

describe('email format', () => {
  it('plain ASCII subjects stay as they are; anything else becomes UTF-8 encoded-words of at most 75 characters, never splitting a character', () => {
    expect(encodeHeader('[ALARM] Dust exceedance')).toBe('[ALARM] Dust exceedance')
    const s = '【报警】扬尘超标 · 湖州长兴某建筑石料矿 — 边界监测点 ZJ-DUST04 PM10 小时均值 😷 超标'
    const enc = encodeHeader(s)
    const words = enc.split('\r\n ')
    expect(words.length).toBeGreaterThan(2)
    for (const w of words) expect(w.length).toBeLessThanOrEqual(75)
    // each word decodes to whole characters on its own (a client may decode them one by one)
    for (const b of decodeWords(enc)) expect(Buffer.from(b.toString('utf8'), 'utf8').equals(b)).toBe(true)
    expect(Buffer.concat(decodeWords(enc)).toString('utf8')).toBe(s)
    // a header cannot be broken into two by a line break in the text
    expect(encodeHeader('a\r\nBcc: x@y')).toBe('a Bcc: x@y')
    // "=?" in ASCII is encoded, so a client never reads it as a word of its own
    expect(encodeHeader('=?x?=')).toMatch(/^=\?UTF-8\?B\?/)
  })

  it('base64 body lines are at most 76 characters and decode to the text with CRLF line ends', () => {
    const text = '粉尘'.repeat(100) + '\n第二行'
    const lines = base64Lines(text).split('\r\n')
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(76)
    expect(Buffer.from(lines.join(''), 'base64').toString('utf8')).toBe(text.replace('\n', '\r\n'))
  })

  it('dot-stuffing doubles a leading dot on every line and ends with CRLF', () => {
    expect(dotStuff('a\n.b\n..c\n.')).toBe('a\r\n..b\r\n...c\r\n..\r\n')
    expect(dotStuff('x\r\ny\r\n')).toBe('x\r\ny\r\n')
  })

  it('the message carries the delivery id as Message-ID and an RFC 5322 date', () => {
    const m = emailMessage({ subject: 'S', text: 'T' }, { from: 'a@mine.example', to: ['b@mine.example', 'c@mine.example'] }, 'id-1', Date.UTC(2026, 11, 2, 8, 0, 5))
    expect(m).toContain('\r\nMessage-ID: <id-1@mine.example>\r\n')
    expect(m).toContain('\r\nTo: b@mine.example, c@mine.example\r\n')
    expect(m).toContain('\r\nDate: Wed, 02 Dec 2026 08:00:05 +0000\r\n')
    expect(mailDate(0)).toBe('Thu, 01 Jan 1970 00:00:00 +0000')
    expect(() => parseEmailBody('[1]')).toThrow(/email body is not JSON \{ subject, text \}/)
  })
})

describe('email subscription config', () => {
  const sub = (email: string) => `alerts:\n  subscriptions:\n    - { id: m, type: email, email: { ${email} } }\n`
  it('takes host, tls, user + passwordEnv, from and to', () => {
    const c = demoConfig(sub('host: smtp.mine.example, tls: implicit, user: u, passwordEnv: PW, from: a@mine.example, to: [b@mine.example]')).config
    expect(c.alerts.subscriptions[0]!.email).toMatchObject({ host: 'smtp.mine.example', tls: 'implicit', user: 'u', passwordEnv: 'PW', to: ['b@mine.example'] })
    expect(demoConfig(sub('host: h, from: a@mine.example, to: [b@mine.example]')).config.alerts.subscriptions[0]!.email!.tls).toBe('starttls')
  })
  it.each([
    ['host: h, from: a@x, to: []', /email\.to: /],
    ['host: h, from: not-an-address, to: [b@x]', /email\.from: an email address/],
    ['host: h, user: u, from: a@x, to: [b@x]', /email\.passwordEnv: user and passwordEnv go together/],
    ['host: h, tls: none, user: u, passwordEnv: P, from: a@x, to: [b@x]', /email\.tls: AUTH over tls: none sends the password in clear/],
    ['host: h, from: "a@x>\\r\\nRCPT TO:<c@x", to: [b@x]', /email\.from: an email address/]
  ])('refuses %s', (email, want) => {
    expect(() => demoConfig(sub(email))).toThrow(want)
  })
  it('an email subscription needs email:, and only it takes one', () => {
    expect(() => demoConfig('alerts:\n  subscriptions:\n    - { id: m, type: email }\n')).toThrow(/subscriptions\[0\]\.email: an email subscription needs email/)
    expect(() => demoConfig('alerts:\n  subscriptions:\n    - { id: m, type: mqtt, email: { host: h, from: a@x, to: [b@x] } }\n')).toThrow(/only an email subscription takes it/)
  })
})
