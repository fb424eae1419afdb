/**
 * The upstream side (a provincial minewatch): takes the batches sites publish on
 * uplink/{site}/up (the broker's ACL already checked the site account publishes for its own
 * site), stores their readings through ingest like local ones (validation, dedup: a replayed
 * batch stores nothing twice) and their alert transitions under the site's own alert ids;
 * a regulator's acknowledgement here goes down to the site on uplink/{site}/down and is
 * applied there through the site's lifecycle, whose transition then comes back up. A site's
 * daily reports are kept as the site computed them (the last one per site-day).
 */
import type { Alert, AlertTransition, CloseReason } from '../core/alerts.js'
import { SYSTEM_ACTOR } from '../core/audit.js'
import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/log.js'
import type { Registry } from '../core/registry.js'
import type { Reading } from '../core/readings.js'
import { FIELDS } from '../core/kinds.js'
import { MinewatchError } from '../core/errors.js'
import { mgM3ToDust } from '../core/units.js'
import { telemetryTopic, uplinkTopic } from '../core/topics.js'
import type { Ingest } from '../ingest/index.js'
import type { AlertStore, AuditStore, ForwardedReportStore } from '../store/state.js'
import { decodeBatch } from './codec.js'
import type { DownlinkMessage, ForwardedDailyReport } from './items.js'
import type { UplinkMetrics } from './metrics.js'

/** Readings per ingest message (ingest takes at most 5,000 per message and 256 KiB). */
const READINGS_PER_MESSAGE = 500
/** The audit action of a request sent down to a site (ack, comment, close). */
export const DOWNLINK_ACTION = 'alert.downlink'
/** How long an acknowledgement or close at the province waits for the site's transition to come back, ms. */
export const ACK_ROUND_TRIP_MS = 10_000 // 10 s
const DUST_CONCENTRATIONS = new Set(FIELDS.dust.filter((f) => f.unit === 'mg/m³').map((f) => f.name))

export interface ReceiverOptions {
  registry: Registry
  ingest: Ingest
  alertStore: AlertStore
  forwardedReports: ForwardedReportStore
  /** This minewatch's audit log: the requests sent down (action alert.downlink) and the site's transitions as they arrive. */
  audit?: Pick<AuditStore, 'append'>
  /** Throws an Error saying what is wrong when a forwarded report is not a daily report (the API's schema). */
  checkReport: (report: unknown) => void
  /** Publishes on the embedded broker (QoS 1). */
  publish: (topic: string, payload: Buffer) => Promise<void>
  /** True for a site whose minewatch uplinks here (it has a site-uplink account): its alerts are the site's. */
  isUplinked: (site: string) => boolean
  clock: Clock
  logger: Logger
  metrics: UplinkMetrics
}

export class UplinkReceiver {
  private readonly listeners = new Set<(t: AlertTransition) => void>()

  constructor (private readonly o: ReceiverOptions) {}

  /**
   * One batch from `site`. Resolves once its readings are durable and its transitions stored (the
   * broker then sends the PUBACK and the site removes the batch from its queue); rejects when the
   * store failed (no PUBACK: the site sends it again). A malformed batch is recorded as a reject
   * and acknowledged: sending it again would not mend it.
   */
  async handle (site: string, msg: { topic: string, payload: Buffer, receivedAt: number }): Promise<{ forward: boolean }> {
    let batch: ReturnType<typeof decodeBatch>
    try {
      batch = decodeBatch(site, msg.payload)
    } catch (err) {
      await this.o.ingest.recordDenied({ deviceId: null, topic: msg.topic, reason: 'invalid_reading', payload: msg.payload.subarray(0, 1024), at: msg.receivedAt, detail: (err as Error).message.slice(0, 512) })
      return { forward: false }
    }
    const writes: Promise<unknown>[] = []
    for (const [device, readings] of byDevice(batch.readings)) {
      const entry = this.o.registry.device(device)
      const unit = entry?.device.unit ?? 'mg/m3'
      for (let i = 0; i < readings.length; i += READINGS_PER_MESSAGE) {
        const part = readings.slice(i, i + READINGS_PER_MESSAGE)
        const payload = Buffer.from(JSON.stringify(part.map((r) => asSent(r, unit))))
        // deviceId null: the topic names the device (as for an external broker); ingest checks it against the registry
        writes.push(this.o.ingest.handle({ topic: telemetryTopic(site, part[0]!.kind, device), payload, deviceId: null, receivedAt: msg.receivedAt }))
      }
    }
    await Promise.all(writes)
    if (batch.readings.length > 0) this.o.metrics.received.inc({ site, kind: 'reading' }, batch.readings.length)
    for (const { alert, transition } of batch.transitions) await this.storeTransition(alert, transition)
    for (const d of batch.reports) await this.storeReport(d, msg)
    return { forward: false } // batches are for this minewatch, not for its MQTT subscribers
  }

  /** Stores a site's transition unless it is stored already (a replayed batch). */
  private async storeTransition (alert: Alert, t: AlertTransition): Promise<void> {
    const history = await this.o.alertStore.history(alert.id)
    if (history.some((h) => h.at === t.at && h.to === t.to && h.from === t.from && h.reason === t.reason)) return
    const { seq: _siteSeq, ...rest } = t
    void _siteSeq
    // audited here too, as the site's: who (at the site, or a regulator here "@ <target>"), what
    const audit = this.o.audit === undefined ? undefined : {
      at: this.o.clock.now(), site: alert.site, actor: t.by ?? SYSTEM_ACTOR, action: 'alert.transition', target: alert.id,
      detail: { kind: alert.kind, subject: alert.subject, from: t.from, to: t.to, reason: t.reason, eventAt: t.at, forwardedBy: alert.site }
    }
    const stored = await this.o.alertStore.transition(alert, rest, undefined, audit)
    this.o.metrics.received.inc({ site: alert.site, kind: 'transition' })
    for (const l of this.listeners) {
      try { l(stored) } catch (err) { this.o.logger.error({ err }, 'uplink: transition listener failed') }
    }
  }

