/**
 * Email: the body kept in the outbox is JSON { subject, text } (built at enqueue time, payload.ts);
 * each attempt wraps it in a MIME message (RFC 5322, RFC 2045) and submits it over SMTP (smtp.ts):
 *   Subject: RFC 2047 UTF-8 encoded-words ("=?UTF-8?B?...?="), folded, never splitting a character
 *   Content-Type: text/plain; charset=UTF-8, Content-Transfer-Encoding: base64 (76-character lines)
 *   Message-ID: <delivery id@from domain>, the same on every retry (mail clients drop duplicates)
 */
import { hostname } from 'node:os'
import { deliveryError } from './http.js'
import { sendSmtp, type SmtpServer } from './smtp.js'
import { DELIVERY_HEADER } from './webhook.js'

export interface EmailBody { subject: string, text: string }

export interface EmailTarget { server: SmtpServer, from: string, to: readonly string[] }

/** An encoded-word holds at most 75 characters (RFC 2047 §2): 45 UTF-8 bytes make 60 base64 characters + 12 of "=?UTF-8?B??=". */
const WORD_BYTES = 45

/** A header value as RFC 2047 encoded-words when it is not plain printable ASCII, folded one word a line. */
export function encodeHeader (value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ')
  if (/^[\x20-\x7e]*$/.test(flat) && !flat.includes('=?') && flat.length <= 900) return flat
  const words: string[] = []
  let chunk = ''
  for (const ch of flat) { // by code point: a character is never split between two words
    if (Buffer.byteLength(chunk + ch) > WORD_BYTES) { words.push(chunk); chunk = '' }
    chunk += ch
  }
  if (chunk !== '' || words.length === 0) words.push(chunk)
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ')
}

/** Base64 of the UTF-8 text in lines of 76 characters (RFC 2045 §6.8). */
export function base64Lines (text: string): string {
  const b = Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8').toString('base64')
  return (b.match(/.{1,76}/g) ?? ['']).join('\r\n')
}

/** RFC 5322 date-time in UTC: "Wed, 02 Dec 2026 16:05:51 +0000". */
export function mailDate (ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000')
}

function domainOf (address: string): string {
  const i = address.lastIndexOf('@')
  return i < 0 ? hostname() : address.slice(i + 1)
}

/** Reads a stored body; a body that is not { subject, text } is refused (it can never be sent). */
export function parseEmailBody (payload: string): EmailBody {
  let b: Partial<EmailBody>
  try { b = JSON.parse(payload) as Partial<EmailBody> } catch { b = {} }
  if (typeof b?.subject !== 'string' || typeof b.text !== 'string') {
    throw deliveryError(false, 'email body is not JSON { subject, text }', null)
  }
  return { subject: b.subject, text: b.text }
}

/** The whole MIME message of one delivery, CRLF line ends. */
export function emailMessage (body: EmailBody, target: Omit<EmailTarget, 'server'>, deliveryId: string, nowMs: number): string {
  return [
    `From: ${target.from}`,
    `To: ${target.to.join(', ')}`,
    `Subject: ${encodeHeader(body.subject)}`,
    `Date: ${mailDate(nowMs)}`,
    `Message-ID: <${deliveryId}@${domainOf(target.from)}>`,
    `${DELIVERY_HEADER}: ${deliveryId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(body.text),
    ''
  ].join('\r\n')
}

/** Delivers one stored body; `nowMs` is wall-clock time for the Date header. */
export async function sendEmail (target: EmailTarget, deliveryId: string, payload: string, nowMs: number): Promise<void> {
  const message = emailMessage(parseEmailBody(payload), target, deliveryId, nowMs)
  await sendSmtp(target.server, { from: target.from, to: target.to }, message)
}
