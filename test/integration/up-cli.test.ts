/** `minewatch up` start-up: clear errors for a bad config, a busy port and an unwritable data dir; graceful SIGTERM. */
import { verifySecret } from '../../core/secrets.js'
import { describe, it, expect } from 'vitest'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, tempDir, waitFor } from '../helpers/ports.js'

function run (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null, stderr: string, stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/minewatch.ts', ...args], { env: { ...process.env, MINEWATCH_LOG_LEVEL: 'warn', ...env } })
    let stderr = ''; let stdout = ''
    child.stderr.on('data', (d) => { stderr += String(d) })
    child.stdout.on('data', (d) => { stdout += String(d) })
    child.on('exit', (code) => resolve({ code, stderr, stdout }))
  })
}

describe('minewatch --help', () => {
  it('every subcommand answers --help with its usage and exit code 0', async () => {
    for (const cmd of ['up', 'simulate', 'check-config', 'hash-secret', 'reload', 'audit', 'uplink']) {
      const r = await run([cmd, '--help'])
      expect(r.code, cmd).toBe(0)
      expect(r.stdout, cmd).toMatch(new RegExp(`minewatch ${cmd}`))
    }
  })
})

describe('minewatch up start-up errors', () => {
  it('reports every problem of a bad config with file and line', async () => {
    const dir = tempDir()
    const file = join(dir.path, 'bad.yaml')
    writeFileSync(file, 'sites:\n  - id: x\n    name: 1\n')
    const r = await run(['up', '--config', file, '--data-dir', dir.path, '--mqtt-port', '0', '--http-port', '0'])
    dir.remove()
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('MW_CONFIG_INVALID')
    expect(r.stderr).toMatch(new RegExp(`${file}:3: sites\\[0\\]\\.name: `))
    expect(r.stderr).toMatch(/sites\[0\]\.province: /)
  })

  it('names a missing config file', async () => {
    const r = await run(['up', '--config', 'nope.yaml'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/MW_CONFIG_NOT_FOUND: configuration file not found: nope\.yaml/)
  })

  it('names a busy port', async () => {
    const srv = createServer()
    const port = await new Promise<number>((resolve) => srv.listen(0, '0.0.0.0', () => resolve((srv.address() as { port: number }).port)))
    const dir = tempDir()
    const r = await run(['up', '--data-dir', dir.path, '--mqtt-port', String(port), '--http-port', '0'])
    srv.close(); dir.remove()
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(new RegExp(`MW_PORT_IN_USE: .*${port}`))
  })

  it('names an unwritable data dir', async () => {
    const dir = tempDir()
    const file = join(dir.path, 'a-file')
    writeFileSync(file, '')
    const r = await run(['up', '--data-dir', join(file, 'data'), '--mqtt-port', '0', '--http-port', '0'])
    dir.remove()
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/MW_DATA_DIR_UNWRITABLE: data directory is not writable: .*a-file\/data/)
  })

  it('rejects a bad port flag', async () => {
    const r = await run(['up', '--mqtt-port', 'abc'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/--mqtt-port must be a port number/)
  })

  it('takes its settings from environment variables, answers /healthz and stops cleanly on SIGTERM', async () => {
    const dir = tempDir()
    const [mqttPort, httpPort] = [await freePort(), await freePort()]
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/minewatch.ts', 'up'], {
      env: { ...process.env, MINEWATCH_LOG_LEVEL: 'warn', MINEWATCH_DATA_DIR: dir.path, MINEWATCH_MQTT_PORT: String(mqttPort), MINEWATCH_HTTP_PORT: String(httpPort), MINEWATCH_CONFIG: 'config/demo.yaml' }
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    await waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => null))?.ok === true, 60_000, 'healthz')
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(existsSync(join(dir.path, 'telemetry.duckdb'))).toBe(true)
    dir.remove()
  })
})

describe('other commands', () => {
  it('check-config and hash-secret', async () => {
    const ok = await run(['check-config', '--config', 'config/demo.yaml'])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/ok \(3 sites, \d+ devices\)/)
    const h = await run(['hash-secret', 'a-long-secret'])
    expect(h.code).toBe(0)
    expect(h.stdout).toMatch(/^scrypt\$16384\$8\$1\$\S+\$\S+\n$/)
    // a rotation's second secret, as the YAML line to paste (docs/operations.md)
    const next = await run(['hash-secret', '--for', 'device', '--next', 'a-long-secret'])
    expect(next.code).toBe(0)
    expect(next.stdout).toMatch(/^nextSecretHash: 'scrypt\$16384\$8\$1\$\S+\$\S+'\n$/)
    // a generated device secret: the secret on the first line, its hash at the cheaper cost on the second
    const gen = await run(['hash-secret', '--for', 'device', '--generate'])
    expect(gen.code).toBe(0)
    const [secret, line] = gen.stdout.trimEnd().split('\n') as [string, string]
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(line).toMatch(/^secretHash: 'scrypt\$1024\$8\$1\$\S+'$/)
    expect(verifySecret(secret, line.slice("secretHash: '".length, -1))).toBe(true)
    const genAccount = await run(['hash-secret', '--for', 'account', '--generate'])
    expect(genAccount.code).toBe(1)
    expect(genAccount.stderr).toContain('--generate needs --for device')
    const bad = await run(['hash-secret', '--next', 'a-long-secret'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('--next needs --for')
  })

  it('reload says so when no minewatch runs on the data dir, or its pid file is stale', async () => {
    const dir = tempDir()
    try {
      const none = await run(['reload', '--data-dir', dir.path])
      expect(none.code).toBe(1)
      expect(none.stderr).toContain('no running minewatch found')
      writeFileSync(join(dir.path, 'minewatch.pid'), '999999999\n') // no such process
      const stale = await run(['reload', '--data-dir', dir.path])
      expect(stale.code).toBe(1)
      expect(stale.stderr).toContain('is not a running minewatch (a stale pid file?)')
    } finally {
      dir.remove()
    }
  })
})
