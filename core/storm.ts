/**
 * Storm control (issue 16 point 5): grouping of related alerts into one notification, and
 * inhibition of a device's offline alert while a device it reports through (its `parent`, e.g. a
 * gateway or data logger) is offline itself. Every grouped or inhibited alert is still stored
 * with its own transitions; only its delivery changes. The transition reasons below are the
 * record of it (and how the engine rebuilds its groups after a restart), so they live here, once.
 */
import { z } from 'zod'
import { ALERT_KINDS } from './alerts.js'

export const GROUP_SCOPES = ['site', 'parent'] as const

export const alertGroupSchema = z.strictObject({
  /** Unique id, letters, digits, '-' and '_' (quoted in the transitions of its alerts). */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, - and _, at most 64'),
  /** Alert kinds the group collects. */
  kinds: z.array(z.enum(ALERT_KINDS)).min(1),
  /** Sites it applies to (`*`: all). */
  sites: z.union([z.literal('*'), z.array(z.string().min(1)).min(1)]).default('*'),
  /**
   * What makes alerts related: `site` (every alert of these kinds at one site, e.g. the dust
   * monitors of a site in a wind event) or `parent` (alerts of devices behind one parent device,
   * e.g. one gateway; alerts of devices without a parent are not grouped by it).
   */
  by: z.enum(GROUP_SCOPES).default('site'),
  /** How long after the group's first alert fired its notification waits for more, s. */
  windowS: z.number().int().positive().max(3600)
})
export type AlertGroup = z.infer<typeof alertGroupSchema>

/** Transition reason of an alert held for a group: `grouped:<group>:<rule reason>`, not delivered yet. */
export const GROUPED_PREFIX = 'grouped:'
/** Transition reason when a held alert went out in its group's one notification: `group_notified:<group>`. */
export const GROUP_NOTIFIED_PREFIX = 'group_notified:'
/** Transition reason of an offline alert inhibited by its parent's open offline alert: `inhibited:<alert id>`. */
export const INHIBITED_PREFIX = 'inhibited:'
/** Transition reason when the inhibiting alert resolved and the inhibited one is still open (delivered then): `inhibition_ended:<alert id>`. */
export const INHIBITION_ENDED_PREFIX = 'inhibition_ended:'

/**
 * Group key of an alert held for a group: `<group id>/<site or parent device>`. Implicit group of
 * a device's offline alert waiting to see whether its parent is offline too: `behind/<parent>`.
 */
export const IMPLICIT_GROUP = 'behind'

/** Group key inside a `grouped:<key>:<reason>` or `group_notified:<key>` reason, or null. */
export function groupOfReason (reason: string): string | null {
  if (reason.startsWith(GROUP_NOTIFIED_PREFIX)) return reason.slice(GROUP_NOTIFIED_PREFIX.length)
  if (!reason.startsWith(GROUPED_PREFIX)) return null
  const rest = reason.slice(GROUPED_PREFIX.length)
  const i = rest.lastIndexOf(':') // rule reasons hold no ':'
  return i < 0 ? rest : rest.slice(0, i)
}

/** The inhibiting alert's id inside an `inhibited:` or `inhibition_ended:` reason, or null. */
export function inhibitorOfReason (reason: string): string | null {
  if (reason.startsWith(INHIBITED_PREFIX)) return reason.slice(INHIBITED_PREFIX.length)
  if (reason.startsWith(INHIBITION_ENDED_PREFIX)) return reason.slice(INHIBITION_ENDED_PREFIX.length)
  return null
}

/** The rule's own reason inside a `grouped:<key>:<reason>` reason (unchanged otherwise). */
export function ungroupedReason (reason: string): string {
  if (!reason.startsWith(GROUPED_PREFIX)) return reason
  const i = reason.lastIndexOf(':')
  return i < GROUPED_PREFIX.length ? '' : reason.slice(i + 1)
}

/** True for the storm-control transitions that only change an open alert's delivery (its state unchanged). */
export function isStormNote (reason: string): boolean {
  return reason.startsWith(GROUP_NOTIFIED_PREFIX) || reason.startsWith(INHIBITED_PREFIX) || reason.startsWith(INHIBITION_ENDED_PREFIX)
}

/** A device and its parent link, as the config holds them. */
interface ParentLink { id: string, parent?: string | undefined }

/** Problems with the devices' `parent` links of one site, as [device index, message]: unknown, itself, a cycle. */
export function parentProblems (devices: readonly ParentLink[]): Array<[number, string]> {
  const byId = new Map(devices.map((d) => [d.id, d]))
  const out: Array<[number, string]> = []
  devices.forEach((d, j) => {
    if (d.parent === undefined) return
    if (d.parent === d.id) { out.push([j, `'${d.id}' cannot be its own parent`]); return }
    if (!byId.has(d.parent)) { out.push([j, `'${d.parent}' is not a device of this site (a parent reports for devices of its own site)`]); return }
    const seen = new Set([d.id])
    for (let p: string | undefined = d.parent; p !== undefined; p = byId.get(p)?.parent) {
      if (seen.has(p)) { out.push([j, `parent links of '${d.id}' form a cycle through '${p}'`]); return }
      seen.add(p)
    }
  })
  return out
}
