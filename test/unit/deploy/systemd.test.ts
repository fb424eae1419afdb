/** deploy/minewatch.service: systemd accepts it, and it runs the commands and paths the package really ships. */
import { describe, it, expect } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const unit = readFileSync('deploy/minewatch.service', 'utf8')
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string>, files: string[] }
const haveSystemd = existsSync('/usr/bin/systemd-analyze')

describe('deploy/minewatch.service', () => {
  it.runIf(haveSystemd)('passes systemd-analyze verify', () => {
    const dir = mkdtempSync(join(tmpdir(), 'minewatch-unit-'))
    try {
      copyFileSync('deploy/minewatch.service', join(dir, 'minewatch.service'))
      const out = execFileSync('systemd-analyze', ['verify', join(dir, 'minewatch.service')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      expect(out).toBe('')
    } finally { rmSync(dir, { recursive: true, force: true }) }
  })

  it('starts the packaged command with the config and data dir of the install guide, and restarts on failure', () => {
    const start = unit.match(/^ExecStart=(.*)$/m)?.[1] ?? ''
    expect(start).toContain(`/opt/minewatch/node_modules/minewatch/${pkg.bin.minewatch} up`)
    expect(start).toContain('--config /etc/minewatch/minewatch.yaml')
    expect(start).toContain('--data-dir /var/lib/minewatch')
    expect(unit).toMatch(/^ExecStartPre=.* check-config --config \/etc\/minewatch\/minewatch\.yaml$/m)
    expect(unit).toMatch(/^StateDirectory=minewatch$/m)
    expect(unit).toMatch(/^User=minewatch$/m)
    expect(unit).toMatch(/^Restart=on-failure$/m)
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m)
    expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m) // minewatch up reloads its config on SIGHUP
    expect(pkg.files).toContain('deploy/minewatch.service')
    expect(readFileSync('docs/install.md', 'utf8')).toContain('deploy/minewatch.service')
  })
})
