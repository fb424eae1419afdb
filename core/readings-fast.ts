/**
 * A fast accept path for the reading schemas of core/readings.ts, compiled FROM those zod
 * schemas (so a kind or field added there is picked up without a change here).
 *
 * It only ever says "valid, and this is zod's output" or "ask zod" (NOT_SURE): every reject,
 * with its error codes, messages and paths, still comes from zod itself, and so does every
 * input the compiled check is not sure about (a non-plain object, an unknown key, a key whose
 * value is undefined, a value outside a check). Each check and refinement is zod's own check
 * function, run on the value; a schema node it does not know makes the whole kind fall back to
 * zod. test/unit/core/readings-fast.test.ts proves the equivalence on generated readings.
 */
import type { z } from 'zod'
import type { Kind } from './kinds.js'
import { READING_SCHEMAS } from './readings.js'

/** The compiled check could not prove the input valid: run the zod schema. */
export const NOT_SURE: unique symbol = Symbol('not sure')
/** A field absent from the input (an optional one): left out of the output. */
const ABSENT: unique symbol = Symbol('absent')

type Out = unknown
type Step = (input: unknown) => Out | typeof NOT_SURE | typeof ABSENT

/** The few zod internals read here (zod v4 `_zod`: traits, def, check). */
interface Internals {
  traits: Set<string>
  def: Record<string, unknown> & { checks?: CheckNode[] }
  check?: (payload: Payload) => unknown
}
interface CheckNode { _zod: Internals }
interface Payload { value: unknown, issues: unknown[] }

function internals (schema: unknown): Internals {
  return (schema as { _zod: Internals })._zod
}

/** A runner for a node's own checks (`.min`, `.int`, `.refine` …): true when none reports an issue. */
function checksOf (node: Internals): ((value: unknown) => boolean) | null {
  const checks = node.def.checks ?? []
  if (checks.length === 0) return () => true
  const fns: Array<(p: Payload) => unknown> = []
  const whens: Array<((p: Payload) => boolean) | undefined> = []
  for (const c of checks) {
    const check = c._zod.check
    if (typeof check !== 'function') return null
    fns.push(check)
    whens.push(c._zod.def.when as ((p: Payload) => boolean) | undefined)
  }
  // one payload per node, reused: the checks are synchronous (a promise means NOT_SURE)
  const payload: Payload = { value: undefined, issues: [] }
  return (value) => {
    payload.value = value
    payload.issues.length = 0
    for (let i = 0; i < fns.length; i++) {
      const when = whens[i]
      if (when !== undefined && !when(payload)) continue
      const r = fns[i]!(payload)
      if (r instanceof Promise || payload.issues.length > 0) return false
    }
    return true
  }
}

function withChecks (node: Internals, parse: Step): Step | null {
  const checks = checksOf(node)
  if (checks === null) return null
  if ((node.def.checks ?? []).length === 0) return parse
  return (input) => {
    const v = parse(input)
    if (v === NOT_SURE || v === ABSENT) return v
    return checks(v) ? v : NOT_SURE
  }
}

const isPlainObject = (x: unknown): x is Record<string, unknown> => {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false
  const proto = Object.getPrototypeOf(x) as unknown
  return proto === Object.prototype || proto === null
}