  /**
   * Keeps a site's daily report unless the one held is the same or later (a replayed batch, a
   * re-send). One that is not a daily report is recorded as a reject and acknowledged (the rest
   * of the batch is stored).
   */
  private async storeReport (d: ForwardedDailyReport, msg: { topic: string, receivedAt: number }): Promise<void> {
    try {
      this.o.checkReport(d.report)
    } catch (err) {
      const detail = `daily report ${d.site} ${d.date} revision ${d.revision}: ${(err as Error).message}`.slice(0, 512)
      await this.o.ingest.recordDenied({ deviceId: null, topic: msg.topic, reason: 'invalid_reading', payload: Buffer.from(JSON.stringify(d).slice(0, 1024)), at: msg.receivedAt, detail })
      return
    }
    const outcome = await this.o.forwardedReports.put({ ...d, receivedAt: this.o.clock.now() })
    if (outcome !== 'kept') this.o.metrics.received.inc({ site: d.site, kind: 'report' })
    this.o.logger.info({ site: d.site, date: d.date, revision: d.revision, outcome }, 'uplink: daily report from a site')
  }

  /** True when `id` is an alert of a site that uplinks here (acknowledged at the site, through the downlink). */
  async owns (id: string): Promise<Alert | undefined> {
    const a = await this.o.alertStore.get(id)
    return a !== undefined && this.o.isUplinked(a.site) ? a : undefined
  }

  /**
   * A regulator's acknowledgement of a site's alert: published down to the site, which applies it
   * through its own lifecycle; resolves with the alert once the site's transition came back up,
   * or, when the site is unreachable now, with the alert still firing (the ack is applied when it reconnects).
   */
  async ack (alert: Alert, by: string, note: string): Promise<Alert> {
    if (alert.state !== 'firing') throw new MinewatchError('MW_CONFLICT', `alert ${alert.id} is ${alert.state}; only a firing alert can be acknowledged`)
    return await this.request(alert, { type: 'ack', alertId: alert.id, by, note, at: this.o.clock.now() }, (t) => t.to === 'acknowledged')
  }

  /**
   * A regulator's close of a site's alert: as ack, answered once the site's transition to resolved
   * came back (the site's close, or its own resolution if that came first: the site decides).
   */
  async close (alert: Alert, by: string, reason: CloseReason, text: string): Promise<Alert> {
    if (alert.state === 'resolved') throw new MinewatchError('MW_CONFLICT', `alert ${alert.id} is resolved; only an open alert can be closed`)
    return await this.request(alert, { type: 'close', alertId: alert.id, by, reason, text, at: this.o.clock.now() }, (t) => t.to === 'resolved')
  }

  /** A comment (already stored here by the caller) sent down to the site, which adds it to its own audit log. */
  async comment (alert: Alert, by: string, text: string): Promise<void> {
    await this.request(alert, { type: 'comment', alertId: alert.id, by, text, at: this.o.clock.now() }, null)
  }

  /** Audits and publishes `msg` on uplink/{site}/down; waits (up to ACK_ROUND_TRIP_MS) for the site's transition `back` to arrive. */
  private async request (alert: Alert, msg: DownlinkMessage, back: ((t: AlertTransition) => boolean) | null): Promise<Alert> {
    const came = back === null
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
        const timer = setTimeout(() => { this.listeners.delete(listener); resolve() }, ACK_ROUND_TRIP_MS)
        const listener = (t: AlertTransition) => {
          if (t.alertId === alert.id && back(t)) { clearTimeout(timer); this.listeners.delete(listener); resolve() }
        }
        this.listeners.add(listener)
      })
    const { alertId: _id, by, at, type, ...detail } = msg
    void _id
    await this.o.audit?.append([{ at, site: alert.site, actor: by, action: DOWNLINK_ACTION, target: alert.id, detail: { type, ...detail, to: uplinkTopic(alert.site, 'down') } }])
    await this.o.publish(uplinkTopic(alert.site, 'down'), Buffer.from(JSON.stringify(msg)))
    await came
    return (await this.o.alertStore.get(alert.id)) ?? alert
  }

  /** Called after each stored site transition (the API's alert stream shows them with the local ones). */
  onTransition (listener: (t: AlertTransition) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }
}

function byDevice (readings: readonly Reading[]): Map<string, Reading[]> {
  const out = new Map<string, Reading[]>()
  for (const r of readings) {
    let list = out.get(r.device)
    if (!list) out.set(r.device, list = [])
    list.push(r)
  }
  return out
}

/** A stored reading as its device sent it: dust concentrations back in the device's registered unit (ingest converts them again). */
function asSent (r: Reading, unit: Parameters<typeof mgM3ToDust>[1]): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(r.values)) {
    values[k] = r.kind === 'dust' && typeof v === 'number' && DUST_CONCENTRATIONS.has(k) ? mgM3ToDust(v, unit) : v
  }
  return { ts: r.ts, ...(r.seq !== undefined ? { seq: r.seq } : {}), ...values }
}
