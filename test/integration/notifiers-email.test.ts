/**
 * The email notifier against a real SMTP server: Debian's Exim (test/helpers/exim.ts) on free
 * ports in a temp dir, delivering to maildirs. The Notifier contract (test/contract/notifier.ts),
 * then what only email has: STARTTLS and implicit TLS with AUTH, the headers and Chinese text as
 * they arrive, a recipient refused by the server's ACL, a wrong password, an untrusted certificate.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { notifierContract } from '../contract/notifier.js'
import { createNotifier, type NotifierDeps } from '../../alerts/notify/notifier.js'
import { answerOf } from '../../alerts/notify/http.js'
import type { Subscription } from '../../alerts/notify/subscriptions.js'
import { systemClock } from '../../core/clock.js'
import { isMinewatchError, type MinewatchError } from '../../core/errors.js'
import { freePort, waitFor } from '../helpers/ports.js'
import { startExim, decodeMail, type EximHandle, type Received } from '../helpers/exim.js'

const PW_ENV = 'MW_TEST_SMTP_PW'

interface SmtpOpts { port: number, tls: 'starttls' | 'implicit' | 'none', auth?: boolean, ca?: string | null, to?: string[] }

function emailSub (x: EximHandle, o: SmtpOpts): Subscription {
  return {
    id: 'mail', type: 'email', allowHttp: false, sites: '*', kinds: '*', minSeverity: 'warning', evidenceEvents: false,
    email: {
      host: '127.0.0.1', port: o.port, tls: o.tls, from: 'minewatch@mine.example', to: o.to ?? ['ops@mine.example'],
      ...(o.ca === null ? {} : { caFile: o.ca ?? x.caFile }),
      ...(o.auth ? { user: x.user, passwordEnv: PW_ENV } : {})
    }
  }
}

function deps (password: string): NotifierDeps {
  return { fetch, publish: async () => {}, wallClock: systemClock, env: { [PW_ENV]: password } }
}

async function failure (p: Promise<void>): Promise<MinewatchError> {
  const err = await p.then(() => null, (e: unknown) => e)
  expect(isMinewatchError(err), `rejects with a MinewatchError, got ${String(err)}`).toBe(true)
  return err as MinewatchError
}

const BODY = JSON.stringify({ subject: '【报警】粉尘超标 · 湖州矿', text: '边界监测点 ZJ-DUST04 PM10 1.2 mg/m³,超过 GB 16297-1996 限值\n.以点开头的一行' })

notifierContract('email', async () => {
  const x = await startExim()
  let seq = 0
  return {
    notifier: createNotifier(emailSub(x, { port: x.smtpPort, tls: 'starttls', auth: true }), deps(x.password)),
    unreachable: createNotifier(emailSub(x, { port: await freePort(), tls: 'starttls', auth: true }), deps(x.password)),
    // 4xx / 5xx come from the server's RCPT ACL; each body differs so arrivals can be told apart
    mode (m) { x.setMode(m); const b = JSON.parse(BODY) as { subject: string, text: string }; return JSON.stringify({ subject: `${b.subject} #${++seq}`, text: b.text }) },
    async received (n) {
      await waitFor(() => x.messages('ops').length >= n, 15_000, `${n} messages in the maildir`)
      return x.messages('ops').map((raw) => { const m = decodeMail(raw); return JSON.stringify({ subject: m.subject, text: m.text }) })
    },
    answers: true,
    close: () => x.stop()
  }
})

describe('email notifier against Exim', () => {
  let x: EximHandle
  beforeAll(async () => { x = await startExim() })
  afterAll(async () => { await x?.stop() })

  const arrived = async (box: string, id: string): Promise<Received> => {
    let raw: string | undefined
    await waitFor(() => (raw = x.messages(box).find((m) => m.includes(`X-Minewatch-Delivery: ${id}`))) !== undefined, 15_000, `delivery ${id} in ${box}`)
    return decodeMail(raw!)
  }

  it('STARTTLS + AUTH: the message arrives with its headers, Chinese subject and text, dot-stuffed lines intact', async () => {
    const n = createNotifier(emailSub(x, { port: x.smtpPort, tls: 'starttls', auth: true, to: ['ops@mine.example', 'duty@mine.example'] }), deps(x.password))
    const long = '【报警】人员越界 · 浙江湖州某某建筑石料矿山有限公司露天采场东侧边坡警戒区 (P-0042 张三)'
    await n.send({ id: 'mail-1', payload: JSON.stringify({ subject: long, text: '第一行\n.第二行以点开头\n..两个点\n.' }) })
    for (const box of ['ops', 'duty']) {
      const m = await arrived(box, 'mail-1')
      expect(m.subject).toBe(long)
      expect(m.text).toBe('第一行\n.第二行以点开头\n..两个点\n.')
      expect(m.headers.get('from')).toBe('minewatch@mine.example')
      expect(m.headers.get('to')).toBe('ops@mine.example, duty@mine.example')
      expect(m.headers.get('message-id')).toBe('<mail-1@mine.example>')
      expect(m.headers.get('content-type')).toBe('text/plain; charset=UTF-8')
      expect(m.headers.get('received')).toMatch(/esmtpsa/) // ESMTP + TLS + AUTH, as the server saw it
    }
    // every encoded-word fits RFC 2047's 75 characters
    const raw = x.messages('ops').find((r) => r.includes('X-Minewatch-Delivery: mail-1'))!
    for (const w of raw.match(/=\?UTF-8\?B\?[^?]*\?=/g) ?? []) expect(w.length).toBeLessThanOrEqual(75)
  })

  it('implicit TLS (SMTPS) with AUTH LOGIN or PLAIN delivers', async () => {
    const n = createNotifier(emailSub(x, { port: x.smtpsPort, tls: 'implicit', auth: true }), deps(x.password))
    await n.send({ id: 'mail-2', payload: BODY })
    const m = await arrived('ops', 'mail-2')
    expect(m.subject).toBe('【报警】粉尘超标 · 湖州矿')
    expect(m.headers.get('received')).toMatch(/esmtpsa/)
  })

  it('a recipient the server does not know: the others get it, the delivery is refused with the server\'s 550', async () => {
    const n = createNotifier(emailSub(x, { port: x.smtpPort, tls: 'starttls', auth: true, to: ['nobody@mine.example', 'duty@mine.example'] }), deps(x.password))
    const err = await failure(n.send({ id: 'mail-3', payload: BODY }))
    expect(err.code).toBe('MW_DELIVERY_REFUSED')
    expect(err.canRetry()).toBe(false)
    expect(answerOf(err)).toMatch(/^nobody@mine\.example: 550 5\.1\.1 .*unknown user/)
    expect((await arrived('duty', 'mail-3')).subject).toBe('【报警】粉尘超标 · 湖州矿')
  })

  it('every recipient refused: nothing is sent, dead letter with the answer', async () => {
    const n = createNotifier(emailSub(x, { port: x.smtpPort, tls: 'starttls', auth: true, to: ['ops@elsewhere.example'] }), deps(x.password))
    const err = await failure(n.send({ id: 'mail-4', payload: BODY }))
    expect(err.code).toBe('MW_DELIVERY_REFUSED')
    expect(answerOf(err)).toMatch(/550 5\.7\.1 relay not permitted/)
  })

  it('a wrong password: 535 → refused (dead letter), the answer kept', async () => {
    const n = createNotifier(emailSub(x, { port: x.smtpPort, tls: 'starttls', auth: true }), deps('not-the-password'))
    const err = await failure(n.send({ id: 'mail-5', payload: BODY }))
    expect(err.code).toBe('MW_DELIVERY_REFUSED')
    expect(answerOf(err)).toMatch(/^535 /)
  })

  it('a certificate not trusted (no caFile for a self-signed server): retried, nothing sent in clear', async () => {
    const n = createNotifier(emailSub(x, { port: x.smtpPort, tls: 'starttls', auth: true, ca: null }), deps(x.password))
    const err = await failure(n.send({ id: 'mail-6', payload: BODY }))
    expect(err.code).toBe('MW_DELIVERY_FAILED')
    expect(err.message).toMatch(/certificate/i)
    expect(answerOf(err)).toBeNull()
  })

  it('a server that accepts the connection and never greets: MW_DELIVERY_FAILED after the 10 s timeout, retried', async () => {
    const silent = createNetServer(() => { /* never answers */ })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const n = createNotifier(emailSub(x, { port: (silent.address() as AddressInfo).port, tls: 'none' }), deps(x.password))
      const err = await failure(n.send({ id: 'mail-8', payload: BODY }))
      expect(err.code).toBe('MW_DELIVERY_FAILED')
      expect(err.message).toMatch(/no answer within 10000 ms/)
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  }, 30_000)

  it('a body that is not { subject, text } is refused before connecting', async () => {
    const n = createNotifier(emailSub(x, { port: x.smtpPort, tls: 'none' }), deps(x.password))
    const err = await failure(n.send({ id: 'mail-7', payload: '{"msgtype":"markdown"}' }))
    expect(err.code).toBe('MW_DELIVERY_REFUSED')
  })

  it('a missing password variable is a config error when the notifier is made', () => {
    expect(() => createNotifier(emailSub(x, { port: x.smtpPort, tls: 'starttls', auth: true }), { ...deps(''), env: {} }))
      .toThrow(/MW_TEST_SMTP_PW \(the SMTP password\) is not set/)
  })
})
