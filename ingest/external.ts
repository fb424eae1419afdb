/**
 * Intake from any MQTT broker (Mosquitto, EMQX, a cloud IoT hub): subscribes with QoS 1
 * in a persistent session and feeds ingest. A message is acknowledged (PUBACK) only after
 * ingest.handle resolved, i.e. its readings are durable and its rejects recorded.
 *
 * When handle rejects (store down) the message is left unacknowledged and the connection
 * is dropped; on reconnect the broker redelivers every unacknowledged message
 * [MQTT-4.4.0-1], and duplicates of readings already stored are dropped by ingest.
 *
 * MQTT.js processes incoming packets one at a time and `customHandleAcks` holds the
 * next packet until the current one is acknowledged, so this intake handles one message
 * per store write (one commit each): see docs/device-contract.md.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt'
import type { Logger } from '../core/log.js'
import type { Ingest } from './index.js'

/** The broker keeps our session (subscription and unacknowledged messages) this long while we are away, s. */
export const SESSION_EXPIRY_S = 7 * 24 * 3600 // 7 days, as ingest.maxLateMs: older readings would be refused anyway
/** First delay before reconnecting after a failed handle, doubled up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 1000 // 1 s
const RETRY_MAX_MS = 30_000 // 30 s

export interface ExternalIntakeOptions {
  /** Broker URL, e.g. mqtt://broker:1883 or mqtts://broker:8883. */
  url: string
  username?: string
  password?: string
  /** Stable client id: the broker keeps the persistent session under it. */
  clientId: string
  /** Subscription filter, e.g. mines/#. */
  topic: string
  ingest: Ingest
  logger: Logger
}

/** Subscribes to any MQTT broker (QoS 1, persistent session clean:false) and feeds ingest; acknowledges each message
 *  only after ingest.handle resolved (MQTT.js v5 `customHandleAcks`). */
export async function startExternalIntake (opts: ExternalIntakeOptions): Promise<{ close(): Promise<void> }> {
  const { ingest, logger } = opts
  let closed = false
  let retrying = false
  let retryMs = RETRY_FIRST_MS
  let retryTimer: NodeJS.Timeout | null = null

  const options: IClientOptions = {
    clientId: opts.clientId,
    username: opts.username,
    password: opts.password,
    protocolVersion: 5, // customHandleAcks is honoured only with MQTT 5
    clean: false, // [MQTT-3.1.2-4] resume the session: subscription and unacknowledged messages
    properties: { sessionExpiryInterval: SESSION_EXPIRY_S }, // MQTT 5: without it the session ends with the connection
    reconnectPeriod: RETRY_FIRST_MS,
    customHandleAcks: (topic, payload, _packet, ack) => {
      handle(topic, payload).then(
        () => { retryMs = RETRY_FIRST_MS; ack(0) }, // PUBACK reason 0x00 success
        (err: unknown) => {
          logger.error({ err, topic }, 'external intake: ingest failed; message left unacknowledged')
          dropAndRetry()
        })
    }
  }
  const c: MqttClient = connect(opts.url, options)

  /** ingest.handle that cannot throw synchronously: an exception here would be uncaught (the process exits). */
  function handle (topic: string, payload: Buffer): Promise<unknown> {
    try {
      return ingest.handle({ topic, payload, deviceId: null, receivedAt: Date.now() })
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** Drops the connection without acknowledging, so the broker redelivers after we reconnect. */
  function dropAndRetry (): void {
    if (closed || retrying) return
    retrying = true
    const delay = retryMs
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS)
    logger.warn({ delayMs: delay }, 'external intake: message not stored; reconnecting for redelivery')
    c.end(true, () => {
      retryTimer = setTimeout(() => {
        retryTimer = null
        retrying = false
        if (!closed) c.reconnect()
      }, delay)
    })
  }

  try {
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => { c.off('error', reject); resolve() })
      c.once('error', reject)
    })
  } catch (err) {
    await c.endAsync(true)
    throw new Error(`external intake: cannot connect to ${redactUrl(opts.url)}: ${(err as Error).message}`, { cause: err })
  }
  // QoS 0 publishes carry no acknowledgement: handled, and lost if the store is down
  c.on('message', (topic, payload, packet) => {
    if (packet.qos !== 0) return
    handle(topic, payload)
      .catch((err: unknown) => logger.error({ err, topic }, 'external intake: QoS 0 message lost (store failed)'))
  })
  c.on('error', (err) => logger.warn({ err }, 'external intake: MQTT error'))
  c.on('connect', (connack) => logger.info({ sessionPresent: connack.sessionPresent }, 'external intake: connected'))
  c.on('offline', () => { if (!closed && !retrying) logger.warn('external intake: broker unreachable, retrying') })

  const granted = await c.subscribeAsync(opts.topic, { qos: 1 })
  const refused = granted.filter((g) => g.qos > 2)
  if (refused.length > 0) {
    await c.endAsync(true)
    throw new Error(`external intake: ${redactUrl(opts.url)} refused the subscription to '${opts.topic}' (reason code ${refused[0]!.qos})`)
  }
  logger.info({ url: redactUrl(opts.url), topic: opts.topic, clientId: opts.clientId }, 'external intake: subscribed')

  return {
    async close () {
      closed = true
      if (retryTimer) clearTimeout(retryTimer)
      await c.endAsync(true)
    }
  }
}

/** The URL without user:password, for logs and errors. */
function redactUrl (url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '[redacted]'
    return u.toString()
  } catch {
    return url
  }
}
