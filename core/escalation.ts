/**
 * Escalation policies (issue 16 point 2): per site and severity, an alert nobody acknowledges is
 * re-notified and escalated after configured delays to the next tier of contacts (e.g. 当班班长 →
 * 矿山安全员 → 监管部门), with reminders at an interval; an acknowledgement (or the alert resolving
 * or being closed) stops it. Set in the config (alerts.escalation).
 *
 * Each step is a stored transition of the alert, the state unchanged, with reason
 * `escalated:tier<N>` or `reminder:tier<N>:<k>`; its deliveries go through the outbox in the same
 * transaction. Where an alert stands is therefore a pure function of its stored transitions
 * (followTransition, replayed at start), so a restart neither repeats nor skips a step.
 */
import { z } from 'zod'
import type { AlertState } from './alerts.js'
import { SEVERITIES, type Severity } from './sites.js'
import { SUPPRESSED_PREFIX, SUPPRESSION_ENDED_PREFIX } from './schedules.js'
import { SECOND } from './time.js'

export const escalationTierSchema = z.strictObject({
  /** Who this tier is, quoted in the texts (e.g. 矿山安全员). */
  name: z.string().trim().min(1).max(100),
  /** Seconds after the alert started needing attention (it fired) that this tier is notified; the first tier's is 0 (notified when it fires). */
  afterS: z.number().int().nonnegative().default(0),
  /** Subscription ids (alerts.subscriptions) this tier's messages go to. */
  receivers: z.array(z.string().min(1)).min(1)
})

export const escalationPolicySchema = z.strictObject({
  /** Unique id, letters, digits, '-' and '_'. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, - and _, at most 64'),
  /** Sites it applies to ('*' or a list). */
  sites: z.union([z.literal('*'), z.array(z.string().min(1)).min(1)]),
  /** The alert severity it applies to (an alert whose severity changes follows the other severity's policy from then on). */
  severity: z.enum(SEVERITIES),
  /** Alert kinds it applies to ('*' or a list). */
  kinds: z.union([z.literal('*'), z.array(z.string().min(1)).min(1)]).default('*'),
  /** While unacknowledged, a reminder to the tiers reached so far every this many seconds after the last step; none when absent. */
  repeatS: z.number().int().positive().optional(),
  tiers: z.array(escalationTierSchema).min(2, 'at least two tiers: the first is notified when the alert fires, the next ones are escalated to')
}).refine((p) => p.tiers[0]!.afterS === 0, { message: 'the first tier is notified when the alert fires: its afterS must be 0', path: ['tiers', 0, 'afterS'] })
  .superRefine((p, ctx) => {
    for (let i = 1; i < p.tiers.length; i++) {
      if (p.tiers[i]!.afterS <= p.tiers[i - 1]!.afterS) ctx.addIssue({ code: 'custom', path: ['tiers', i, 'afterS'], message: `must be later than tier ${i}'s afterS (${p.tiers[i - 1]!.afterS} s): tiers are reached one after the other` })
    }
  })

export type EscalationPolicy = z.infer<typeof escalationPolicySchema>

const listOverlaps = (a: '*' | readonly string[], b: '*' | readonly string[]): boolean => a === '*' || b === '*' || a.some((x) => b.includes(x))

/**
 * Problems of the policies against the config, as [index, path, message]: unknown sites and
 * receivers, duplicate ids, two policies for the same site, severity and kind.
 */
export function escalationProblems (policies: readonly EscalationPolicy[], siteIds: ReadonlySet<string>, subscriptionIds: ReadonlySet<string>): Array<[number, (string | number)[], string]> {
  const out: Array<[number, (string | number)[], string]> = []
  policies.forEach((p, i) => {
    if (policies.findIndex((q) => q.id === p.id) < i) out.push([i, ['id'], `duplicate escalation policy id '${p.id}'`])
    if (p.sites !== '*') p.sites.forEach((s, k) => { if (!siteIds.has(s)) out.push([i, ['sites', k], `unknown site '${s}'`]) })
    p.tiers.forEach((t, j) => t.receivers.forEach((r, k) => {
      if (!subscriptionIds.has(r)) out.push([i, ['tiers', j, 'receivers', k], `'${r}' is not a subscription id (alerts.subscriptions[].id)`])
    }))
    const other = policies.findIndex((q, j) => j < i && q.severity === p.severity && listOverlaps(q.sites, p.sites) && listOverlaps(q.kinds, p.kinds))
    if (other >= 0) out.push([i, ['sites'], `policy '${policies[other]!.id}' already escalates ${p.severity} alerts of these sites and kinds (one policy per site, severity and kind)`])
  })
  return out
}

