/**
 * Uplink: a site's minewatch forwards its stored readings and alert transitions to upstream
 * MQTT brokers (typically a provincial minewatch) through durable queues; the upstream's
 * side is UplinkReceiver. Wired only in bin/up.ts. docs/uplink.md.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs'
import { basename, join } from 'node:path'
import { writeQueueCapture } from '../store/segments/snapshot.js'
import { COMMENT_ACTION, type AlertTransition, type CloseReason } from '../core/alerts.js'
import type { Clock } from '../core/clock.js'
import type { Config } from '../core/config.js'
import type { Logger } from '../core/log.js'
import type { Reading } from '../core/readings.js'
import { MinewatchError } from '../core/errors.js'
import type { AlertStore, AuditStore } from '../store/state.js'
import type { TelemetryStore } from '../store/telemetry.js'
import { Hj212Forwarder } from './hj212/forwarder.js'
import { Forwarder, queueDir, type UplinkTarget } from './forwarder.js'
import { STATUS_FILE, type UplinkStatus } from './status.js'
import type { DownlinkMessage } from './items.js'
import { ReportForwarding } from './reports.js'
import type { UplinkMetrics } from './metrics.js'

export { UplinkReceiver } from './receiver.js'
export { createUplinkMetrics, type UplinkMetrics } from './metrics.js'
export type { TargetStatus } from './forwarder.js'
export { readUplinkStatus, formatUplinkStatus, STATUS_FILE, type UplinkStatus } from './status.js'

/** The status file is rewritten this often, ms. */
const STATUS_EVERY_MS = 1000
/** The daily reports' state (uplink/reports.ts), in <data-dir>/uplink/. */
const REPORTS_FILE = 'reports.json'
/** Transitions read back per page when catching up after a restart. */
const CATCH_UP_PAGE = 500

export interface UplinkOptions {
  config: Config['uplink']
  /** The sites (the HJ 212 targets' devices: kind, registration). */
  sites: Config['sites']
  dataDir: string
  /** Read for HJ 212 interval data and history requests. */
  telemetry: Pick<TelemetryStore, 'series'>
  alertStore: AlertStore
  /** The site's daily report of a Beijing day, as GET /api/v1/reports/daily gives it (undefined: no such site). */
  dailyReport: (site: string, date: string) => Promise<Record<string, unknown> | undefined>
  /** ingest.maxLateMs: how far back late data can change a day. */
  maxLateMs: number
  /** Applies an upstream acknowledgement, comment and close (the alert engine's, the ones the API calls). */
  ack: (id: string, by: string, note: string) => Promise<unknown>
  comment: (id: string, by: string, text: string) => Promise<unknown>
  close: (id: string, by: string, reason: CloseReason, text: string) => Promise<unknown>
  /** The site's audit log: a comment redelivered from upstream is found there and not added twice. */
  audit?: Pick<AuditStore, 'list'>
  env?: NodeJS.ProcessEnv
  clock: Clock
  logger: Logger
  metrics: UplinkMetrics
}

export class Uplink {
  private readonly forwarders: Forwarder[]
  private readonly hj212: Hj212Forwarder[]
  private readonly reports: ReportForwarding
  private alertChain: Promise<void> = Promise.resolve()
  private timer: NodeJS.Timeout | null = null
  private readonly dir: string

