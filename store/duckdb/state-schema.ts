/**
 * Tables of the state file (data/state.duckdb): rejects, alerts, alert_transitions,
 * outbox, dead_letters, audit_log. Times are BIGINT epoch ms; column names match the TypeScript fields.
 */
import { RECORD_VERSION_MIGRATION, type SchemaSpec } from './schema-meta.js'

/**
 * Versions of the state file (store/duckdb/schema-meta.ts). Version 1 is the layout minewatch wrote
 * before files carried a version: rejects, alerts, alert_transitions, outbox, dead_letters, nothing else.
 * A new table goes into STATE_DDL (CREATE TABLE IF NOT EXISTS), not into a migration.
 */
export const STATE_SCHEMA: SchemaSpec = {
  file: 'state',
  v1Tables: ['rejects', 'alerts', 'alert_transitions', 'outbox', 'dead_letters'],
  migrations: [RECORD_VERSION_MIGRATION]
}

export const STATE_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS rejects (
    id BIGINT NOT NULL, "at" BIGINT NOT NULL, site VARCHAR, device VARCHAR, topic VARCHAR NOT NULL,
    reason VARCHAR NOT NULL, detail VARCHAR NOT NULL, count BIGINT NOT NULL, payload VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS alerts (
    id VARCHAR PRIMARY KEY, site VARCHAR NOT NULL, kind VARCHAR NOT NULL, subject VARCHAR NOT NULL, device VARCHAR,
    severity VARCHAR NOT NULL, state VARCHAR NOT NULL, "firedAt" BIGINT NOT NULL, "updatedAt" BIGINT NOT NULL,
    "resolvedAt" BIGINT, "ackedBy" VARCHAR, "ackNote" VARCHAR, value DOUBLE, "limit" DOUBLE,
    unit VARCHAR NOT NULL, standard VARCHAR NOT NULL, message VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS alert_transitions (
    seq BIGINT PRIMARY KEY, "alertId" VARCHAR NOT NULL, site VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    "from" VARCHAR, "to" VARCHAR NOT NULL, severity VARCHAR NOT NULL, "at" BIGINT NOT NULL, reason VARCHAR NOT NULL,
    value DOUBLE, "limit" DOUBLE, "by" VARCHAR, message VARCHAR NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS alert_transitions_alert ON alert_transitions ("alertId")`,
  // a fence transition's proving fixes (AlertTransition.evidence as JSON); files of an older minewatch gain it in place
  'ALTER TABLE alert_transitions ADD COLUMN IF NOT EXISTS evidence VARCHAR',
  // Alert.noDataSince ("no data is not resolved"); files of an older minewatch gain it in place
  'ALTER TABLE alerts ADD COLUMN IF NOT EXISTS "noDataSince" BIGINT',
  `CREATE TABLE IF NOT EXISTS outbox (
    id VARCHAR PRIMARY KEY, subscription VARCHAR NOT NULL, "transitionSeq" BIGINT NOT NULL, attempts BIGINT NOT NULL,
    "dueAt" BIGINT NOT NULL, "lastError" VARCHAR, payload VARCHAR NOT NULL, ord BIGINT NOT NULL)`,
  // the hash-chained audit log (core/audit.ts, store/duckdb/audit.ts): append-only, detail is canonical JSON
  `CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT PRIMARY KEY, "at" BIGINT NOT NULL, site VARCHAR, actor VARCHAR NOT NULL, action VARCHAR NOT NULL,
    target VARCHAR, detail VARCHAR NOT NULL, prev VARCHAR NOT NULL, hash VARCHAR NOT NULL)`,
  'CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log (target)',
  `CREATE TABLE IF NOT EXISTS dead_letters (
    id VARCHAR PRIMARY KEY, subscription VARCHAR NOT NULL, "transitionSeq" BIGINT NOT NULL, attempts BIGINT NOT NULL,
    "deadAt" BIGINT NOT NULL, error VARCHAR NOT NULL, answer VARCHAR, payload VARCHAR NOT NULL)`,
  // device lifecycle changes (devices/): append-only, spec as JSON
  `CREATE TABLE IF NOT EXISTS device_changes (
    seq BIGINT PRIMARY KEY, "at" BIGINT NOT NULL, "by" VARCHAR NOT NULL, action VARCHAR NOT NULL,
    device VARCHAR NOT NULL, site VARCHAR NOT NULL, reason VARCHAR NOT NULL, spec VARCHAR)`,
  // daily reports forwarded by sites (uplink/): the last one of each site-day, report as JSON
  `CREATE TABLE IF NOT EXISTS forwarded_reports (
    site VARCHAR NOT NULL, "date" VARCHAR NOT NULL, revision BIGINT NOT NULL, "computedAt" BIGINT NOT NULL,
    "receivedAt" BIGINT NOT NULL, report VARCHAR NOT NULL, PRIMARY KEY (site, "date"))`
]

/** Columns of alerts, in table order (also the Alert field names). */
export const ALERT_COLUMNS = [
  'id', 'site', 'kind', 'subject', 'device', 'severity', 'state', 'firedAt', 'updatedAt', 'resolvedAt',
  'ackedBy', 'ackNote', 'value', 'limit', 'unit', 'standard', 'message', 'noDataSince'
] as const

/** Columns of alert_transitions, in table order (also the AlertTransition field names; evidence is stored as JSON). */
export const TRANSITION_COLUMNS = [
  'seq', 'alertId', 'site', 'kind', 'from', 'to', 'severity', 'at', 'reason', 'value', 'limit', 'by', 'message', 'evidence'
] as const

/** Columns of outbox without ord, in table order (also the OutboxItem field names). */
export const OUTBOX_COLUMNS = ['id', 'subscription', 'transitionSeq', 'attempts', 'dueAt', 'lastError', 'payload'] as const
