/**
 * Where simulated messages go. Two implementations: MQTT (mqtt-publisher.ts, one
 * connection per device) and a direct in-process function (for fast tests that
 * hand messages straight to ingest).
 */
import type { SimMessage } from './types.js'

export interface Publisher {
  /** Resolves when the message is acknowledged (PUBACK, or the handler's promise); rejects when it is not. */
  publish(m: SimMessage): Promise<void>
  /** Closes connections; pending publishes are abandoned. */
  close(): Promise<void>
}

/** In-process handler, e.g. ingest's handle: (topic, payload, deviceId) => Promise<void>. */
export type DirectHandler = (topic: string, payload: Buffer, deviceId: string) => Promise<void>

/** A publisher that calls `handler` for each message. */
export function directPublisher (handler: DirectHandler): Publisher {
  return {
    publish: (m) => handler(m.topic, m.payload, m.device),
    close: async () => {}
  }
}

/** A publisher that keeps every message in memory (tests, determinism checks). */
export function memoryPublisher (): Publisher & { messages: SimMessage[] } {
  const messages: SimMessage[] = []
  return {
    messages,
    publish: async (m) => { messages.push(m) },
    close: async () => {}
  }
}