  constructor (private readonly o: UplinkOptions) {
    const env = o.env ?? process.env
    this.dir = join(o.dataDir, 'uplink')
    mkdirSync(this.dir, { recursive: true })
    this.forwarders = o.config.targets.map((t) => {
      const password = env[t.passwordEnv]
      if (password === undefined || password === '') throw new MinewatchError('MW_CONFIG_INVALID', `uplink target '${t.name}': environment variable ${t.passwordEnv} (its password) is not set`)
      return new Forwarder({ target: t, dir: queueDir(o.dataDir, t.name), password, clock: o.clock, logger: o.logger, metrics: o.metrics, applyDownlink: (m, target) => this.applyDownlink(m, target) })
    })
    this.hj212 = o.config.hj212.map((t) => {
      const site = o.sites.find((s) => s.id === t.site)
      if (site === undefined) throw new MinewatchError('MW_CONFIG_INVALID', `uplink hj212 target '${t.name}': site '${t.site}' is not configured`)
      const devices = new Map(t.devices.map((d) => {
        const device = site.devices.find((x) => x.id === d.id)
        if (device === undefined) throw new MinewatchError('MW_CONFIG_INVALID', `uplink hj212 target '${t.name}': '${d.id}' is not a device of site '${t.site}'`)
        const pw = env[d.pwEnv]
        if (pw === undefined || pw === '') throw new MinewatchError('MW_CONFIG_INVALID', `uplink hj212 target '${t.name}': environment variable ${d.pwEnv} (the PW of ${d.id}) is not set`)
        return [d.id, { device, mn: d.mn, pw, st: d.st ?? (device.kind === 'water' ? '32' : '22') }] as const // HJ 212-2017 表 3: 22 air quality, 32 wastewater source
      }))
      return new Hj212Forwarder({ target: t, dir: queueDir(o.dataDir, t.name), watermarkFile: join(this.dir, `${t.name}.intervals.json`), devices, store: o.telemetry, rolloverM3: site.water.rolloverM3, clock: o.clock, logger: o.logger, metrics: o.metrics })
    })
    const reporting = o.config.targets.filter((t) => t.forward.dailyReports)
    this.reports = new ReportForwarding({
      sites: [...new Set(reporting.map((t) => t.site))],
      graceMs: o.config.dailyReports.graceS * 1000,
      refreshMs: o.config.dailyReports.refreshS * 1000,
      maxLateMs: o.maxLateMs,
      compute: o.dailyReport,
      offer: async (r) => { await Promise.all(this.forwarders.map((f) => f.offerReport(r))) },
      stateFile: join(this.dir, REPORTS_FILE),
      clock: o.clock,
      logger: o.logger
    })
  }

  get enabled (): boolean { return this.forwarders.length + this.hj212.length > 0 }

  /** Starts the targets; alert transitions stored since the last forwarded one (a crash in between) are queued first. */
  start (): void {
    for (const f of this.forwarders) f.start()
    for (const f of this.hj212) f.start()
    if (this.forwarders.length > 0) this.alertChain = this.alertChain.then(() => this.catchUp()).catch((err: unknown) => this.o.logger.error({ err }, 'uplink: catching up alert transitions failed'))
    this.reports.start()
    this.writeStatus()
    this.timer = setInterval(() => this.writeStatus(), STATUS_EVERY_MS)
    this.timer.unref()
  }

  /** ingest.onStored: readings now durable in the store. */
  readingsStored (readings: readonly Reading[]): void {
    for (const f of this.forwarders) f.offerReadings(readings)
    for (const f of this.hj212) f.offerReadings(readings)
    this.reports.readingsStored(readings)
  }

  /** alerts.onTransition: queued in order, each with the alert as it stands. */
  transitionStored (t: AlertTransition): void {
    if (!this.forwarders.some((f) => f.forwardsAlertsOf(t.site))) return
    this.alertChain = this.alertChain.then(() => this.forward(t)).catch((err: unknown) => this.o.logger.error({ err, alertId: t.alertId }, 'uplink: could not queue an alert transition'))
  }

  private async forward (t: AlertTransition): Promise<void> {
    const alert = await this.o.alertStore.get(t.alertId)
    if (alert === undefined) return
    await Promise.all(this.forwarders.map((f) => f.offerTransition({ alert, transition: t })))
    this.saveSeq(t.seq)
  }

  /**
   * Copies every target's queue, and the alert-transition cursor, into `<dataDir>/uplink/` of a backup:
   * all captured in one synchronous step, so no append or confirmation falls between two targets.
   */
  async snapshot (dataDir: string): Promise<string[]> {
    const seq = existsSync(this.seqPath()) ? readFileSync(this.seqPath()) : undefined
    const reports = this.reports.snapshotState()
    const captures = this.forwarders.map((f) => ({ name: basename(f.queueDir), c: f.captureQueue() }))
    const out: string[] = []
    const root = join(dataDir, 'uplink')
    for (const { name, c } of captures) out.push(...(await writeQueueCapture(c, join(root, name))).map((f) => join('uplink', name, f)))
    if (seq !== undefined) {
      mkdirSync(root, { recursive: true })
      writeFileSync(join(root, 'alerts-seq.json'), seq)
      out.push(join('uplink', 'alerts-seq.json'))
    }
    if (this.reports.enabled) {
      mkdirSync(root, { recursive: true })
      writeFileSync(join(root, REPORTS_FILE), reports)
      out.push(join('uplink', REPORTS_FILE))
    }
    return out
  }

