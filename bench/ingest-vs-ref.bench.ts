/**
 * Ingest parity with a reference build (issue 10: "ingest figures no worse than round 1"): the
 * current build and the reference commit's build (BENCH_REF, default 70679fd, the round-1 build)
 * run `dist/bin/minewatch.js up` in interleaved rounds (BENCH_ROUNDS, default 5) under the identical
 * load of bench/ingest.bench.ts, both shapes (single readings, 100-reading arrays). The figure is
 * the per-round ratio current / reference; the verdict logic is bench/rounds.ts (target ≥ 1.0).
 *
 * The reference is checked out into a temporary git worktree and built there. Its node_modules is
 * a symlink to this tree's when every dependency the reference pins is installed here at that exact
 * version (true for 70679fd: its lockfile is a subset of today's), else `npm ci --prefer-offline`.
 * The reference generates its own load config with its own generator (the config format moved
 * between rounds); both trees' device lists must agree, or the bench stops.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { LoadDevice } from '../simulators/load.js'
import { PHASES, phaseDevices, runMinewatch, type Phase, type Run } from './ingest.bench.js'
import { benchRounds, describeMachine, interleave, ratios, verdictRow, VERDICT_HEADER, watchMachine } from './rounds.js'
import type { BenchResult } from './run.js'

const REF = process.env.BENCH_REF ?? '70679fd'

interface Tree { root: string, label: string }

function sh (cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
}

/** Every dependency `root`'s package.json pins, installed in node_modules at that exact version. */
function depsMatch (refRoot: string, modules: string): boolean {
  const pkg = JSON.parse(readFileSync(join(refRoot, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>, devDependencies?: Record<string, string> }
  for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
    const file = join(modules, name, 'package.json')
    if (!existsSync(file)) return false
    // some packages write their version with a leading v (@grafana/grafana-foundation-sdk: v0.0.21)
    if ((JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version.replace(/^v/, '') !== version) return false
  }
  return true
}

/** Checks out and builds `rev` in a temporary worktree; returns it and its removal. */
function buildRef (rev: string): { tree: Tree, sha: string, install: string, remove: () => void } {
  const sha = sh('git', ['rev-parse', '--verify', `${rev}^{commit}`], process.cwd()).trim()
  const root = join(mkdtempSync(join(tmpdir(), 'minewatch-ref-')), 'tree')
  sh('git', ['worktree', 'add', '--detach', root, sha], process.cwd())
  const remove = (): void => {
    try { sh('git', ['worktree', 'remove', '--force', root], process.cwd()) } catch { rmSync(root, { recursive: true, force: true }) }
    rmSync(dirname(root), { recursive: true, force: true }) // the temporary directory around it
  }
  try {
    const mine = join(process.cwd(), 'node_modules')
    let install: string
    if (depsMatch(root, mine)) {
      symlinkSync(mine, join(root, 'node_modules'), 'dir')
      install = 'node_modules symlinked (every pinned dependency installed here at the same version)'
    } else {
      sh('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], root)
      install = 'npm ci --prefer-offline'
    }
    sh('npm', ['run', 'build'], root)
    return { tree: { root, label: `ref ${sha.slice(0, 7)}` }, sha, install, remove }
  } catch (err) {
    remove()
    throw err
  }
}

/** The reference's own load config for phase p, made by its own generator (run in its tree). */
function refPhase (root: string, p: Phase): { text: string, devices: LoadDevice[] } {
  const script = `import { generateLoadConfig, loadDevices } from './simulators/loadconfig.ts'
import { parseConfig } from './core/config.ts'
const text = generateLoadConfig({ sites: 10, devices: ${p.devices}, kinds: ['dust', 'water', 'ore', 'status'], messagesPerSecond: 100_000 })
process.stdout.write(JSON.stringify({ text, devices: loadDevices(parseConfig(text, 'load.yaml').config) }))`
  return JSON.parse(sh(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], root)) as { text: string, devices: LoadDevice[] }
}

function sameDevices (a: LoadDevice[], b: LoadDevice[]): boolean {
  const key = (d: LoadDevice): string => `${d.id} ${d.password} ${d.topic}`
  return a.length === b.length && a.map(key).sort().join('\n') === b.map(key).sort().join('\n')
}

export default async function (): Promise<BenchResult> {
  const machine = watchMachine()
  const rounds = benchRounds(5)
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
  const head = sh('git', ['rev-parse', '--short', 'HEAD'], process.cwd()).trim()
  const dirty = sh('git', ['status', '--porcelain', '--untracked-files=no'], process.cwd()).trim() !== ''
  process.stdout.write(`  building the reference ${REF} in a temporary worktree ...\n`)
  const ref = buildRef(REF)
  const sections: string[] = []
  const verdicts: string[] = []
  try {
    for (const p of PHASES) {
      const mine = { root: process.cwd(), label: 'current', ...phaseDevices(p) }
      const theirs = { ...ref.tree, ...refPhase(ref.tree.root, p) }
      if (!sameDevices(mine.devices, theirs.devices)) throw new Error(`the reference's load config for '${p.name}' has other devices than this tree's: the same load cannot be offered`)
      const runs = new Map<string, Run[]>([['current', []], ['reference', []]])
      const results = await interleave<number>(rounds, [
        { name: 'current', run: async () => { const r = await runMinewatch(p, mine); runs.get('current')!.push(r); return r.load.readingsAcked / r.seconds } },
        { name: 'reference', run: async () => { const r = await runMinewatch(p, theirs); runs.get('reference')!.push(r); return r.load.readingsAcked / r.seconds } }
      ], (round, name, rate) => process.stdout.write(`  round ${round} ${name} ${p.name}: ${fmt(rate)} readings/s\n`))
      const cur = results.get('current')!
      const base = results.get('reference')!
      const stored = (r: Run): string => r.stored === r.load.readingsAcked ? 'yes' : `**no** (${r.stored} of ${r.load.readingsAcked})`
      const rows = cur.map((c, i) => {
        const rc = runs.get('current')![i]!
        const rr = runs.get('reference')![i]!
        return `| ${i + 1} | ${fmt(c)} | ${fmt(base[i]!)} | ${(c / base[i]!).toFixed(2)} | ${rc.load.latencyMs.p99} / ${rr.load.latencyMs.p99} | ${rc.load.errors} / ${rr.load.errors} | ${stored(rc)} / ${stored(rr)} | ${(rc.peakRss / 2 ** 20).toFixed(0)} / ${(rr.peakRss / 2 ** 20).toFixed(0)} MB |`
      })
      sections.push(`### ${p.name} (${p.devices} devices, offered ${fmt(p.ratePerSecond * p.readingsPerMessage)} readings/s)

| round | current readings/s | reference readings/s | ratio | PUBACK p99 ms (current / ref) | errors | every acknowledged reading stored | peak RSS |
|---|---:|---:|---:|---|---|---|---|
${rows.join('\n')}`)
      verdicts.push(verdictRow(`${p.name}: current / reference`, ratios(cur, base), 1.0))
    }
  } finally {
    ref.remove()
  }
  return {
    title: `End-to-end ingest into DuckDB, current build vs the round-1 build (${REF})`,
    markdown: `The current build (${head}${dirty ? ' with uncommitted changes' : ''}) and the reference build (${ref.sha.slice(0, 7)}, \`BENCH_REF\`) each run
\`node dist/bin/minewatch.js up\` (child process; auth, ACL, validation, dedup, group commit, DuckDB WAL commit before each
PUBACK) under the identical load of \`bench/ingest.bench.ts\` (${PHASES.map((p) => p.name).join(', ')}), ${rounds} interleaved rounds
(current, reference, current, …); the figure is the ratio of each round's pair. The reference was built in a temporary git
worktree (${ref.install}) and generated its load config with its own generator (same devices). Machine: ${describeMachine(machine())}.
Target (issue 10): current / reference ≥ 1.0 for both shapes.

${VERDICT_HEADER}
${verdicts.join('\n')}

${sections.join('\n\n')}`
  }
}
