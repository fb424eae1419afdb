/**
 * Reads a V8 .cpuprofile (node --cpu-prof, e.g. BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof")
 * and prints self and inclusive time by function, largest first:
 *   npx tsx bench/cpuprofile.ts FILE.cpuprofile [TOP=40] [--by=function|file]
 * Inclusive time counts a function once per sample even when it recurses.
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

interface CallFrame { functionName: string, url: string, lineNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

export interface Row { name: string, selfMs: number, totalMs: number }

function label (f: CallFrame, by: 'function' | 'file'): string {
  const file = f.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'node_modules/').replace(/^.*\/(dist|src)\//, '$1/')
  if (by === 'file') return file || f.functionName || '(program)'
  return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim()
}

/** Self and inclusive milliseconds per function (or per file), largest inclusive first. */
export function analyse (p: Profile, by: 'function' | 'file' = 'function'): { rows: Row[], totalMs: number } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  let totalMs = 0
  for (let i = 0; i < p.samples.length; i++) {
    const ms = (p.timeDeltas[i] ?? 0) / 1000
    totalMs += ms
    let id: number | undefined = p.samples[i]
    const leaf = byId.get(id!)
    if (!leaf) continue
    const leafName = label(leaf.callFrame, by)
    self.set(leafName, (self.get(leafName) ?? 0) + ms)
    const seen = new Set<string>()
    while (id !== undefined) {
      const name = label(byId.get(id)!.callFrame, by)
      if (!seen.has(name)) { seen.add(name); total.set(name, (total.get(name) ?? 0) + ms) }
      id = parent.get(id)
    }
  }
  const rows = [...total].map(([name, t]) => ({ name, selfMs: self.get(name) ?? 0, totalMs: t }))
  return { rows, totalMs }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2)
  const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a))
  if (!file) throw new Error('usage: tsx bench/cpuprofile.ts FILE.cpuprofile [TOP] [--by=function|file]')
  const top = Number(args.find((a) => /^\d+$/.test(a)) ?? 40)
  const by = args.includes('--by=file') ? 'file' : 'function'
  const { rows, totalMs } = analyse(JSON.parse(readFileSync(file, 'utf8')) as Profile, by)
  const pc = (ms: number): string => `${((100 * ms) / totalMs).toFixed(1).padStart(5)} %`
  process.stdout.write(`${(totalMs / 1000).toFixed(1)} s sampled\n\nby self time:\n`)
  for (const r of [...rows].sort((a, b) => b.selfMs - a.selfMs).slice(0, top)) process.stdout.write(`${pc(r.selfMs)}  ${r.name}\n`)
  process.stdout.write('\nby inclusive time:\n')
  for (const r of [...rows].sort((a, b) => b.totalMs - a.totalMs).slice(0, top)) process.stdout.write(`${pc(r.totalMs)}  ${r.name}\n`)
}
