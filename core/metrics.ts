/**
 * Every Prometheus metric minewatch exposes, defined once. Parts receive the Metrics
 * object through their options; GET /metrics serialises its registry.
 */
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client'

export function createMetrics (opts: { defaults?: boolean } = {}) {
  const registry = new Registry()
  if (opts.defaults) collectDefaultMetrics({ register: registry, prefix: 'minewatch_' })
  const r = [registry]
  return {
    registry,
    messagesIn: new Counter({ name: 'minewatch_messages_in_total', help: 'MQTT telemetry messages received', labelNames: ['kind'], registers: r }),
    readingsStored: new Counter({ name: 'minewatch_readings_stored_total', help: 'Readings durably written to the telemetry store (or its spool)', labelNames: ['kind'], registers: r }),
    duplicates: new Counter({ name: 'minewatch_readings_duplicate_total', help: 'Redelivered readings dropped as duplicates', registers: r }),
    rejects: new Counter({ name: 'minewatch_rejects_total', help: 'Rejected messages or readings, by reason', labelNames: ['reason'], registers: r }),
    rejectsDropped: new Counter({ name: 'minewatch_rejects_dropped_total', help: 'Reject records dropped at the rejects store bound', registers: r }),
    storeWriteSeconds: new Histogram({
      name: 'minewatch_store_write_seconds', help: 'Telemetry store batch write latency', labelNames: ['store'], registers: r,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
    }),
    storeWriteErrors: new Counter({ name: 'minewatch_store_write_errors_total', help: 'Failed telemetry store writes', labelNames: ['store'], registers: r }),
    batchSize: new Histogram({ name: 'minewatch_batch_readings', help: 'Readings per store batch', registers: r, buckets: [1, 10, 100, 1000, 5000, 20000] }),
    diskFree: new Gauge({ name: 'minewatch_disk_free_bytes', help: 'Free bytes (usable without privileges) of the filesystem of each directory minewatch writes: data, spool', labelNames: ['dir'], registers: r }),
    spoolBytes: new Gauge({ name: 'minewatch_spool_bytes', help: 'Bytes waiting in the outage spool', registers: r }),
    spoolBatches: new Gauge({ name: 'minewatch_spool_batches', help: 'Batches waiting in the outage spool', registers: r }),
    retentionRows: new Counter({ name: 'minewatch_retention_deleted_rows_total', help: 'Readings deleted by the embedded store\'s retention job (store.retention), by kind', labelNames: ['kind'], registers: r }),
    retentionBytes: new Counter({ name: 'minewatch_retention_freed_bytes_total', help: 'Bytes of the DuckDB telemetry file freed by retention runs (decrease of its used blocks over a run)', registers: r }),
    spoolDropped: new Counter({ name: 'minewatch_spool_dropped_readings_total', help: 'Readings dropped at the spool bound (onFull: drop-oldest)', registers: r }),
    brokerConnections: new Gauge({ name: 'minewatch_broker_connections', help: 'Connected MQTT clients', registers: r }),
    brokerAuthFailures: new Counter({ name: 'minewatch_broker_auth_failures_total', help: 'Refused MQTT logins, by reason', labelNames: ['reason'], registers: r }),
    secretChecks: new Counter({ name: 'minewatch_secret_checks_total', help: 'Secret (scrypt) checks of MQTT logins and API tokens, by outcome: ok, bad, busy (refused unchecked), cached', labelNames: ['outcome'], registers: r }),
    brokerDenied: new Counter({ name: 'minewatch_broker_denied_total', help: 'Refused publishes and subscriptions, by action', labelNames: ['action'], registers: r }),
    alerts: new Gauge({ name: 'minewatch_alerts', help: 'Alerts by kind and state (open ones and those resolved since start)', labelNames: ['kind', 'state'], registers: r }),
    alertTransitions: new Counter({ name: 'minewatch_alert_transitions_total', help: 'Alert lifecycle transitions', labelNames: ['kind', 'to'], registers: r }),
    deliveries: new Counter({ name: 'minewatch_deliveries_total', help: 'Alert deliveries attempted, by channel and outcome', labelNames: ['channel', 'outcome'], registers: r }),
    deliveryFailures: new Counter({ name: 'minewatch_delivery_failures_total', help: 'Failed alert delivery attempts', labelNames: ['channel'], registers: r }),
    outboxPending: new Gauge({ name: 'minewatch_outbox_pending', help: 'Alert deliveries waiting in the outbox', registers: r }),
    connectionsRefused: new Counter({ name: 'minewatch_connections_refused_total', help: 'Connections and event streams refused at a per-address or per-token cap, or (MQTT) from an address blocked by the login throttle, by listener (mqtt, http, sse) and cap (address, token; MQTT also blocked: the login throttle, pending: the pre-CONNACK budget)', labelNames: ['listener', 'cap'], registers: r }),
    externalInflight: new Gauge({ name: 'minewatch_external_intake_inflight', help: 'External intake: QoS 1 messages received and not yet acknowledged (being stored, or waiting for an earlier one)', registers: r }),
    externalInflightMax: new Gauge({ name: 'minewatch_external_intake_inflight_max', help: 'External intake: the most QoS 1 messages in flight at once since start', registers: r }),
    externalAcked: new Counter({ name: 'minewatch_external_intake_acked_total', help: 'External intake: QoS 1 messages acknowledged (PUBACK) after their readings were durable', registers: r }),
    httpRequests: new Counter({ name: 'minewatch_http_requests_total', help: 'API requests', labelNames: ['route', 'status'], registers: r })
  }
}

export type Metrics = ReturnType<typeof createMetrics>
