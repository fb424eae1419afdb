/**
 * Checks of series(), count() and keysBetween() queries that every TelemetryStore makes before touching its
 * backend, so each answers a bad query with the same MW_BAD_REQUEST message.
 */
import { KINDS, fieldDef, numericFields } from '../core/kinds.js'
import { MinewatchError } from '../core/errors.js'
import { AGGREGATES, type CountQuery, type KeyRange, type SeriesQuery } from './telemetry.js'

function badRequest (detail: string): MinewatchError {
  return new MinewatchError('MW_BAD_REQUEST', detail)
}

function checkTime (name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw badRequest(`${name} must be an integer of epoch ms, got ${String(v)}`)
}

export function validateSeries (q: SeriesQuery): void {
  if (!(KINDS as readonly string[]).includes(q.kind)) throw badRequest(`unknown kind ${JSON.stringify(q.kind)} (expected one of ${KINDS.join(', ')})`)
  const def = fieldDef(q.kind, q.field)
  if (def === undefined) throw badRequest(`unknown field "${q.field}" for kind ${q.kind} (numeric fields: ${numericFields(q.kind).join(', ')})`)
  if (def.type === 'string') throw badRequest(`field "${q.field}" of kind ${q.kind} is not numeric and cannot be aggregated (numeric fields: ${numericFields(q.kind).join(', ')})`)
  if (!(AGGREGATES as readonly string[]).includes(q.agg)) throw badRequest(`unknown aggregate ${JSON.stringify(q.agg)} (expected one of ${AGGREGATES.join(', ')})`)
  checkTime('from', q.from)
  checkTime('to', q.to)
  if (q.to < q.from) throw badRequest(`to (${q.to}) is before from (${q.from})`)
  if (!Number.isSafeInteger(q.stepMs) || q.stepMs <= 0) throw badRequest(`stepMs must be a positive integer, got ${String(q.stepMs)}`)
  if (q.entityId !== undefined && q.kind !== 'locator') throw badRequest(`entityId applies to locator readings only, not ${q.kind}`)
  if (q.flags !== undefined) {
    if (q.kind !== 'dust') throw badRequest(`flags apply to dust readings only, not ${q.kind}`)
    if (!Array.isArray(q.flags) || !q.flags.every((f) => typeof f === 'string')) throw badRequest('flags must be an array of HJ 212-2017 data flags (strings such as "N")')
  }
}

export function validateCount (q: CountQuery): void {
  if (q.kind !== undefined && !(KINDS as readonly string[]).includes(q.kind)) throw badRequest(`unknown kind ${JSON.stringify(q.kind)} (expected one of ${KINDS.join(', ')})`)
  if (q.from !== undefined) checkTime('from', q.from)
  if (q.to !== undefined) checkTime('to', q.to)
}

export function validateKeyRange (q: KeyRange): void {
  if (!(KINDS as readonly string[]).includes(q.kind)) throw badRequest(`unknown kind ${JSON.stringify(q.kind)} (expected one of ${KINDS.join(', ')})`)
  if (typeof q.device !== 'string' || q.device === '') throw badRequest('device must be a non-empty string')
  checkTime('from', q.from)
  checkTime('to', q.to)
  if (q.to < q.from) throw badRequest(`to (${q.to}) is before from (${q.from})`)
}
