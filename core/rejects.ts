/** Why a message (or some readings in it) was not stored. Stable codes: they are metric labels. */
export const REJECT_REASONS = [
  'bad_topic', // topic is not mines/{site}/{kind}/{device}
  'unknown_device', // device id not in the registry
  'topic_mismatch', // device publishes outside its own site/kind/id (also refused by the broker ACL)
  'payload_too_large', // more than MAX_PAYLOAD_BYTES
  'not_json', // payload does not parse as JSON
  'too_many_readings', // array longer than MAX_READINGS_PER_MESSAGE
  'empty', // empty array or empty payload
  'invalid_reading', // schema violation (zod path and message in detail)
  'bad_ts', // ts neither epoch ms nor RFC 3339 with offset
  'future_ts', // more than MAX_FUTURE_MS ahead of the server clock
  'too_old', // older than ingest.maxLateMs
  'implausible_value', // a value outside its plausible range (core/plausibility.ts), e.g. a negative concentration
  'rate_limited', // the device exceeded its per-device message rate (refused by the broker)
  'store_rejected', // the store refused the data as malformed (e.g. InfluxDB 400)
  // HJ 212 gateway (hj212/, docs/hj212.md)
  'hj212_bad_frame', // not ## … CR LF, cut off, or a header field unreadable
  'hj212_bad_length', // the length field does not match the data segment (under the device's `length` setting)
  'hj212_bad_crc', // the CRC does not match (under the device's `crc` setting)
  'hj212_missing_cp', // no CP=&&…&& in the data segment
  'hj212_unknown_mn', // MN not in the registry (or another device's MN on this connection)
  'hj212_wrong_pw', // PW does not match the device's pw / pwHash
  'hj212_bad_datatime', // DataTime missing or not YYYYMMDDhhmmss[zzz]
  'hj212_unknown_command', // CN the gateway does not handle
  'hj212_split_incomplete', // a split message (PNUM/PNO) whose packets did not all arrive in time
  'hj212_unknown_factor' // factor codes minewatch has no field for: recorded here, the rest of the frame is stored
] as const
export type RejectReason = (typeof REJECT_REASONS)[number]

/** One rejected message (or the rejected part of one). */
export interface Reject {
  /** Server time the message was rejected, epoch ms. */
  at: number
  site: string | null
  device: string | null
  topic: string
  reason: RejectReason
  /** Human-readable detail, e.g. `[2].pm10: Invalid input: expected number, received string`. */
  detail: string
  /** Readings of the message rejected by this record (0 when the whole message was unreadable). */
  count: number
  /** The payload, truncated to REJECT_PAYLOAD_MAX_BYTES and decoded as UTF-8. */
  payload: string
}

/** Payloads kept in rejects are cut to this many bytes. */
export const REJECT_PAYLOAD_MAX_BYTES = 1024
