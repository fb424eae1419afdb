/** Starts a real Mosquitto (Debian's package) on a free port in a temp dir. */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from 'node:net'
import { freePort, tempDir, waitFor } from './ports.js'

export const MOSQUITTO_BIN = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p)) ?? 'mosquitto'

export interface MosquittoHandle {
  port: number
  url: string
  stop(): Promise<void>
}

export async function startMosquitto (opts: {
  allowAnonymous?: boolean
  /** QoS 1/2 messages in flight to one client (Mosquitto's default 20; 0: no limit). MQTT 5 clients' Receive Maximum applies too. */
  maxInflight?: number
  /** Messages queued per client session past the in-flight ones (default here 100,000). */
  maxQueued?: number
} = {}): Promise<MosquittoHandle> {
  const dir = tempDir('mosquitto-')
  const port = await freePort()
  const conf = join(dir.path, 'mosquitto.conf')
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    `allow_anonymous ${opts.allowAnonymous === false ? 'false' : 'true'}`,
    'persistence false',
    'log_dest none',
    `max_queued_messages ${opts.maxQueued ?? 100_000}`,
    ...(opts.maxInflight !== undefined ? [`max_inflight_messages ${opts.maxInflight}`] : [])
  ].join('\n') + '\n')
  const child: ChildProcess = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: 'ignore' })
  let exited = false
  child.once('exit', () => { exited = true })
  await waitFor(() => new Promise<boolean>((resolve) => {
    if (exited) throw new Error(`mosquitto exited at start (is the mosquitto package installed? tried ${MOSQUITTO_BIN})`)
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  }), 10_000, 'mosquitto to listen')
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    async stop () {
      if (!exited) {
        child.kill('SIGTERM')
        await new Promise((r) => child.once('exit', r))
      }
      dir.remove()
    }
  }
}
