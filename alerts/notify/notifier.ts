/**
 * Notifier: the one interface every delivery channel implements (webhook, DingTalk, WeCom,
 * MQTT, email, Aliyun and Tencent SMS). test/contract/notifier.ts is its contract suite.
 *
 * send() resolves when the receiver took the delivery. Otherwise it rejects with a
 * MinewatchError that answers "retry?": MW_DELIVERY_FAILED (canRetry(): the receiver is down,
 * busy or rate-limiting; retryAfterMs when it said when) or MW_DELIVERY_REFUSED (never: a 4xx
 * other than 408/429, a robot errcode meaning bad token, signature or payload). Both carry the
 * receiver's answer in details.answer when there was one (answerOf()).
 */
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import type { Clock } from '../../core/clock.js'
import { MinewatchError } from '../../core/errors.js'
import type { Subscription } from './subscriptions.js'
import { sendWebhook } from './webhook.js'
import { sendDingTalk } from './dingtalk.js'
import { sendWeCom } from './wecom.js'
import { sendMqtt } from './mqtt.js'
import { sendEmail, type EmailTarget } from './email.js'
import { smsSender, type SmsTarget } from './sms.js'

export type Channel = Subscription['type']

/** One delivery: its id (stable across retries) and the body built when it was enqueued. */
export interface Delivery { id: string, payload: string }

export interface Notifier {
  readonly channel: Channel
  send(d: Delivery): Promise<void>
}

export interface NotifierDeps {
  fetch: typeof fetch
  /** Publishes on the embedded broker (MQTT subscriptions). */
  publish: (topic: string, payload: string) => Promise<void>
  /** Receivers compare signature timestamps with their own clocks: wall-clock time, not a simulated one. */
  wallClock: Clock
  /** Where passwordEnv names are looked up (default process.env). */
  env?: NodeJS.ProcessEnv
}

/** Vendors' SendSms endpoints. */
const SMS_ENDPOINTS = { aliyun: 'https://dysmsapi.aliyuncs.com/', tencent: 'https://sms.tencentcloudapi.com/' } as const

/** The vendor account of an SMS subscription; its secret from the environment. */
export function smsTarget (sub: Subscription, env: NodeJS.ProcessEnv): SmsTarget {
  const s = sub.sms
  if (!s) throw new MinewatchError('MW_CONFIG_INVALID', `subscription '${sub.id}': type ${sub.type} needs sms: { keyId, secretEnv, signName, templateId, phones }`)
  const secret = env[s.secretEnv]
  if (secret === undefined || secret === '') throw new MinewatchError('MW_CONFIG_INVALID', `subscription '${sub.id}': environment variable ${s.secretEnv} (the SMS secret key) is not set`)
  const vendor = sub.type === 'tencent_sms' ? 'tencent' : 'aliyun'
  return {
    vendor, endpoint: s.endpoint ?? SMS_ENDPOINTS[vendor], keyId: s.keyId, secret, signName: s.signName, templateId: s.templateId,
    sdkAppId: s.sdkAppId, region: s.region, phones: s.phones, minIntervalMs: s.minIntervalS * 1000
  }
}

/** EHLO takes a domain (RFC 5321 §4.1.1.1): a host name that is not one is sent as the address literal of nowhere in particular. */
function ehloName (host: string): string {
  return /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host) ? host : '[127.0.0.1]'
}

/** The SMTP server and addresses of an email subscription; its password from the environment, its CA file read now. */
export function emailTarget (sub: Subscription, env: NodeJS.ProcessEnv): EmailTarget {
  const e = sub.email
  if (!e) throw new MinewatchError('MW_CONFIG_INVALID', `subscription '${sub.id}': type email needs email: { host, from, to }`)
  let auth: { user: string, password: string } | undefined
  if (e.user !== undefined && e.passwordEnv !== undefined) {
    const password = env[e.passwordEnv]
    if (password === undefined || password === '') throw new MinewatchError('MW_CONFIG_INVALID', `subscription '${sub.id}': environment variable ${e.passwordEnv} (the SMTP password) is not set`)
    auth = { user: e.user, password }
  }
  let ca: string | undefined
  if (e.caFile !== undefined) {
    try { ca = readFileSync(e.caFile, 'utf8') } catch (err) {
      throw new MinewatchError('MW_CONFIG_INVALID', `subscription '${sub.id}': email.caFile ${e.caFile}: ${(err as Error).message}`, { cause: err })
    }
  }
  const port = e.port ?? (e.tls === 'implicit' ? 465 : e.tls === 'starttls' ? 587 : 25) // RFC 8314 465, RFC 6409 587, RFC 5321 25
  return { server: { host: e.host, port, tls: e.tls, ca, auth, clientName: ehloName(hostname()) }, from: e.from, to: e.to }
}

/** The notifier of one subscription (config checked: url and, for webhooks, secret are set). */
export function createNotifier (sub: Subscription, deps: NotifierDeps): Notifier {
  const url = sub.url ?? ''
  switch (sub.type) {
    case 'webhook': return { channel: 'webhook', send: (d) => sendWebhook(deps.fetch, url, sub.secret ?? '', d.id, d.payload, deps.wallClock.now()) }
    case 'dingtalk': return { channel: 'dingtalk', send: (d) => sendDingTalk(deps.fetch, url, sub.secret, d.payload, deps.wallClock.now()) }
    case 'wecom': return { channel: 'wecom', send: (d) => sendWeCom(deps.fetch, url, d.payload) }
    case 'mqtt': return { channel: 'mqtt', send: (d) => sendMqtt(deps.publish, d.payload) }
    case 'email': {
      const target = emailTarget(sub, deps.env ?? process.env)
      return { channel: 'email', send: (d) => sendEmail(target, d.id, d.payload, deps.wallClock.now()) }
    }
    case 'aliyun_sms':
    case 'tencent_sms': {
      const send = smsSender(deps.fetch, smsTarget(sub, deps.env ?? process.env), () => deps.wallClock.now())
      return { channel: sub.type, send: (d) => send(d.payload) }
    }
  }
}
