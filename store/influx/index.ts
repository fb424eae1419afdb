/** InfluxDB telemetry store (v1 and v2 APIs) and its pieces others may need. */
export { InfluxTelemetryStore, type InfluxTelemetryStoreOptions, type InfluxConfig } from './influx-store.js'
export { NO_SEQ, readingToLine, alertEventToLine } from './line-protocol.js'
export { toStoreError, parseRetryAfter } from './errors.js'
