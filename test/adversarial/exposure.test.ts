/**
 * Finding 9 of issue 13 (exposure): a production config without TLS started silently on all
 * interfaces; `caFile` without client-certificate checking looked like mutual TLS but was not; a
 * token sent in a URL was logged verbatim.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import mqtt from 'mqtt'
import { startMinewatch } from '../../bin/up.js'
import { createLogger } from '../../core/log.js'
import { freePort, tempDir, waitFor } from '../helpers/ports.js'
import { demoConfig } from '../helpers/minewatch.js'
import { hashedConfig, httpGet } from './helpers.js'

const dir = tempDir('adversarial-tls-')
const pem = (name: string) => join(dir.path, name)

beforeAll(() => {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' })
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', pem('ca.key'), '-out', pem('ca.pem'), '-days', '1', '-subj', '/CN=minewatch test CA')
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', pem('server.key'), '-out', pem('server.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1')
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', pem('client.key'), '-out', pem('client.csr'), '-subj', '/CN=ZJ-DUST01')
  ssl('x509', '-req', '-in', pem('client.csr'), '-CA', pem('ca.pem'), '-CAkey', pem('ca.key'), '-CAcreateserial', '-out', pem('client.pem'), '-days', '1')
})
afterAll(() => dir.remove())

describe('production exposure', () => {
  it('warns at start about clear-text MQTT and HTTP on every interface, naming no secret', () => {
    const { warnings } = hashedConfig()
    expect(warnings.join('\n')).toMatch(/broker\.tls is not set and broker\.host is 0\.0\.0\.0/)
    expect(warnings.join('\n')).toMatch(/api\.host is 0\.0\.0\.0/)
    expect(warnings.join('\n')).not.toMatch(/demo-.*-pw|token-0001/)
  })

  it('caFile means mutual TLS: a client without a certificate of that CA is refused', async () => {
    const port = await freePort()
    const tls = `  tls:\n    port: ${port}\n    certFile: ${pem('server.pem')}\n    keyFile: ${pem('server.key')}\n    caFile: ${pem('ca.pem')}\n`
    const loaded = hashedConfig(`broker:\n  host: 127.0.0.1\n${tls}`)
    const data = tempDir('adversarial-tls-data-')
    const mw = await startMinewatch({ config: loaded, dataDir: data.path, mqttPort: 0, httpPort: 0, host: '127.0.0.1', logger: createLogger({ level: 'silent' }) })
    try {
      const base = { username: 'ZJ-DUST01', password: 'demo-ZJ-DUST01-pw', ca: readFileSync(pem('server.pem')), servername: 'localhost', reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4 as const }
      await expect(mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, { ...base, clientId: 'ZJ-DUST01-nocert' })).rejects.toThrow()
      const ok = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, { ...base, clientId: 'ZJ-DUST01-cert', cert: readFileSync(pem('client.pem')), key: readFileSync(pem('client.key')) })
      await ok.endAsync()
    } finally {
      await mw.close()
      data.remove()
    }
  })

  it('a token sent in a URL is never logged', async () => {
    const lines: string[] = []
    const destination = new Writable({ write (chunk: Buffer, _e, cb) { lines.push(chunk.toString()); cb() } })
    const data = tempDir('adversarial-log-')
    const mw = await startMinewatch({ config: demoConfig(), dataDir: data.path, mqttPort: 0, httpPort: 0, host: '127.0.0.1', logger: createLogger({ level: 'info', destination }) })
    try {
      // each from an address of its own: a refused request (401) is logged in full once per address per interval
      const queries = ['token=secret-in-url-0001', 'access_token=secret-in-url-0002&x=1', 'a=1&API_KEY=secret-in-url-0003']
      for (const [i, q] of queries.entries()) await httpGet(mw.httpPort, `/api/v1/sites?${q}`, undefined, `127.0.3.${i + 1}`)
      await waitFor(() => lines.filter((l) => l.includes('API request refused')).length === 3, 10_000, 'the request log lines')
      const log = lines.join('')
      expect(log).not.toMatch(/secret-in-url/)
      expect(log).toContain('/api/v1/sites?token=[redacted]')
      expect(log).toContain('/api/v1/sites?access_token=[redacted]&x=1')
    } finally {
      await mw.close()
      data.remove()
    }
  })
})
