import { isKind, KINDS, type Kind } from './kinds.js'

/** Telemetry topic: mines/{siteId}/{kind}/{deviceId} */
export const TELEMETRY_PREFIX = 'mines'
/** Alert topic published by the alert engine: alerts/{siteId}/{kind} */
export const ALERTS_PREFIX = 'alerts'

/** Ids of sites and devices: letters, digits, '-', '_' and '.', 1–64 characters. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export interface TelemetryTopic {
  site: string
  kind: Kind
  device: string
}

export function telemetryTopic (site: string, kind: Kind, device: string): string {
  return `${TELEMETRY_PREFIX}/${site}/${kind}/${device}`
}

export function alertTopic (site: string, kind: string): string {
  return `${ALERTS_PREFIX}/${site}/${kind}`
}

/** Parses a telemetry topic; returns a reason string when it is not one. */
export function parseTelemetryTopic (topic: string): TelemetryTopic | { error: string } {
  const parts = topic.split('/')
  if (parts.length !== 4 || parts[0] !== TELEMETRY_PREFIX) {
    return { error: `topic must be ${TELEMETRY_PREFIX}/{siteId}/{kind}/{deviceId}` }
  }
  const [, site, kind, device] = parts as [string, string, string, string]
  if (!ID_PATTERN.test(site)) return { error: `bad site id '${site}' in topic` }
  if (!isKind(kind)) return { error: `unknown kind '${kind}' in topic (${KINDS.join(', ')})` }
  if (!ID_PATTERN.test(device)) return { error: `bad device id '${device}' in topic` }
  return { site, kind, device }
}

/** Site → upstream forwarding (uplink/, docs/uplink.md): uplink/{siteId}/up carries batches, uplink/{siteId}/down acks and comments back. */
export const UPLINK_PREFIX = 'uplink'
export type UplinkDirection = 'up' | 'down'

export function uplinkTopic (site: string, direction: UplinkDirection): string {
  return `${UPLINK_PREFIX}/${site}/${direction}`
}

/** Parses uplink/{siteId}/{up|down}; null when the topic is not one. */
export function parseUplinkTopic (topic: string): { site: string, direction: UplinkDirection } | null {
  const parts = topic.split('/')
  if (parts.length !== 3 || parts[0] !== UPLINK_PREFIX || !ID_PATTERN.test(parts[1]!)) return null
  if (parts[2] !== 'up' && parts[2] !== 'down') return null
  return { site: parts[1]!, direction: parts[2] }
}
