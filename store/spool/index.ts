/** Durable outage spool: SpooledStore wraps any TelemetryStore; DiskSpool is the on-disk queue. */
export { SpooledStore, type SpooledStoreOptions, type SpoolConfig } from './spooled-store.js'
export { DiskSpool, type DiskSpoolOptions, type SpoolRecord, type SpoolBatch } from './disk-spool.js'
export { writeBisecting, PartialDelivery } from './bisect.js'
