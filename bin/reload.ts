/**
 * `minewatch reload`: finds the running instance by the pid file in its data dir, checks the pid
 * is a minewatch (a stale file must not make us signal another program), sends SIGHUP and waits
 * for the reload report the instance writes next to it (reload/coordinator.ts).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { PID_FILE, RELOAD_STATUS_FILE, readPid } from '../reload/files.js'
import type { ReloadReport } from '../reload/coordinator.js'

/** How often the report file is looked at while waiting, ms. */
const POLL_MS = 100

function readReport (file: string): ReloadReport | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ReloadReport
  } catch {
    return undefined
  }
}

/** True when `pid` runs (and, where /proc tells, runs minewatch). */
function isMinewatch (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' // alive, but another user's: let the signal report it
  }
  const cmdline = `/proc/${pid}/cmdline`
  if (!existsSync(cmdline)) return true
  return readFileSync(cmdline, 'utf8').includes('minewatch')
}

/** Text for a report: what changed, or why nothing did. */
export function reportText (r: ReloadReport): string {
  const lines = [`reload #${r.seq} of ${r.file}: ${r.outcome}`]
  for (const p of r.problems) lines.push(`  problem: ${p}`)
  for (const w of r.warnings) lines.push(`  warning: ${w}`)
  const d = r.diff
  if (d && r.outcome !== 'rejected') {
    const list = (name: string, items: readonly string[]) => { if (items.length > 0) lines.push(`  ${name}: ${items.join(', ')}`) }
    list('sites added', d.sites.added); list('sites removed', d.sites.removed); list('sites changed', d.sites.changed.map((c) => `${c.id} (${c.fields.join(', ')})`))
    list('devices added', d.devices.added); list('devices removed', d.devices.removed)
    list('devices disabled', d.devices.disabled); list('devices enabled', d.devices.enabled)
    list('devices changed', d.devices.changed.map((c) => `${c.id} (${c.fields.join(', ')})`))
    list('limits', d.limits.map((l) => `${l.site} ${l.limit} ${l.change}${l.fields ? ` (${l.fields.join(', ')})` : ''}`))
    list('accounts added', d.accounts.added); list('accounts removed', d.accounts.removed); list('accounts changed', d.accounts.changed.map((c) => `${c.id} (${c.fields.join(', ')})`))
    list('API tokens added', d.tokens.added); list('API tokens removed', d.tokens.removed); list('API tokens changed', d.tokens.changed.map((c) => `${c.id} (${c.fields.join(', ')})`))
    list('needs restart (old values stay in force)', d.needsRestart)
  }
  if (r.disconnected.length > 0) lines.push(`  disconnected: ${r.disconnected.join(', ')}`)
  if (r.alertsClosed > 0) lines.push(`  alerts closed as no longer configured: ${r.alertsClosed}`)
  return lines.join('\n') + '\n'
}

export async function reloadCommand (opts: { dataDir: string, timeoutS: number }): Promise<number> {
  const dir = resolve(opts.dataDir)
  const pidFile = join(dir, PID_FILE)
  const pid = readPid(pidFile)
  if (pid === undefined) {
    process.stderr.write(`minewatch reload: no running minewatch found: ${pidFile} is missing or unreadable (is \`minewatch up --data-dir ${opts.dataDir}\` running?)\n`)
    return 1
  }
  if (!isMinewatch(pid)) {
    process.stderr.write(`minewatch reload: ${pidFile} names pid ${pid}, which is not a running minewatch (a stale pid file?)\n`)
    return 1
  }
  const statusFile = join(dir, RELOAD_STATUS_FILE)
  const before = readReport(statusFile)?.seq ?? 0
  const startedAt = Date.now()
  process.kill(pid, 'SIGHUP')
  const deadline = startedAt + opts.timeoutS * 1000
  while (Date.now() < deadline) {
    const r = readReport(statusFile)
    // a new report: its seq moved on, or the process restarted and counts from 1 again
    if (r && (r.seq > before || Date.parse(r.at) >= startedAt)) {
      process.stdout.write(reportText(r))
      return r.outcome === 'applied' || r.outcome === 'unchanged' ? 0 : 1
    }
    await sleep(POLL_MS)
  }
  process.stderr.write(`minewatch reload: sent SIGHUP to pid ${pid}, but no reload report appeared in ${statusFile} within ${opts.timeoutS} s\n`)
  return 1
}
