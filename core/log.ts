/** Logging: pino, with every secret path redacted in this one place. */
import { pino, type Logger, type LoggerOptions } from 'pino'

export type { Logger }

/** Paths that may hold secrets anywhere they are logged. */
export const REDACT_PATHS = [
  'password', '*.password', '*.*.password',
  'secret', '*.secret', '*.*.secret',
  'token', '*.token', '*.*.token',
  'passwordHash', '*.passwordHash', 'tokenHash', '*.tokenHash',
  'req.headers.authorization', 'headers.authorization', '*.headers.authorization',
  'config.store.influx.token', 'config.store.influx.password'
]

export function createLogger (opts: { level?: string, name?: string, destination?: NodeJS.WritableStream } = {}): Logger {
  const options: LoggerOptions = {
    name: opts.name ?? 'minewatch',
    level: opts.level ?? process.env.MINEWATCH_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' }
  }
  return opts.destination ? pino(options, opts.destination as pino.DestinationStream) : pino(options)
}

/** A logger that writes nothing: for tests and benchmarks. */
export function silentLogger (): Logger {
  return pino({ level: 'silent' })
}
