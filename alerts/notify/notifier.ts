/**
 * Notifier: the one interface every delivery channel implements (webhook, DingTalk, WeCom,
 * MQTT). test/contract/notifier.ts is its contract suite.
 *
 * send() resolves when the receiver took the delivery. Otherwise it rejects with a
 * MinewatchError that answers "retry?": MW_DELIVERY_FAILED (canRetry(): the receiver is down,
 * busy or rate-limiting; retryAfterMs when it said when) or MW_DELIVERY_REFUSED (never: a 4xx
 * other than 408/429, a robot errcode meaning bad token, signature or payload). Both carry the
 * receiver's answer in details.answer when there was one (answerOf()).
 */
import type { Clock } from '../../core/clock.js'
import type { Subscription } from './subscriptions.js'
import { sendWebhook } from './webhook.js'
import { sendDingTalk } from './dingtalk.js'
import { sendWeCom } from './wecom.js'
import { sendMqtt } from './mqtt.js'

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
}

/** The notifier of one subscription (config checked: url and, for webhooks, secret are set). */
export function createNotifier (sub: Subscription, deps: NotifierDeps): Notifier {
  const url = sub.url ?? ''
  switch (sub.type) {
    case 'webhook': return { channel: 'webhook', send: (d) => sendWebhook(deps.fetch, url, sub.secret ?? '', d.id, d.payload, deps.wallClock.now()) }
    case 'dingtalk': return { channel: 'dingtalk', send: (d) => sendDingTalk(deps.fetch, url, sub.secret, d.payload, deps.wallClock.now()) }
    case 'wecom': return { channel: 'wecom', send: (d) => sendWeCom(deps.fetch, url, d.payload) }
    case 'mqtt': return { channel: 'mqtt', send: (d) => sendMqtt(deps.publish, d.payload) }
  }
}
