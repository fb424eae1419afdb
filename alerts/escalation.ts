/**
 * Escalation of unacknowledged alerts (core/escalation.ts has the policy rules): one track per
 * open alert that a policy covers, moved by every stored transition of the alert (live, and
 * replayed from its history at start), so where each alert stands is always what its stored
 * transitions say. The engine asks for the steps due on each tick and stores each one as a
 * transition; which receivers a transition goes to (beyond the ordinary subscriptions) is asked here.
 */
import { isEvidenceTransition, type Alert, type AlertTransition } from '../core/alerts.js'
import { escalationStep, followTransition, nextStep, policyFor, tierReceivers, type EscalationPolicy, type EscalationTrack } from '../core/escalation.js'
import { SUPPRESSION_ENDED_PREFIX, unsuppressedReason } from '../core/schedules.js'

/** What a step's text needs: the tier's name and the rule's own reason (the body is the rule's). */
export interface EscalationText { tierName: string, ruleReason: string }

interface Followed { track: EscalationTrack | null, seq: number, ruleReason: string }

export class EscalationBook {
  private readonly byAlert = new Map<string, Followed>()

  constructor (private policies: readonly EscalationPolicy[]) {}

  /** A config reload: tracks keep their place; one whose policy left the config stops stepping. */
  reload (policies: readonly EscalationPolicy[]): void { this.policies = policies }

  private policy (id: string): EscalationPolicy | undefined { return this.policies.find((p) => p.id === id) }

  /** Moves the alert's track with a stored transition (a transition seen before is ignored). */
  observe (alert: Alert, t: AlertTransition): void {
    const f = this.byAlert.get(alert.id) ?? { track: null, seq: 0, ruleReason: '' }
    if (t.seq <= f.seq) return
    if (t.to === 'resolved') { this.byAlert.delete(alert.id); return }
    const track = followTransition(f.track, t, policyFor(this.policies, alert.site, t.severity, alert.kind))
    const own = t.to === 'firing' && escalationStep(t.reason) === null && !t.reason.startsWith(SUPPRESSION_ENDED_PREFIX) && !isEvidenceTransition(t)
    const ruleReason = own ? ruleReasonOf(t.reason) : f.ruleReason
    this.byAlert.set(alert.id, { track, seq: t.seq, ruleReason })
  }

  /** Rebuilds an open alert's track from its stored history (start-up). */
  restore (alert: Alert, history: readonly AlertTransition[]): void {
    this.byAlert.delete(alert.id)
    for (const t of history) this.observe(alert, t)
  }

  /** The step due for this alert at `now`, or null. */
  due (alertId: string, now: number): { reason: string, text: EscalationText } | null {
    const f = this.byAlert.get(alertId)
    if (f?.track == null) return null
    const policy = this.policy(f.track.policy)
    if (policy === undefined) return null
    const step = nextStep(f.track, policy, now)
    return step === null ? null : { reason: step.reason, text: { tierName: policy.tiers[step.tier - 1]!.name, ruleReason: f.ruleReason } }
  }

  /** Ids of the alerts with a running track (the ones a tick looks at). */
  tracked (): string[] {
    const out: string[] = []
    for (const [id, f] of this.byAlert) if (f.track !== null) out.push(id)
    return out
  }

  /** The text inputs of a step transition of this alert (for texts rebuilt in another language), or undefined. */
  textOf (alertId: string, t: AlertTransition): EscalationText | undefined {
    const step = escalationStep(t.reason)
    const f = this.byAlert.get(alertId)
    if (step === null || f?.track == null) return undefined
    const policy = this.policy(f.track.policy)
    return { tierName: policy?.tiers[step.tier - 1]?.name ?? `tier ${step.tier}`, ruleReason: f.ruleReason }
  }

  /**
   * Subscription ids a transition goes to as escalation receivers (called before `observe` of
   * it): a step, the tiers it reaches; the firing that starts a track, tier 1; an acknowledgement,
   * resolve or evidence mark of a tracked alert, the tiers reached so far (they hear it is handled).
   */
  receivers (alert: Alert, t: AlertTransition): string[] {
    const f = this.byAlert.get(alert.id)
    const step = escalationStep(t.reason)
    if (step !== null) {
      const policy = f?.track == null ? undefined : this.policy(f.track.policy)
      return policy === undefined ? [] : tierReceivers(policy, step.tier)
    }
    const next = followTransition(f?.track ?? null, t, policyFor(this.policies, alert.site, t.severity, alert.kind))
    if (next !== null && next !== (f?.track ?? null)) {
      const policy = this.policy(next.policy)
      return policy === undefined ? [] : tierReceivers(policy, 1)
    }
    const reached = f?.track == null ? undefined : this.policy(f.track.policy)
    return reached === undefined || f?.track == null ? [] : tierReceivers(reached, f.track.tier)
  }
}

/** The rule's own reason behind a firing transition's reason (suppressed:…, escalated:… severity changes). */
function ruleReasonOf (reason: string): string {
  const r = unsuppressedReason(reason)
  return r.startsWith('escalated:') ? r.slice('escalated:'.length) : r
}
