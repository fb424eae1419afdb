/** MQTT delivery: the JSON event published to alerts/{siteId}/{kind} (core/topics.ts) on the embedded broker. */
import { alertTopic } from '../../core/topics.js'
import { MinewatchError } from '../../core/errors.js'

/** Publishes one event body through the injected publish function. */
export async function sendMqtt (publish: (topic: string, payload: string) => Promise<void>, body: string): Promise<void> {
  const event = JSON.parse(body) as { alert?: { site?: string, kind?: string } }
  const site = event.alert?.site; const kind = event.alert?.kind
  if (!site || !kind) throw new MinewatchError('MW_DELIVERY_FAILED', 'mqtt outbox payload has no alert.site / alert.kind')
  try {
    await publish(alertTopic(site, kind), body)
  } catch (err) {
    throw new MinewatchError('MW_DELIVERY_FAILED', `publish to ${alertTopic(site, kind)}: ${(err as Error).message}`, { cause: err })
  }
}
