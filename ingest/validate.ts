/**
 * Step 2, validate: the registry says who may send what, then the zod schema of the
 * kind checks each reading. Valid readings go on; the invalid ones of a message become
 * ONE rejection naming how many there were and the first few problems with their path.
 */
import type { z } from 'zod'
import { READING_SCHEMAS, formatIssue } from '../core/readings.js'
import type { Registry, DeviceEntry } from '../core/registry.js'
import type { Decoded } from './decode.js'
import { MAX_ISSUES_QUOTED, quoteIssues, type Rejection } from './step.js'

/** A reading that passed its schema: zod's output (defaults applied) and its index in the message. */
export interface ValidReading {
  index: number
  data: Record<string, unknown> & { ts: number | string, seq?: number | undefined }
}

export type ValidateResult =
  | { ok: true, entry: DeviceEntry, valid: ValidReading[], rejection: Rejection | null }
  | { ok: false, rejection: Rejection }

/**
 * Validates a decoded message. `deviceId` is the authenticated MQTT client (embedded
 * broker) or null (external broker: the topic is trusted to name the device).
 */
export function validate (msg: Decoded, registry: Registry, deviceId: string | null): ValidateResult {
  const { topic, items } = msg
  const n = items.length
  if (deviceId !== null && deviceId !== topic.device) {
    return { ok: false, rejection: { reason: 'topic_mismatch', detail: `device '${deviceId}' may not publish as device '${topic.device}'`, count: n } }
  }
  const entry = registry.device(topic.device)
  if (!entry) return { ok: false, rejection: { reason: 'unknown_device', detail: `device '${topic.device}' is not in the registry`, count: n } }
  if (entry.device.disabled) return { ok: false, rejection: { reason: 'unknown_device', detail: `device '${topic.device}' is disabled in the registry`, count: n } }
  if (entry.site.id !== topic.site || entry.device.kind !== topic.kind) {
    return {
      ok: false,
      rejection: {
        reason: 'topic_mismatch',
        detail: `device '${topic.device}' is registered as ${entry.site.id}/${entry.device.kind}, not ${topic.site}/${topic.kind}`,
        count: n
      }
    }
  }

  const schema: z.ZodType = READING_SCHEMAS[topic.kind]
  const valid: ValidReading[] = []
  const quoted: string[] = []
  let issues = 0
  let invalid = 0
  for (let i = 0; i < n; i++) {
    const r = schema.safeParse(items[i])
    if (r.success) {
      valid.push({ index: i, data: r.data as ValidReading['data'] })
      continue
    }
    invalid++
    for (const issue of r.error.issues) {
      issues++
      if (quoted.length < MAX_ISSUES_QUOTED) quoted.push(formatIssue(explainUnion(issue), msg.isArray ? [i] : []))
    }
  }
  const rejection: Rejection | null = invalid === 0
    ? null
    : { reason: 'invalid_reading', detail: `${invalid} of ${n} readings invalid: ${quoteIssues(quoted, issues)}`, count: invalid }
  return { ok: true, entry, valid, rejection }
}

/**
 * zod reports a failed union (e.g. `ts`: number or string) as a bare "Invalid input".
 * Quote the branch that got furthest (its value had the right type) or a schema's own
 * message, or else say which
 * types were expected: `ts: Invalid input: expected number or string, received boolean`.
 */
function explainUnion (issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue
  const typed = issue.errors.find((branch) => branch.length > 0 && branch.some((e) => e.code !== 'invalid_type'))
  const first = typed?.find((e) => e.code !== 'invalid_type') ??
    issue.errors.flat().find((e) => !e.message.startsWith('Invalid input')) // a schema's own message, e.g. `.int('ts … integer')`
  if (first) return { ...first, path: [...issue.path, ...first.path] }
  const expected: string[] = []
  let received = ''
  for (const branch of issue.errors) {
    for (const e of branch) {
      if (e.code !== 'invalid_type') continue
      if (!expected.includes(e.expected)) expected.push(e.expected)
      received ||= /received (\w+)/.exec(e.message)?.[1] ?? ''
    }
  }
  return { ...issue, message: `Invalid input: expected ${expected.join(' or ')}${received ? `, received ${received}` : ''}` }
}
