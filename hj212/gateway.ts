/**
 * The HJ 212 gateway: TCP (and optionally TLS) listeners for devices configured with an `hj212:`
 * entry, one Hj212Connection per socket, and commands to connected devices for operators.
 */
import { createServer as createTcpServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { readFileSync } from 'node:fs'
import type { Clock } from '../core/clock.js'
import { MinewatchError } from '../core/errors.js'
import type { Logger } from '../core/log.js'
import type { DeviceEntry, Registry } from '../core/registry.js'
import type { Hj212Device } from '../core/sites.js'
import { SecretVerifier } from '../core/secrets.js'
import type { Ingest } from '../ingest/index.js'
import { CommandError, Hj212Connection, type CommandResult, type Hj212Config } from './connection.js'
import type { Hj212Metrics } from './metrics.js'
import type { DeviceCommand } from './replies.js'

export interface GatewayOptions {
  registry: Registry
  config: Hj212Config
  ingest: Pick<Ingest, 'handle' | 'recordDenied'>
  metrics: Hj212Metrics
  logger: Logger
  clock: Clock
  /** Device id → ts of its newest stored reading, for gap detection after a restart. */
  lastReadings?: () => Promise<Map<string, number>>
}

export interface GatewayStatus {
  device: string
  mn: string
  connected: boolean
  address?: string
  /** Newest DataTime seen, epoch ms. */
  lastDataTime?: number
}

export class Hj212Gateway {
  private readonly byMn = new Map<string, DeviceEntry>()
  private readonly byDevice = new Map<string, Hj212Connection>()
  private readonly sockets = new Set<Socket>()
  private readonly servers: Server[] = []
  private readonly lastSeen = new Map<string, number>()
  private readonly verifier = new SecretVerifier()

  constructor (private readonly o: GatewayOptions) {
    this.indexMns()
  }

  /**
   * A config reload (the registry holds the new config): MNs are looked up in the new registry;
   * the connection of a device removed, disabled, moved to another site, or whose MN or framing
   * (crc, length, encoding, interval) changed is closed (it connects again under the new settings);
   * other connections stay, and check the PW again at their next frame (a rotated PW applies at
   * once, a removed one is refused). Returns the devices disconnected.
   */
  reload (): string[] {
    this.indexMns()
    const dropped: string[] = []
    for (const [id, conn] of [...this.byDevice]) {
      const e = this.o.registry.device(id)
      const prev = conn.boundEntry
      if (e?.device.hj212 && !e.device.disabled && prev?.device.hj212 && sameFraming(prev.device.hj212, e.device.hj212) && prev.site.id === e.site.id && prev.device.kind === e.device.kind) {
        conn.rebind(e)
        continue
      }
      this.o.metrics.connectionsClosed.inc({ reason: 'reload' })
      this.byDevice.delete(id)
      conn.close()
      dropped.push(id)
    }
    return dropped
  }

  private indexMns (): void {
    this.byMn.clear()
    for (const e of this.o.registry.devices()) if (e.device.hj212 && !e.device.disabled) this.byMn.set(e.device.hj212.mn, e)
  }

  /** Devices with an hj212 entry. */
  get deviceCount (): number { return this.byMn.size }

  /** Seeds gap detection, then listens. Resolves with the bound ports. */
  async listen (opts: { port: number, host: string }): Promise<{ port: number, tlsPort?: number }> {
    if (this.o.lastReadings) {
      for (const [device, ts] of await this.o.lastReadings()) this.lastSeen.set(device, ts)
    }
    const onSocket = (s: Socket) => this.accept(s)
    const tcp = createTcpServer({ noDelay: true }, onSocket)
    tcp.maxConnections = this.o.config.maxConnections
    this.servers.push(tcp)
    const port = await listenOn(tcp, opts.port, opts.host)
    const t = this.o.config.tls
    if (!t) return { port }
    const tls = createTlsServer({ cert: readFileSync(t.certFile), key: readFileSync(t.keyFile), ca: t.caFile ? readFileSync(t.caFile) : undefined, noDelay: true }, onSocket)
    tls.maxConnections = this.o.config.maxConnections
    tls.on('tlsClientError', (err) => this.o.logger.debug({ err: err.message }, 'hj212: TLS handshake failed'))
    this.servers.push(tls)
    return { port, tlsPort: await listenOn(tls, t.port, opts.host) }
  }

  /** Sends a command to a connected device and waits for its 9012 result. */
  async command (deviceId: string, cmd: DeviceCommand): Promise<CommandResult> {
    const entry = this.o.registry.device(deviceId)
    if (!entry?.device.hj212) throw new MinewatchError('MW_NOT_FOUND', `device '${deviceId}' is not an HJ 212 device`)
    const conn = this.byDevice.get(deviceId)
    if (!conn) throw new MinewatchError('MW_HJ212_COMMAND_FAILED', `device '${deviceId}' is not connected`)
    try {
      return await conn.command(cmd)
    } catch (err) {
      if (err instanceof CommandError) throw new MinewatchError('MW_HJ212_COMMAND_FAILED', err.message, { cause: err })
      throw err
    }
  }

  /** Every HJ 212 device with its connection state. */
  status (): GatewayStatus[] {
    return [...this.byMn.values()].map((e) => {
      const conn = this.byDevice.get(e.device.id)
      const s: GatewayStatus = { device: e.device.id, mn: e.device.hj212!.mn, connected: conn !== undefined }
      if (conn) s.address = conn.address
      const last = this.lastSeen.get(e.device.id)
      if (last !== undefined) s.lastDataTime = last
      return s
    })
  }

  /** Stops accepting and closes every connection (acks not yet sent are dropped: devices resend). */
  async close (): Promise<void> {
    const closing = this.servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve())))
    for (const s of this.sockets) s.destroy()
    await Promise.all(closing)
  }

  private accept (s: Socket): void {
    this.sockets.add(s)
    const m = this.o.metrics
    m.connections.inc()
    s.setTimeout(this.o.config.idleTimeoutS * 1000, () => {
      m.connectionsClosed.inc({ reason: 'idle' })
      s.destroy()
    })
    new Hj212Connection(s, s.remoteAddress ?? 'unknown', {
      byMn: this.byMn, ingest: this.o.ingest, config: this.o.config, metrics: m, logger: this.o.logger, clock: this.o.clock,
      verifier: this.verifier, lastSeen: this.lastSeen,
      onBound: (c, device) => {
        const old = this.byDevice.get(device)
        this.byDevice.set(device, c)
        if (old) {
          // the device reconnected while its old socket lingers half-open: the new one wins
          m.connectionsClosed.inc({ reason: 'replaced' })
          old.close()
        }
      },
      onClosed: (c) => {
        this.sockets.delete(s)
        m.connections.dec()
        if (c.deviceId !== null && this.byDevice.get(c.deviceId) === c) this.byDevice.delete(c.deviceId)
      }
    })
  }
}

/** The HJ 212 settings other than the PW (pw, pwHash, nextPwHash) are the same. */
function sameFraming (a: Hj212Device, b: Hj212Device): boolean {
  const framing = ({ pw: _pw, pwHash: _h, nextPwHash: _n, ...rest }: Hj212Device) => JSON.stringify(rest)
  return framing(a) === framing(b)
}

function listenOn (server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new MinewatchError('MW_PORT_IN_USE', `HJ 212 port ${port}`, { cause: err }) : err)
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve((server.address() as { port: number }).port)
    })
  })
}
