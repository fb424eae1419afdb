/** MQTT delivery: the JSON event published to alerts/{siteId}/{kind} (core/topics.ts) on the embedded broker. */
import { alertTopic } from '../../core/topics.js'
import { deliveryError } from './http.js'

/** Publishes one event body through the injected publish function. */
export async function sendMqtt (publish: (topic: string, payload: string) => Promise<void>, body: string): Promise<void> {
  let event: { alert?: { site?: string, kind?: string } }
  try { event = JSON.parse(body) as typeof event } catch { throw deliveryError(false, 'mqtt outbox payload is not JSON', null) }
  const site = event.alert?.site; const kind = event.alert?.kind
  // a body without them can never be published: a dead letter, not a retry
  if (!site || !kind) throw deliveryError(false, 'mqtt outbox payload has no alert.site / alert.kind', null)
  try {
    await publish(alertTopic(site, kind), body)
  } catch (err) {
    throw deliveryError(true, `publish to ${alertTopic(site, kind)}: ${(err as Error).message}`, null, { cause: err })
  }
}
