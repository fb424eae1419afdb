/**
 * Benchmarks that can be trusted on a shared 2-core machine whose absolute speed moves 2× between
 * machines of the same kind: every comparison runs interleaved rounds (A B A B …), the figure is the
 * ratio of each round's pair, and the verdict is withheld when the ratios' range is wider than the
 * median's margin to the target (the run cannot tell met from not met).
 *
 * Also records the machine's state around the run: 1-minute load average and CPU steal.
 */
import { readFileSync, existsSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'

/** CPU time counters from /proc/stat (Linux), in clock ticks. */
interface CpuTicks { total: number, steal: number }

function cpuTicks (): CpuTicks | undefined {
  if (!existsSync('/proc/stat')) return undefined
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('cpu '))
  if (!line) return undefined
  const f = line.trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0)
  return { total, steal: f[7] ?? 0 }
}

export interface MachineState {
  /** 1-minute load average when the run started and when it ended. */
  loadBefore: number
  loadAfter: number
  /** Share of CPU time stolen by the hypervisor during the run, in % (undefined off Linux). */
  stealPercent: number | undefined
}

/** Starts watching the machine; call the returned function when the run ends. */
export function watchMachine (): () => MachineState {
  const loadBefore = loadavg()[0]!
  const t0 = cpuTicks()
  return () => {
    const t1 = cpuTicks()
    const dt = t0 && t1 ? t1.total - t0.total : 0
    return {
      loadBefore,
      loadAfter: loadavg()[0]!,
      stealPercent: t0 && t1 && dt > 0 ? (100 * (t1.steal - t0.steal)) / dt : undefined
    }
  }
}

export function describeMachine (m: MachineState): string {
  const steal = m.stealPercent === undefined ? 'not measured' : `${m.stealPercent.toFixed(1)} %`
  return `load average (1 min) ${m.loadBefore.toFixed(2)} before, ${m.loadAfter.toFixed(2)} after; CPU steal ${steal}`
}

/**
 * What the load average says about a run's absolute figures: quiet when the 1-minute load before
 * the run was at most 0.75 per core (the run's own load shows in the figure after it), else busy
 * (other work shared the machine). Benches print this instead of assuming either.
 */
export function loadNote (loadBefore: number, loadAfter: number): string {
  const cores = cpus().length
  return machineWasQuiet(loadBefore)
    ? `quiet machine (load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, ${cores} cores)`
    : `busy machine (load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, ${cores} cores): other work shared it, so absolute figures read low; compare figures measured in the same run`
}

/** Quiet: the 1-minute load before the run was at most 0.75 per core. */
export function machineWasQuiet (loadBefore: number): boolean {
  return loadBefore <= cpus().length * 0.75
}

export interface Variant<T> { name: string, run: () => Promise<T> }

/** Runs `rounds` rounds of every variant in turn (A B A B …, or A B C A B C …); returns each variant's results in round order. */
export async function interleave<T> (rounds: number, variants: Variant<T>[], onRound?: (round: number, name: string, result: T) => void): Promise<Map<string, T[]>> {
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a whole number ≥ 1, got ${rounds}`)
  const out = new Map<string, T[]>(variants.map((v) => [v.name, []]))
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const result = await v.run()
      out.get(v.name)!.push(result)
      onRound?.(r + 1, v.name, result)
    }
  }
  return out
}

export function median (xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values')
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export interface Spread { median: number, min: number, max: number, values: number[] }

export function spread (values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), values: [...values] }
}

/** Per-round ratios a[i] / b[i] of two interleaved series (the rounds must pair up). */
export function ratios (a: readonly number[], b: readonly number[]): Spread {
  if (a.length !== b.length || a.length === 0) throw new Error(`ratios need two series of the same non-zero length, got ${a.length} and ${b.length}`)
  return spread(a.map((x, i) => x / b[i]!))
}

export type Direction = 'at-least' | 'at-most'
export type Verdict = 'met' | 'NOT met' | 'no verdict'

/**
 * met / NOT met by the median, but only when the run is sharp enough to say: when the range of the
 * values (max − min) is wider than the median's distance to the target, the verdict is withheld.
 */
export function verdict (s: Spread, target: number, direction: Direction = 'at-least'): { verdict: Verdict, why: string } {
  const margin = Math.abs(s.median - target)
  const width = s.max - s.min
  if (width > margin) return { verdict: 'no verdict', why: `range ${fmtNum(width)} is wider than the margin ${fmtNum(margin)} to the target` }
  const ok = direction === 'at-least' ? s.median >= target : s.median <= target
  return { verdict: ok ? 'met' : 'NOT met', why: `median ${fmtNum(s.median)} ${ok ? (direction === 'at-least' ? '≥' : '≤') : (direction === 'at-least' ? '<' : '>')} ${fmtNum(target)}, range ${fmtNum(width)} within the margin ${fmtNum(margin)}` }
}

function fmtNum (n: number): string {
  if (Math.abs(n) >= 100 || (Math.abs(n) >= 10 && Number.isInteger(n))) return Math.round(n).toLocaleString('en-US')
  return n.toFixed(2)
}

/** One table row: `| what | median | range | target | verdict |`. */
export function verdictRow (what: string, s: Spread, target: number, direction: Direction = 'at-least', unit = ''): string {
  const v = verdict(s, target, direction)
  const u = unit ? ` ${unit}` : ''
  const cmp = direction === 'at-least' ? '≥' : '≤'
  const mark = v.verdict === 'met' ? 'met' : v.verdict === 'NOT met' ? '**NOT met**' : `no verdict (${v.why})`
  return `| ${what} | ${fmtNum(s.median)}${u} | ${fmtNum(s.min)}–${fmtNum(s.max)}${u} | ${cmp} ${fmtNum(target)}${u} | ${mark} |`
}

export const VERDICT_HEADER = '| figure | median | range over rounds | target | verdict |\n|---|---:|---:|---:|---|'

/** Rounds per comparison: BENCH_ROUNDS, at least 3 (the floor for a ratio worth quoting). */
export function benchRounds (fallback = 3): number {
  const n = Number(process.env.BENCH_ROUNDS ?? fallback)
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_ROUNDS must be a whole number ≥ 1, got '${process.env.BENCH_ROUNDS}'`)
  return n
}
