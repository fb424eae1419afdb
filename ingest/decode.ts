/**
 * Step 1, decode: topic → site/kind/device, payload → a list of raw readings.
 * Pure. Checks only the envelope; each reading is checked by validate.
 */
import { parseTelemetryTopic, type TelemetryTopic } from '../core/topics.js'
import { MAX_PAYLOAD_BYTES, MAX_READINGS_PER_MESSAGE } from '../core/readings.js'
import type { Rejection } from './step.js'

export interface Decoded {
  topic: TelemetryTopic
  /** The readings as sent (a single-object payload becomes a list of one). */
  items: unknown[]
  /** True when the payload was an array (reject details then name readings `[i]`). */
  isArray: boolean
}

export type DecodeResult = { ok: true, value: Decoded } | { ok: false, topic: TelemetryTopic | null, rejection: Rejection }

const fail = (topic: TelemetryTopic | null, reason: Rejection['reason'], detail: string, count = 0): DecodeResult =>
  ({ ok: false, topic, rejection: { reason, detail, count } })

/** Decodes one MQTT message: topic, size, JSON, object or array of 1..MAX_READINGS_PER_MESSAGE. */
export function decode (topicName: string, payload: Buffer): DecodeResult {
  const topic = parseTelemetryTopic(topicName)
  if ('error' in topic) return fail(null, 'bad_topic', topic.error)
  if (payload.length > MAX_PAYLOAD_BYTES) {
    return fail(topic, 'payload_too_large', `payload is ${payload.length} bytes; the limit is ${MAX_PAYLOAD_BYTES} bytes`)
  }
  const text = payload.toString('utf8')
  if (text.trim() === '') return fail(topic, 'empty', 'payload is empty')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    return fail(topic, 'not_json', `payload is not JSON: ${jsonErrorText(err)}`)
  }
  if (Array.isArray(json)) {
    if (json.length === 0) return fail(topic, 'empty', 'payload is an empty array')
    if (json.length > MAX_READINGS_PER_MESSAGE) {
      return fail(topic, 'too_many_readings', `${json.length} readings in one message; the limit is ${MAX_READINGS_PER_MESSAGE}`, json.length)
    }
    return { ok: true, value: { topic, items: json, isArray: true } }
  }
  if (json === null || typeof json !== 'object') {
    return fail(topic, 'invalid_reading', `payload must be a JSON object or an array of objects, got ${json === null ? 'null' : typeof json}`, 1)
  }
  return { ok: true, value: { topic, items: [json], isArray: false } }
}

/**
 * V8's JSON.parse message without the " (line L column C)" that newer V8s (Node 22+) append:
 * the reject text a device sees is the same on every supported Node (docs/device-contract.md quotes it).
 */
function jsonErrorText (err: unknown): string {
  return String((err as Error).message ?? err).replace(/ \(line \d+ column \d+\)$/, '')
}