/** Compiles one schema node; null when it holds anything this file does not know (zod then decides). */
function compile (schema: unknown): Step | null {
  const node = internals(schema)
  if (!node?.traits || node.def.coerce === true) return null
  const t = node.traits
  const def = node.def
  if (t.has('$ZodExactOptional') || t.has('$ZodPrefault') || t.has('$ZodCatch')) return null
  if (t.has('$ZodNumber')) {
    return withChecks(node, (v) => (typeof v === 'number' && Number.isFinite(v) ? v : NOT_SURE))
  }
  if (t.has('$ZodString')) return withChecks(node, (v) => (typeof v === 'string' ? v : NOT_SURE))
  if (t.has('$ZodBoolean')) return withChecks(node, (v) => (typeof v === 'boolean' ? v : NOT_SURE))
  if (t.has('$ZodEnum')) {
    const values = new Set<unknown>(Object.values(def.entries as Record<string, unknown>))
    return withChecks(node, (v) => ((typeof v === 'string' || typeof v === 'number') && values.has(v) ? v : NOT_SURE))
  }
  if (t.has('$ZodLiteral')) {
    const values = new Set<unknown>(def.values as unknown[])
    return withChecks(node, (v) => (v !== undefined && values.has(v) ? v : NOT_SURE))
  }
  if (t.has('$ZodOptional')) {
    const inner = compile(def.innerType)
    if (inner === null || internals(def.innerType).traits.has('$ZodDefault')) return null
    return (v) => (v === undefined ? ABSENT : inner(v))
  }
  if (t.has('$ZodDefault')) {
    const inner = compile(def.innerType)
    if (inner === null) return null
    // zod returns the default as it is (not validated) when the value is absent: `def.defaultValue` (a getter that clones)
    return (v) => (v === undefined ? (def as { defaultValue: unknown }).defaultValue : inner(v))
  }
  if (t.has('$ZodUnion')) {
    if (t.has('$ZodDiscriminatedUnion') || t.has('$ZodXor') || def.inclusive === false) return null
    const options = (def.options as unknown[]).map(compile)
    if (options.some((o) => o === null)) return null
    const steps = options as Step[]
    // zod returns the first option (in order) that has no issue
    return withChecks(node, (v) => {
      for (const s of steps) {
        const r = s(v)
        if (r !== NOT_SURE) return r
      }
      return NOT_SURE
    })
  }
  if (t.has('$ZodTransform')) {
    const fn = def.transform as (v: unknown, p: Payload) => unknown
    return (v) => {
      const payload: Payload = { value: v, issues: [] }
      const out = fn(v, payload)
      return out instanceof Promise || payload.issues.length > 0 ? NOT_SURE : out
    }
  }
  if (t.has('$ZodPipe')) {
    const a = compile(def.in)
    const b = compile(def.out)
    if (a === null || b === null) return null
    return (v) => {
      const mid = a(v)
      return mid === NOT_SURE || mid === ABSENT ? mid : b(mid)
    }
  }
  if (t.has('$ZodObject')) return compileStrictObject(node)
  return null
}

/** A strict object (z.strictObject): every key known, each field valid, then the object's refinements. */
function compileStrictObject (node: Internals): Step | null {
  const catchall = node.def.catchall
  if (catchall === undefined || !internals(catchall).traits.has('$ZodNever')) return null // only strict objects
  const shape = node.def.shape as Record<string, unknown>
  const names = Object.keys(shape)
  const steps: Step[] = []
  for (const n of names) {
    const s = compile(shape[n])
    if (s === null) return null
    steps.push(s)
  }
  const known = new Set(names)
  const nFields = names.length
  const parse: Step = (input) => {
    if (!isPlainObject(input)) return NOT_SURE
    // unknown keys (including __proto__, constructor …) are zod's to report
    for (const k in input) if (!known.has(k)) return NOT_SURE
    const out: Record<string, unknown> = {}
    for (let i = 0; i < nFields; i++) {
      const name = names[i]!
      const has = Object.prototype.hasOwnProperty.call(input, name)
      const raw = has ? input[name] : undefined
      if (has && raw === undefined) return NOT_SURE // present but undefined: not from JSON, let zod say
      const v = steps[i]!(raw)
      if (v === NOT_SURE) return NOT_SURE
      if (v !== ABSENT) out[name] = v
    }
    return out
  }
  return withChecks(node, parse)
}

export type FastReadingCheck = (input: unknown) => Record<string, unknown> | typeof NOT_SURE

/** Compiles a reading schema: null when it uses something only zod can check. */
export function compileReadingCheck (schema: z.ZodType): FastReadingCheck | null {
  const step = compile(schema)
  if (step === null) return null
  return (input) => {
    const r = step(input)
    return r === NOT_SURE || r === ABSENT || r === null || typeof r !== 'object' ? NOT_SURE : r as Record<string, unknown>
  }
}

/** The compiled check of every kind in READING_SCHEMAS (null: that kind always goes through zod). */
export const FAST_READING_CHECKS: Readonly<Record<Kind, FastReadingCheck | null>> = Object.freeze(
  Object.fromEntries(Object.entries(READING_SCHEMAS).map(([kind, schema]) => [kind, compileReadingCheck(schema as z.ZodType)])) as Record<Kind, FastReadingCheck | null>
)
