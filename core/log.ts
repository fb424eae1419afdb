/** Logging: pino, with every secret path redacted in this one place. */
import { pino, type Logger, type LoggerOptions } from 'pino'
import { prettyDestination } from './log-pretty.js'

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

/** json: one JSON record a line (collectors); pretty: short human lines (terminals, core/log-pretty.ts). */
export type LogFormat = 'json' | 'pretty'

/** The format for a stream: MINEWATCH_LOG_FORMAT when set, else pretty on a TTY and JSON otherwise. */
export function defaultLogFormat (out: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): LogFormat {
  const asked = env.MINEWATCH_LOG_FORMAT
  if (asked === 'json' || asked === 'pretty') return asked
  return out.isTTY === true ? 'pretty' : 'json'
}

export function createLogger (opts: { level?: string, name?: string, destination?: NodeJS.WritableStream, format?: LogFormat } = {}): Logger {
  const options: LoggerOptions = {
    name: opts.name ?? 'minewatch',
    level: opts.level ?? process.env.MINEWATCH_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' }
  }
  if (opts.format === 'pretty') return pino(options, prettyDestination(opts.destination ?? process.stdout) as unknown as pino.DestinationStream)
  return opts.destination ? pino(options, opts.destination as pino.DestinationStream) : pino(options)
}

/** A logger that writes nothing: for tests and benchmarks. */
export function silentLogger (): Logger {
  return pino({ level: 'silent' })
}
