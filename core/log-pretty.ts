/**
 * Short human log lines for a terminal: `10:31:02 WARN  api: message key=value …`, one per
 * pino record. Used when minewatch runs on a TTY (JSON otherwise, or with --log-format json),
 * so the same records reach a log collector unchanged.
 */
import { Writable } from 'node:stream'

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' }
const COLOURS: Record<number, string> = { 10: '90', 20: '90', 30: '36', 40: '33', 50: '31', 60: '41' }
/** pino's own fields, not shown as key=value. */
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'part', 'v'])

function value (v: unknown): string {
  if (typeof v === 'string') return /[\s="]/.test(v) ? JSON.stringify(v) : v
  if (v !== null && typeof v === 'object' && 'message' in v && typeof (v as { message: unknown }).message === 'string') return JSON.stringify((v as { message: string }).message)
  return JSON.stringify(v)
}

/** One JSON log record as a short line (the record unchanged when it is not JSON). */
export function prettyLine (json: string, colour = false): string {
  let r: Record<string, unknown>
  try { r = JSON.parse(json) as Record<string, unknown> } catch { return json.endsWith('\n') ? json : `${json}\n` }
  const level = typeof r.level === 'number' ? r.level : 30
  const time = typeof r.time === 'number' ? new Date(r.time).toTimeString().slice(0, 8) : ''
  const tag = LEVELS[level] ?? String(level)
  const part = typeof r.part === 'string' ? `${r.part}: ` : ''
  const fields = Object.entries(r).filter(([k]) => !SKIP.has(k)).map(([k, v]) => `${k}=${value(v)}`).join(' ')
  const head = colour ? `\x1b[${COLOURS[level] ?? '0'}m${tag}\x1b[0m` : tag
  return `${time} ${head} ${part}${String(r.msg ?? '')}${fields ? `  ${colour ? `\x1b[90m${fields}\x1b[0m` : fields}` : ''}\n`
}

/** A pino destination that writes pretty lines to `out`. */
export function prettyDestination (out: NodeJS.WritableStream & { isTTY?: boolean }): Writable {
  const colour = out.isTTY === true && process.env.NO_COLOR === undefined
  return new Writable({
    write (chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) out.write(prettyLine(line, colour))
      done()
    }
  })
}
