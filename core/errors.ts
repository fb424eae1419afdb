/**
 * Every error minewatch raises on purpose, with a stable code, an HTTP status and
 * whether retrying can help. docs/errors.md lists them; a test keeps both in step.
 */

export interface ErrorDef {
  message: string
  statusCode: number
  retryable: boolean
}

export const ERRORS = {
  MW_CONFIG_INVALID: { message: 'configuration is invalid', statusCode: 500, retryable: false },
  MW_CONFIG_NOT_FOUND: { message: 'configuration file not found', statusCode: 500, retryable: false },
  MW_DATA_DIR_UNWRITABLE: { message: 'data directory is not writable', statusCode: 500, retryable: false },
  MW_SCHEMA_TOO_NEW: { message: 'data was written by a newer minewatch', statusCode: 500, retryable: false },
  MW_SCHEMA_UNKNOWN: { message: 'data file is not one minewatch knows', statusCode: 500, retryable: false },
  MW_DATA_DIR_NOT_EMPTY: { message: 'data directory is not empty', statusCode: 409, retryable: false },
  MW_BACKUP_INVALID: { message: 'backup is partial or corrupt', statusCode: 400, retryable: false },
  MW_PORT_IN_USE: { message: 'port is already in use', statusCode: 500, retryable: false },
  MW_STORE_UNAVAILABLE: { message: 'telemetry store is unavailable', statusCode: 503, retryable: true },
  MW_STORE_REJECTED: { message: 'telemetry store rejected the data', statusCode: 400, retryable: false },
  MW_STORE_CLOSED: { message: 'store is closed', statusCode: 503, retryable: false },
  MW_BAD_REQUEST: { message: 'bad request', statusCode: 400, retryable: false },
  MW_UNAUTHENTICATED: { message: 'authentication required', statusCode: 401, retryable: false },
  MW_FORBIDDEN: { message: 'not allowed', statusCode: 403, retryable: false },
  MW_NOT_FOUND: { message: 'not found', statusCode: 404, retryable: false },
  MW_CONFLICT: { message: 'conflict', statusCode: 409, retryable: false },
  MW_RATE_LIMITED: { message: 'too many requests', statusCode: 429, retryable: true },
  MW_TOO_MANY_STREAMS: { message: 'too many open event streams', statusCode: 429, retryable: true },
  MW_TOO_MANY_CONNECTIONS: { message: 'too many connections from this address', statusCode: 429, retryable: true },
  MW_SPOOL_FULL: { message: 'spool is full', statusCode: 503, retryable: true },
  MW_DISK_FULL: { message: 'not enough free disk space', statusCode: 503, retryable: true },
  MW_DELIVERY_FAILED: { message: 'alert delivery failed', statusCode: 502, retryable: true },
  MW_DELIVERY_REFUSED: { message: 'alert receiver refused the delivery', statusCode: 502, retryable: false },
  MW_HJ212_COMMAND_FAILED: { message: 'HJ 212 command to the device failed', statusCode: 502, retryable: true },
  // device lifecycle through the API (devices/, docs/operations.md)
  MW_DEVICE_UNKNOWN: { message: 'no such device in the registry', statusCode: 404, retryable: false },
  MW_DEVICE_EXISTS: { message: 'device id or HJ 212 MN is already in use', statusCode: 409, retryable: false },
  MW_DEVICE_RETIRED: { message: 'device is retired or replaced', statusCode: 409, retryable: false },
  MW_DEVICE_KIND_MISMATCH: { message: 'a replacement must be of the same kind', statusCode: 400, retryable: false },
  MW_REASON_REQUIRED: { message: 'a reason is required', statusCode: 400, retryable: false },
  MW_LIFECYCLE_INVALID: { message: 'the change would make the config invalid', statusCode: 400, retryable: false }
} as const satisfies Record<string, ErrorDef>

export type ErrorCode = keyof typeof ERRORS

export class MinewatchError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly details?: unknown
  /** Milliseconds after which a retry makes sense, when known (e.g. Retry-After). */
  readonly retryAfterMs?: number

  constructor (code: ErrorCode, detail?: string, opts: { cause?: unknown, details?: unknown, retryAfterMs?: number } = {}) {
    super(detail ? `${ERRORS[code].message}: ${detail}` : ERRORS[code].message, { cause: opts.cause })
    this.name = 'MinewatchError'
    this.code = code
    this.statusCode = ERRORS[code].statusCode
    this.details = opts.details
    this.retryAfterMs = opts.retryAfterMs
  }

  /** May the caller retry this operation? */
  canRetry (): boolean {
    return ERRORS[this.code].retryable
  }
}

export function isMinewatchError (err: unknown, code?: ErrorCode): err is MinewatchError {
  return err instanceof MinewatchError && (code === undefined || err.code === code)
}
