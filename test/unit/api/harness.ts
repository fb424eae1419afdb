/**
 * Builds the API over real stores (DuckDB telemetry and state, in memory), the demo
 * config, a manual clock and a small AlertService (ack + onTransition over the real
 * AlertStore), for app.inject() tests.
 */
import { Writable } from 'node:stream'
import { readFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { parseConfig, type Config } from '../../../core/config.js'
import { Registry } from '../../../core/registry.js'
import { createMetrics, type Metrics } from '../../../core/metrics.js'
import { ManualClock } from '../../../core/clock.js'
import { REDACT_PATHS, type Logger } from '../../../core/log.js'
import { MinewatchError } from '../../../core/errors.js'
import type { Alert, AlertComment, AlertKind, AlertService, AlertState, AlertTransition, CloseReason } from '../../../core/alerts.js'
import type { AlertStore, AuditStore } from '../../../store/state.js'
import { DuckDBTelemetryStore } from '../../../store/duckdb/telemetry.js'
import { openStateStore, type StateStore } from '../../../store/duckdb/state.js'
import { buildApp, type AppDeps, type AppOptions } from '../../../api/app.js'
import { createAlertEngine, type AlertEngine } from '../../../alerts/index.js'

const DEMO_TEXT = readFileSync('config/demo.yaml', 'utf8')

export const TOKENS = {
  admin: 'demo-admin-token-0001',
  regulatorZj: 'demo-regulator-zj-token',
  regulatorAll: 'demo-regulator-all-token',
  operatorZj: 'demo-operator-zj-token',
  operatorGs: 'demo-operator-gs-token'
} as const

export const ZJ = 'zj-huzhou-quarry'
export const GS = 'gs-baiyin-cuzn'
export const GZ = 'gz-kaiyang-phos'

/** 2025-03-01 10:00 Beijing. */
export const NOW = Date.parse('2025-03-01T10:00:00+08:00')

export function bearer (token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` }
}

/** The demo config with extra YAML (e.g. an `api:` override replaces the demo's). */
export function testConfig (replaceApi?: string): Config {
  let text = DEMO_TEXT
  if (replaceApi !== undefined) text = text.slice(0, text.indexOf('\napi:')) + '\n' + replaceApi + '\n'
  return parseConfig(text, 'demo+test', {}).config
}

/** AlertService over an AlertStore: what the alert engine does for ack, and a way to fire alerts. */
export class TestAlertService implements AlertService {
  private readonly listeners = new Set<(t: AlertTransition) => void>()
  constructor (private readonly store: AlertStore, private readonly clock: ManualClock, private readonly audit?: AuditStore) {}

  async comment (id: string, by: string, text: string): Promise<AlertComment> {
    const a = await this.store.get(id)
    if (!a) throw new MinewatchError('MW_NOT_FOUND', `no alert '${id}'`)
    if (!this.audit) throw new MinewatchError('MW_STORE_UNAVAILABLE', 'no audit log')
    const [r] = await this.audit.append([{ at: this.clock.now(), site: a.site, actor: by, action: 'alert.comment', target: id, detail: { text } }])
    return { seq: r!.seq, alertId: id, at: r!.at, by, text }
  }

  async closeAlert (id: string, by: string, reason: CloseReason, text: string): Promise<Alert> {
    const a = await this.store.get(id)
    if (!a) throw new MinewatchError('MW_NOT_FOUND', `no alert '${id}'`)
    if (a.state === 'resolved') throw new MinewatchError('MW_CONFLICT', `alert '${id}' is resolved`)
    const next: Alert = { ...a, state: 'resolved', resolvedAt: this.clock.now(), updatedAt: this.clock.now() }
    await this.move(next, a.state, `closed:${reason}${text ? `:${text}` : ''}`, by)
    return next
  }

  onTransition (listener: (t: AlertTransition) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  get listenerCount (): number { return this.listeners.size }

  private async move (alert: Alert, from: AlertState | null, reason: string, by: string | null = null): Promise<AlertTransition> {
    const t = await this.store.transition(alert, {
      alertId: alert.id, site: alert.site, kind: alert.kind, from, to: alert.state, severity: alert.severity,
      at: alert.updatedAt, reason, value: alert.value, limit: alert.limit, by, message: alert.message
    })
    for (const l of this.listeners) l(t)
    return t
  }

  async fire (site: string, kind: AlertKind, opts: { subject?: string, at?: number, severity?: 'warning' | 'alarm' } = {}): Promise<Alert> {
    const at = opts.at ?? this.clock.now()
    const alert: Alert = {
      id: randomUUID(), site, kind, subject: opts.subject ?? `${kind}-subject`, device: null, severity: opts.severity ?? 'alarm',
      state: 'firing', firedAt: at, updatedAt: at, resolvedAt: null, ackedBy: null, ackNote: null,
      value: 1.5, limit: 1, unit: 'mg/m³', standard: 'GB 16297-1996', message: `${kind} at ${site}`
    }
    await this.move(alert, null, 'test_fire')
    return alert
  }

  async resolve (id: string): Promise<Alert> {
    const a = await this.store.get(id)
    if (!a) throw new MinewatchError('MW_NOT_FOUND', id)
    const next: Alert = { ...a, state: 'resolved', resolvedAt: this.clock.now(), updatedAt: this.clock.now() }
    await this.move(next, a.state, 'test_resolve')
    return next
  }

  async ack (id: string, by: string, note: string): Promise<Alert> {
    const a = await this.store.get(id)
    if (!a) throw new MinewatchError('MW_NOT_FOUND', `no alert '${id}'`)
    if (a.state !== 'firing') throw new MinewatchError('MW_CONFLICT', `alert '${id}' is ${a.state}, not firing`)
    const next: Alert = { ...a, state: 'acknowledged', ackedBy: by, ackNote: note, updatedAt: this.clock.now() }
    await this.move(next, 'firing', 'acknowledged', by)
    return next
  }
}

export interface Harness {
  app: FastifyInstance
  deps: AppDeps
  clock: ManualClock
  metrics: Metrics
  telemetry: DuckDBTelemetryStore
  state: StateStore
  alerts: TestAlertService
  /** The real alert engine, when asked for (it is then the app's AlertService). */
  engine: AlertEngine | null
  /** Log lines written by the app (JSON objects). */
  logs: Record<string, unknown>[]
  ready: { value: boolean }
  close(): Promise<void>
}

/** A logger that keeps every line, with the production redaction paths. */
export function memoryLogger (lines: Record<string, unknown>[]): Logger {
  const sink = new Writable({
    write (chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>)
      cb()
    }
  })
  return pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink)
}

/** `engine: true` wires the real alert engine (alerts/) as the app's AlertService instead of TestAlertService. */
export async function createHarness (opts: { config?: Config, appOptions?: AppOptions, engine?: boolean } = {}): Promise<Harness> {
  const config = opts.config ?? testConfig()
  const clock = new ManualClock(NOW)
  const metrics = createMetrics()
  const logs: Record<string, unknown>[] = []
  const telemetry = new DuckDBTelemetryStore({ path: ':memory:' })
  await telemetry.init()
  const state = await openStateStore({ path: ':memory:', rejectsMaxRows: 10_000 })
  const alerts = new TestAlertService(state.alerts, clock, state.audit)
  const registry = new Registry(config)
  let engine: AlertEngine | null = null
  if (opts.engine) {
    engine = createAlertEngine({
      registry, config, alertStore: state.alerts, outbox: state.outbox, telemetry,
      publish: async () => {}, metrics, logger: memoryLogger([]), clock, audit: state.audit
    })
    await engine.start()
  }
  const ready = { value: true }
  const deps: AppDeps = {
    registry,
    config,
    telemetry,
    rejects: state.rejects,
    alertStore: state.alerts,
    auditStore: state.audit,
    alerts: engine ?? alerts,
    deliveries: engine ?? { deadLetters: (q) => state.outbox.deadLetters(q), retryDeadLetter: (id) => state.outbox.retryDeadLetter(id, clock.now()) },
    metrics,
    logger: memoryLogger(logs),
    clock,
    readiness: async () => ({ ready: ready.value, checks: { store: ready.value ? { ok: true } : { ok: false, detail: 'store down (test)' } } })
  }
  const app = await buildApp(deps, opts.appOptions)
  return {
    app, deps, clock, metrics, telemetry, state, alerts, engine, logs, ready,
    async close () {
      await app.close()
      await engine?.close()
      await telemetry.close()
      await state.close()
    }
  }
}

/** One parsed Server-Sent Events block. */
export interface SseBlock {
  id?: string
  event?: string
  data?: string
  retry?: string
  comments: string[]
}

/** Parses SSE blocks from a byte stream as they arrive. */
export class SseReader {
  readonly blocks: SseBlock[] = []
  private buffer = ''
  private waiters: (() => void)[] = []
  ended = false

  constructor (stream: AsyncIterable<Uint8Array | string>) {
    void (async () => {
      try {
        for await (const chunk of stream) {
          this.buffer += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
          let i: number
          while ((i = this.buffer.indexOf('\n\n')) >= 0) {
            const text = this.buffer.slice(0, i)
            this.buffer = this.buffer.slice(i + 2)
            const block: SseBlock = { comments: [] }
            for (const line of text.split('\n')) {
              if (line.startsWith(':')) block.comments.push(line.slice(1).trim())
              else {
                const c = line.indexOf(':')
                const key = line.slice(0, c) as 'id' | 'event' | 'data' | 'retry'
                block[key] = line.slice(c + 1).replace(/^ /, '')
              }
            }
            this.blocks.push(block)
          }
          for (const w of this.waiters.splice(0)) w()
        }
      } catch { /* stream destroyed by the test */ }
      this.ended = true
      for (const w of this.waiters.splice(0)) w()
    })()
  }

  /** Blocks that are alert events. */
  events (): SseBlock[] {
    return this.blocks.filter((b) => b.event === 'alert')
  }

  /** Waits until `check` holds (or fails after 5 s). */
  async until (check: (r: SseReader) => boolean, what = 'SSE condition'): Promise<void> {
    const end = Date.now() + 5000
    while (!check(this)) {
      if (this.ended) throw new Error(`SSE stream ended before ${what}`)
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.blocks)}`)
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 100) })
    }
  }
}