  private seqPath (): string { return join(this.dir, 'alerts-seq.json') }

  private saveSeq (seq: number): void {
    const tmp = this.seqPath() + '.tmp'
    writeFileSync(tmp, JSON.stringify({ seq }))
    renameSync(tmp, this.seqPath())
  }

  private async catchUp (): Promise<void> {
    let after = 0
    if (existsSync(this.seqPath())) {
      try { after = Number((JSON.parse(readFileSync(this.seqPath(), 'utf8')) as { seq: unknown }).seq) || 0 } catch { after = 0 }
    }
    for (;;) {
      const page = await this.o.alertStore.transitionsSince(after, CATCH_UP_PAGE)
      for (const t of page) if (this.forwarders.some((f) => f.forwardsAlertsOf(t.site))) await this.forward(t)
      if (page.length < CATCH_UP_PAGE) break
      after = page.at(-1)!.seq
      this.saveSeq(after)
    }
  }

  /**
   * A regulator's request from upstream, applied through this site's own alert lifecycle and
   * recorded as who and where ("李工 @ province"): the site stays the authority on its alerts. An
   * ack of an alert no longer firing, or a close of one already resolved, throws MW_CONFLICT (the
   * forwarder counts it as skipped: a redelivery or a request overtaken here is not applied twice).
   */
  private async applyDownlink (m: DownlinkMessage, target: UplinkTarget): Promise<void> {
    const by = `${m.by} @ ${target.name}`
    switch (m.type) {
      case 'ack': await this.o.ack(m.alertId, by, m.note); return
      case 'close': await this.o.close(m.alertId, by, m.reason, m.text); return
      case 'comment': {
        // QoS 1 may deliver it again (a crash before the PUBACK): the same author's same text on the alert is one comment
        const held = await this.o.audit?.list({ target: m.alertId, action: COMMENT_ACTION, limit: 1000 }) ?? []
        if (held.some((r) => r.actor === by && r.detail.text === m.text)) throw new MinewatchError('MW_CONFLICT', `comment by ${by} on ${m.alertId} is already here`)
        await this.o.comment(m.alertId, by, m.text)
      }
    }
  }

  status (): UplinkStatus {
    return { at: this.o.clock.now(), targets: [...this.forwarders, ...this.hj212].map((f) => f.status()) }
  }

  /** For /readyz: one check per target; not ready while a queue is at its bound (items dropped or refused). */
  health (): Record<string, { ok: boolean, detail: string }> {
    const out: Record<string, { ok: boolean, detail: string }> = {}
    for (const s of this.status().targets) {
      out[`uplink:${s.name}`] = {
        ok: !s.full,
        detail: `${s.connected ? 'connected' : 'disconnected'}, ${s.backlogItems} items (${s.backlogBytes} of ${s.maxBytes} bytes) queued, ${s.droppedItems} dropped, ${s.refusedItems} refused (onFull: ${s.onFull})`
      }
    }
    return out
  }

  private writeStatus (): void {
    try {
      const tmp = join(this.dir, STATUS_FILE + '.tmp')
      writeFileSync(tmp, JSON.stringify(this.status()))
      renameSync(tmp, join(this.dir, STATUS_FILE))
    } catch (err) {
      this.o.logger.warn({ err }, 'uplink: status file not written')
    }
  }

  async close (): Promise<void> {
    if (this.timer !== null) { clearInterval(this.timer); this.timer = null }
    await this.reports.close()
    await this.alertChain
    await Promise.all([...this.forwarders, ...this.hj212].map((f) => f.close()))
    this.writeStatus()
  }
}
