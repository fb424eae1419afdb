/**
 * The two HTTP APIs minewatch speaks to InfluxDB, over influxdb-client's transport
 * (keep-alive agent, socket timeout, optional gzip):
 *   v1: POST /write?db=&rp=&precision=    with user/password (Basic auth) when set (InfluxDB 1.x)
 *   v2: POST /api/v2/write?org=&bucket=&precision=  with Authorization: Token (InfluxDB 2.x/3.x)
 * and, for both, InfluxQL through /query (on 2.x/3.x the v1-compatible endpoint, via a DBRP mapping).
 */
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { InfluxDB, type Transport } from '@influxdata/influxdb-client'
import type { z } from 'zod'
import type { influxSchema } from '../../core/config.js'
import { MinewatchError } from '../../core/errors.js'
import { toStoreError } from './errors.js'

/** store.influx in the config file. */
export type InfluxConfig = z.infer<typeof influxSchema>

/** One series of an InfluxQL answer. */
export interface InfluxSeries {
  name: string
  tags?: Record<string, string>
  columns: string[]
  values: unknown[][]
}

interface QueryAnswer {
  results?: { statement_id?: number, series?: InfluxSeries[], error?: string }[]
  error?: string
}


export class InfluxHttp {
  private readonly transport: Transport
  private readonly agent: HttpAgent
  private readonly headers: Record<string, string>
  /** For messages: the URL and database or bucket, never credentials. */
  readonly where: string

  /** gzipThresholdBytes: bodies larger than this are gzipped (line protocol shrinks about 10×); undefined: never. */
  constructor (readonly config: InfluxConfig, private readonly gzipThresholdBytes?: number) {
    const https = config.url.startsWith('https:')
    this.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 8 }) : new HttpAgent({ keepAlive: true, maxSockets: 8 })
    const token = config.api === 'v2' ? config.token : undefined
    this.transport = new InfluxDB({ url: config.url, token, timeout: config.timeoutMs, transportOptions: { agent: this.agent } }).transport
    this.headers = { accept: 'application/json' }
    if (config.api === 'v1' && config.username !== undefined) {
      // InfluxDB 1.x HTTP Basic authentication (credentials stay out of URLs and logs).
      this.headers.authorization = 'Basic ' + Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')
    } else if (config.api === 'v1' && config.token !== undefined) {
      this.headers.authorization = `Token ${config.token}`
    }
    this.where = config.api === 'v2'
      ? `${config.url} (org ${config.org}, bucket ${config.bucket}, reads via db ${config.db})`
      : `${config.url} (db ${config.db}${config.rp ? `, rp ${config.rp}` : ''})`
  }

  private writePath (precision: 'ms' | 'ns'): string {
    const c = this.config
    const p = new URLSearchParams()
    if (c.api === 'v2') {
      p.set('org', c.org ?? '')
      p.set('bucket', c.bucket ?? '')
      p.set('precision', precision)
      return `/api/v2/write?${p.toString()}`
    }
    p.set('db', c.db)
    if (c.rp) p.set('rp', c.rp)
    p.set('precision', precision)
    return `/write?${p.toString()}`
  }

  /** POSTs line protocol; resolves on 204. Throws MW_STORE_UNAVAILABLE or MW_STORE_REJECTED. */
  async write (body: string, precision: 'ms' | 'ns' = 'ms'): Promise<void> {
    try {
      await this.transport.request(this.writePath(precision), body, {
        method: 'POST',
        headers: { ...this.headers, 'content-type': 'text/plain; charset=utf-8' },
        gzipThreshold: this.gzipThresholdBytes
      })
    } catch (err) {
      throw toStoreError(err, `write to ${this.where}`)
    }
  }

  /**
   * Runs InfluxQL statements (joined with `;`) and returns each statement's series.
   * GET for reads; POST for statements that change something (CREATE DATABASE).
   */
  async query (statements: readonly string[], method: 'GET' | 'POST' = 'GET'): Promise<InfluxSeries[][]> {
    const p = new URLSearchParams({ db: this.config.db, epoch: 'ms', q: statements.join(';\n') })
    let answer: QueryAnswer | undefined
    try {
      answer = method === 'GET'
        ? await this.transport.request(`/query?${p.toString()}`, '', { method: 'GET', headers: this.headers }) as QueryAnswer
        : await this.transport.request('/query', p.toString(), { method: 'POST', headers: { ...this.headers, 'content-type': 'application/x-www-form-urlencoded' } }) as QueryAnswer
    } catch (err) {
      throw toStoreError(err, `query ${this.where}`)
    }
    if (answer?.error !== undefined) throw this.queryError(answer.error)
    const results = answer?.results ?? []
    return statements.map((_s, i) => {
      const r = results[i]
      if (r?.error !== undefined) throw this.queryError(r.error)
      return r?.series ?? []
    })
  }

  private queryError (error: string): MinewatchError {
    // "database not found" (1.x) or a missing DBRP mapping (2.x): setup, not the caller's fault.
    return new MinewatchError('MW_STORE_UNAVAILABLE', `query ${this.where}: ${error}`, { details: { error } })
  }

  /** GET /ping (1.x, 2.x and VictoriaMetrics answer 204). */
  async ping (): Promise<void> {
    try {
      await this.transport.request('/ping', '', { method: 'GET', headers: this.headers })
    } catch (err) {
      throw toStoreError(err, `ping ${this.where}`)
    }
  }

  close (): void {
    this.agent.destroy()
  }
}