/** The policy for an alert of this site, severity and kind, or undefined. */
export function policyFor (policies: readonly EscalationPolicy[], site: string, severity: Severity, kind: string): EscalationPolicy | undefined {
  return policies.find((p) => p.severity === severity && (p.sites === '*' || p.sites.includes(site)) && (p.kinds === '*' || p.kinds.includes(kind)))
}

/** Transition reason of an escalation to tier N (N ≥ 2): `escalated:tier<N>`. */
export const escalatedReason = (tier: number): string => `escalated:tier${tier}`
/** Transition reason of the k-th reminder at tier N: `reminder:tier<N>:<k>`. */
export const reminderReason = (tier: number, k: number): string => `reminder:tier${tier}:${k}`

/** An escalation step's tier and reminder number (0 for the escalation itself), or null for any other reason. */
export function escalationStep (reason: string): { tier: number, reminder: number } | null {
  const m = /^(?:escalated:tier(\d+)|reminder:tier(\d+):(\d+))$/.exec(reason)
  if (m === null) return null
  return m[1] !== undefined ? { tier: Number(m[1]), reminder: 0 } : { tier: Number(m[2]), reminder: Number(m[3]) }
}

/** Where an unacknowledged alert stands in its policy. */
export interface EscalationTrack {
  policy: string
  /** When the alert started needing attention (the transition that fired it, re-fired it or released it), epoch ms. */
  startAt: number
  /** The tier reached (1: notified when it fired). */
  tier: number
  /** Reminders sent at this tier. */
  reminders: number
  /** Time of the last step (or of the start), epoch ms: reminders count from it. */
  lastAt: number
}

/** What followTransition needs of a transition. */
export interface TrackedTransition { from: AlertState | null, to: AlertState, reason: string, at: number }

/**
 * The track after a stored transition of the alert: an acknowledgement, a resolve and a
 * suppression stop it; a firing, a re-fire (after an acknowledgement or a severity change) or the
 * end of a suppression start it under `policy` (the one for the alert's severity then; none: no
 * track); an escalation step or reminder moves it; anything else (no_data, data_back) leaves it.
 * Applying the same transition twice gives the same track.
 */
export function followTransition (track: EscalationTrack | null, t: TrackedTransition, policy: EscalationPolicy | undefined): EscalationTrack | null {
  if (t.to !== 'firing' || t.reason.startsWith(SUPPRESSED_PREFIX)) return null
  const step = escalationStep(t.reason)
  if (step !== null) return track === null ? null : { ...track, tier: step.tier, reminders: step.reminder, lastAt: t.at }
  const starts = t.from === null || t.from === 'acknowledged' || t.reason.startsWith(SUPPRESSION_ENDED_PREFIX) || t.reason.startsWith('escalated:')
  if (!starts) return track
  return policy === undefined ? null : { policy: policy.id, startAt: t.at, tier: 1, reminders: 0, lastAt: t.at }
}

/**
 * The step due at `now` (the clock), or null: the next tier once its `afterS` has passed since
 * the start, else a reminder `repeatS` after the last step (never when the next tier is due first).
 * Called again after each step, a minewatch stopped past several tiers' delays sends each of them
 * in order, and one reminder.
 */
export function nextStep (track: EscalationTrack, policy: EscalationPolicy, now: number): { reason: string, tier: number } | null {
  let nextTierAt = Infinity
  if (track.tier < policy.tiers.length) {
    nextTierAt = track.startAt + policy.tiers[track.tier]!.afterS * SECOND
    if (now >= nextTierAt) return { reason: escalatedReason(track.tier + 1), tier: track.tier + 1 }
  }
  if (policy.repeatS !== undefined) {
    const remindAt = track.lastAt + policy.repeatS * SECOND
    if (remindAt < nextTierAt && now >= remindAt) return { reason: reminderReason(track.tier, track.reminders + 1), tier: track.tier }
  }
  return null
}

/** The subscription ids of tiers 1…tier, each once (a step re-notifies the tiers already reached). */
export function tierReceivers (policy: EscalationPolicy, tier: number): string[] {
  return [...new Set(policy.tiers.slice(0, tier).flatMap((t) => t.receivers))]
}
