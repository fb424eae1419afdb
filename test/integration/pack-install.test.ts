/**
 * The release artefact: `npm pack` makes a tarball that installs into a clean directory (dependencies from
 * the registry, no dev dependencies, no checkout beside it) and whose `minewatch` command runs `up` on the
 * demo config it ships, answers /healthz, and stops cleanly on SIGTERM.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, tempDir, waitFor } from '../helpers/ports.js'

const exec = promisify(execFile)
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const dir = tempDir('minewatch-pack-')
afterAll(() => dir.remove())

describe('npm pack → install in a clean directory → minewatch up', () => {
  it('installs and runs from the packed tarball alone', async () => {
    // The suite runs after `npm run build` (scripts/test-all.sh); pack without running prepack again.
    if (!existsSync('dist/bin/minewatch.js')) await exec(npm, ['run', 'build'])
    await exec(npm, ['pack', '--ignore-scripts', '--pack-destination', dir.path])
    const tarball = readdirSync(dir.path).find((f) => f.endsWith('.tgz'))
    expect(tarball).toBeDefined()

    const app = join(dir.path, 'app')
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'edge-box', private: true }))
    await exec(npm, ['install', '--omit=dev', '--no-audit', '--no-fund', join(dir.path, tarball!)], { cwd: app })

    const installed = join(app, 'node_modules', 'minewatch')
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version
    for (const f of ['LICENSE', 'CHANGELOG.md', 'config/demo.yaml', 'deploy/minewatch.service', 'dist/bin/minewatch.js']) {
      expect(existsSync(join(installed, f)), f).toBe(true)
    }
    expect(existsSync(join(installed, 'test'))).toBe(false)
    const bin = join(app, 'node_modules', '.bin', 'minewatch')
    expect((await exec(bin, ['--version'], { cwd: app })).stdout.trim()).toBe(`minewatch ${version}`)

    const [mqttPort, httpPort] = [await freePort(), await freePort()]
    const data = join(dir.path, 'data')
    const env: NodeJS.ProcessEnv = { ...process.env, MINEWATCH_LOG_LEVEL: 'warn' }
    delete env.MINEWATCH_CONFIG
    const child = spawn(bin, ['up', '--data-dir', data, '--mqtt-port', String(mqttPort), '--http-port', String(httpPort)], { cwd: app, env })
    let stderr = ''
    child.stderr.on('data', (d) => { stderr += String(d) })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => null))?.ok === true, 60_000, `healthz (stderr: ${stderr})`)
      const sites = await fetch(`http://127.0.0.1:${httpPort}/api/v1/sites`, { headers: { authorization: 'Bearer demo-regulator-all-token' } })
      expect(sites.status).toBe(200)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    expect(existsSync(join(data, 'telemetry.duckdb'))).toBe(true)
  }, 300_000)
})
