/**
 * A small SMTP submission client (RFC 5321, RFC 3207 STARTTLS, RFC 4954 AUTH with the PLAIN
 * (RFC 4616) and LOGIN mechanisms) over node:net / node:tls: one connection per message.
 *
 * Every failure answers "retry?" like the HTTP notifiers (http.ts): a 4xx reply, a dropped
 * connection, a timeout or a TLS failure → MW_DELIVERY_FAILED (retried); a 5xx reply →
 * MW_DELIVERY_REFUSED (dead letter) with the server's reply as the answer.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { isMinewatchError } from '../../core/errors.js'
import { deliveryError, DELIVERY_TIMEOUT_MS } from './http.js'

export type SmtpTls = 'starttls' | 'implicit' | 'none'

export interface SmtpServer {
  host: string
  port: number
  /** starttls: plain connect then STARTTLS (required: no fallback to clear text); implicit: TLS from the first byte (port 465). */
  tls: SmtpTls
  /** PEM CA certificates to trust instead of the system's (an internal mail relay). */
  ca?: string
  /** AUTH credentials; no AUTH when absent. */
  auth?: { user: string, password: string }
  /** Name sent in EHLO. */
  clientName: string
}

export interface SmtpEnvelope { from: string, to: readonly string[] }

/** One server reply: its code and lines (without the code). */
interface Reply { code: number, lines: string[] }

function replyText (r: Reply): string {
  return `${r.code} ${r.lines.join(' ')}`.trim()
}

/** A 2xx/3xx reply passes; a 4xx is retried, a 5xx (and anything else) refused, both with the reply as the answer. */
function expectCode (r: Reply, ok: number, step: string, where: string): void {
  if (r.code === ok) return
  const answer = replyText(r)
  throw deliveryError(r.code >= 400 && r.code < 500, `${where}: ${step}: ${answer.slice(0, 200)}`, answer)
}

/** Reads CRLF-terminated reply lines from a socket; a reply ends at a line "NNN " (not "NNN-"). */
class ReplyReader {
  private buf = ''
  private lines: string[] = []
  private waiting: { resolve: (r: Reply) => void, reject: (e: Error) => void } | null = null
  private failure: Error | null = null
  private readonly onData = (chunk: Buffer): void => { this.buf += chunk.toString('utf8'); this.pump() }
  private readonly onError = (err: Error): void => { this.fail(err) }
  private readonly onClose = (): void => { this.fail(new Error('connection closed by the server')) }

  constructor (private socket: Socket) { this.attach() }

  private attach (): void {
    this.socket.on('data', this.onData)
    this.socket.on('error', this.onError)
    this.socket.on('close', this.onClose)
  }

  /** Moves to a new socket (after STARTTLS wraps the old one). */
  rebind (socket: Socket): void {
    this.socket.off('data', this.onData)
    this.socket.off('error', this.onError)
    this.socket.off('close', this.onClose)
    this.socket = socket
    this.attach()
  }

  private fail (err: Error): void {
    this.failure ??= err
    const w = this.waiting
    this.waiting = null
    w?.reject(err)
  }

  private pump (): void {
    let i: number
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).replace(/\r$/, '')
      this.buf = this.buf.slice(i + 1)
      const m = /^(\d{3})([ -]?)(.*)$/.exec(line)
      if (!m) { this.fail(new Error(`not an SMTP reply line: ${line.slice(0, 100)}`)); return }
      this.lines.push(m[3]!)
      if (m[2] !== '-') {
        const reply = { code: Number(m[1]), lines: this.lines }
        this.lines = []
        const w = this.waiting
        this.waiting = null
        if (w) w.resolve(reply)
        else { this.fail(new Error(`unexpected SMTP reply: ${replyText(reply).slice(0, 100)}`)); return }
      }
    }
    if (this.buf.length > 64 * 1024) this.fail(new Error('SMTP reply line longer than 64 KiB'))
  }

  next (): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => { this.waiting = { resolve, reject }; this.pump() })
  }
}

/** Dot-stuffing (RFC 5321 §4.5.2): a line starting with "." gets another; the message ends with CRLF.CRLF. */
export function dotStuff (message: string): string {
  const crlf = message.replace(/\r?\n/g, '\r\n')
  return (crlf.endsWith('\r\n') ? crlf : `${crlf}\r\n`).replace(/^\./gm, '..')
}

/** An address as MAIL FROM / RCPT TO take it; CR, LF, <, > are refused (they would inject commands). */
function pathOf (address: string): string {
  if (/[\r\n<>\s]/.test(address)) throw deliveryError(false, `bad email address ${JSON.stringify(address)}`, null)
  return `<${address}>`
}

/** SNI takes a host name, never an address (RFC 6066 §3); the certificate is still checked against the address. */
function serverName (host: string): string | undefined {
  return isIP(host) === 0 ? host : undefined
}

