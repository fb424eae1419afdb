/** Prometheus metrics of the uplink (minewatch_uplink_*), registered on minewatch's registry (GET /metrics). */
import { Counter, Gauge, type Registry } from 'prom-client'

export function createUplinkMetrics (registry: Registry) {
  const r = [registry]
  const labelNames = ['target'] as const
  return {
    backlogItems: new Gauge({ name: 'minewatch_uplink_backlog_items', help: 'Readings and alert transitions waiting in the uplink queue, by target', labelNames, registers: r }),
    backlogBytes: new Gauge({ name: 'minewatch_uplink_backlog_bytes', help: 'Bytes waiting in the uplink queue, by target', labelNames, registers: r }),
    connected: new Gauge({ name: 'minewatch_uplink_connected', help: '1 while the target broker is connected', labelNames, registers: r }),
    sentItems: new Counter({ name: 'minewatch_uplink_acked_items_total', help: 'Items the upstream acknowledged (QoS 1 PUBACK), by target', labelNames, registers: r }),
    wireBytes: new Counter({ name: 'minewatch_uplink_wire_bytes_total', help: 'Compressed batch bytes acknowledged by the upstream, by target', labelNames, registers: r }),
    dropped: new Counter({ name: 'minewatch_uplink_dropped_items_total', help: 'Items dropped at the queue bound (onFull: drop-oldest), by target', labelNames, registers: r }),
    refused: new Counter({ name: 'minewatch_uplink_refused_items_total', help: 'Items not queued at the queue bound (onFull: refuse-new), by target', labelNames, registers: r }),
    lastAck: new Gauge({ name: 'minewatch_uplink_last_ack_timestamp_seconds', help: 'When the upstream last acknowledged a batch, by target', labelNames, registers: r }),
    received: new Counter({ name: 'minewatch_uplink_received_items_total', help: 'Upstream side: readings, alert transitions and daily reports (new or replacing) received from sites, by site and kind (reading, transition, report)', labelNames: ['site', 'kind'], registers: r }),
    downlinkApplied: new Counter({ name: 'minewatch_uplink_downlink_applied_total', help: 'Acknowledgements from upstream applied to local alerts, by target and outcome', labelNames: ['target', 'outcome'], registers: r })
  }
}

export type UplinkMetrics = ReturnType<typeof createUplinkMetrics>