/** Connects (and for implicit TLS, handshakes) within DELIVERY_TIMEOUT_MS: a host that drops the SYN is down, not slow. */
function connectSocket (server: SmtpServer, where: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error & { code?: string }): void => { clearTimeout(timer); reject(deliveryError(true, `${where}: ${err.code ?? err.name}: ${err.message}`, null, { cause: err })) }
    const onConnect = (): void => { clearTimeout(timer); s.off('error', onError); resolve(s) }
    const s: Socket = server.tls === 'implicit'
      ? tlsConnect({ host: server.host, port: server.port, servername: serverName(server.host), ca: server.ca }, onConnect)
      : netConnect({ host: server.host, port: server.port }, onConnect)
    s.once('error', onError)
    const timer = setTimeout(() => s.destroy(Object.assign(new Error(`not connected within ${DELIVERY_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })), DELIVERY_TIMEOUT_MS)
  })
}

function upgrade (socket: Socket, server: SmtpServer): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = tlsConnect({ socket, host: server.host, servername: serverName(server.host), ca: server.ca }, () => { t.off('error', reject); resolve(t) })
    t.once('error', reject)
  })
}

/** The EHLO keywords (upper case) with their parameters. */
function extensions (r: Reply): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of r.lines.slice(1)) {
    const [k, ...rest] = line.trim().split(/\s+/)
    if (k) out.set(k.toUpperCase(), rest.join(' '))
  }
  return out
}

/**
 * Sends one message (headers and body, LF or CRLF line ends) to every address of `env.to`.
 * A recipient refused with 5xx is skipped and the message goes to the others; then the send
 * rejects with MW_DELIVERY_REFUSED naming the refused ones (a wrong address in the config is a
 * dead letter, but does not keep the alert from the right ones). A 4xx for any recipient, or
 * all refused, sends nothing (RSET).
 */
export async function sendSmtp (server: SmtpServer, env: SmtpEnvelope, message: string): Promise<void> {
  const where = `smtp ${server.host}:${server.port}`
  let socket = await connectSocket(server, where)
  const reader = new ReplyReader(socket)
  const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${DELIVERY_TIMEOUT_MS} ms`)), DELIVERY_TIMEOUT_MS)
  const cmd = async (line: string): Promise<Reply> => { socket.write(`${line}\r\n`); return await reader.next() }
  try {
    expectCode(await reader.next(), 220, 'greeting', where)
    let ehlo = await cmd(`EHLO ${server.clientName}`)
    expectCode(ehlo, 250, 'EHLO', where)
    if (server.tls === 'starttls') {
      if (!extensions(ehlo).has('STARTTLS')) {
        throw deliveryError(false, `${where}: the server does not offer STARTTLS (tls: starttls never falls back to clear text)`, replyText(ehlo))
      }
      expectCode(await cmd('STARTTLS'), 220, 'STARTTLS', where)
      const tls = await upgrade(socket, server)
      socket = tls
      reader.rebind(tls)
      ehlo = await cmd(`EHLO ${server.clientName}`)
      expectCode(ehlo, 250, 'EHLO after STARTTLS', where)
    }
    if (server.auth) {
      const mechs = (extensions(ehlo).get('AUTH') ?? '').toUpperCase().split(/\s+/)
      const { user, password } = server.auth
      if (mechs.includes('PLAIN')) {
        expectCode(await cmd(`AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`, 'utf8').toString('base64')}`), 235, 'AUTH PLAIN', where)
      } else if (mechs.includes('LOGIN')) {
        expectCode(await cmd('AUTH LOGIN'), 334, 'AUTH LOGIN', where)
        expectCode(await cmd(Buffer.from(user, 'utf8').toString('base64')), 334, 'AUTH LOGIN user', where)
        expectCode(await cmd(Buffer.from(password, 'utf8').toString('base64')), 235, 'AUTH LOGIN password', where)
      } else {
        throw deliveryError(false, `${where}: the server offers no AUTH PLAIN or LOGIN (offered: ${mechs.join(' ') || 'none'})`, replyText(ehlo))
      }
    }
    expectCode(await cmd(`MAIL FROM:${pathOf(env.from)}`), 250, 'MAIL FROM', where)
    const refused: string[] = []
    let accepted = 0
    for (const to of env.to) {
      const r = await cmd(`RCPT TO:${pathOf(to)}`)
      if (r.code === 250 || r.code === 251) { accepted++; continue }
      if (r.code >= 400 && r.code < 500) { await cmd('RSET'); expectCode(r, 250, `RCPT TO ${to}`, where) }
      refused.push(`${to}: ${replyText(r)}`)
    }
    if (accepted === 0) {
      await cmd('RSET')
      throw deliveryError(false, `${where}: every recipient refused: ${refused.join('; ').slice(0, 200)}`, refused.join('; '))
    }
    expectCode(await cmd('DATA'), 354, 'DATA', where)
    expectCode(await cmd(`${dotStuff(message)}.`), 250, 'end of DATA', where)
    await cmd('QUIT').catch(() => undefined)
    if (refused.length > 0) {
      throw deliveryError(false, `${where}: delivered to ${accepted} recipient(s), refused: ${refused.join('; ').slice(0, 200)}`, refused.join('; '))
    }
  } catch (err) {
    if (isMinewatchError(err)) throw err
    const e = err as Error & { code?: string }
    throw deliveryError(true, `${where}: ${e.code ?? e.name}: ${e.message}`, null, { cause: err })
  } finally {
    clearTimeout(timer)
    socket.destroy()
  }
}
