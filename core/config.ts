/**
 * The configuration file (YAML): the site registry plus broker, ingest, store, API
 * and alert settings. Validated once at start-up; every problem is reported together
 * with file, path and line; the result is frozen.
 */
import { readFileSync, existsSync } from 'node:fs'
import { z } from 'zod'
import { parseDocument, LineCounter, isNode } from 'yaml'
import { siteSchema, SEVERITIES } from './sites.js'
import { KINDS } from './kinds.js'
import { PERSON_SECRET_MIN_N, scryptHashSchema } from './secrets.js'
import { MinewatchError } from './errors.js'
import { DAY } from './time.js'
import { scheduleSchema, scheduleProblems } from './schedules.js'
import { alertGroupSchema, IMPLICIT_GROUP, parentProblems } from './storm.js'
import { escalationPolicySchema, escalationProblems } from './escalation.js'
import { rosterSchema, rosterProblems } from './rosters.js'

const secretRefine = (v: { password?: string, passwordHash?: string }) => Boolean(v.password ?? v.passwordHash)
const sitesList = z.union([z.literal('*'), z.array(z.string().min(1)).min(1)])

/** MQTT accounts that are not devices: ingest services, regulators' forwarders, dashboards. */
export const accountSchema = z.strictObject({
  username: z.string().min(1),
  /**
   * service: may subscribe to mines/# and alerts/# of its sites (e.g. an external ingest);
   * regulator: may subscribe to alerts/ and mines/ of its sites; neither may publish telemetry.
   * site-uplink: a site's minewatch forwarding to this one (uplink/, docs/uplink.md): may publish only
   * uplink/{its one site}/up and read only uplink/{its site}/down.
   */
  role: z.enum(['service', 'regulator', 'site-uplink']),
  sites: sitesList.default('*'),
  password: z.string().min(8).optional(),
  passwordHash: scryptHashSchema('passwordHash', PERSON_SECRET_MIN_N).optional(),
  /** Rotation window: a second hash also accepted (docs/operations.md). */
  nextPasswordHash: scryptHashSchema('nextPasswordHash', PERSON_SECRET_MIN_N).optional()
}).refine(secretRefine, { message: 'an account needs passwordHash (or password in a demo config)', path: ['passwordHash'] })
  .refine((a) => a.role !== 'site-uplink' || (Array.isArray(a.sites) && a.sites.length === 1), { message: 'a site-uplink account has exactly one site', path: ['sites'] })

export const apiTokenSchema = z.strictObject({
  name: z.string().min(1),
  role: z.enum(['regulator', 'operator', 'admin']),
  /** Sites this token may see: '*' or a list (an operator has exactly one). */
  sites: sitesList.default('*'),
  token: z.string().min(16).optional(),
  tokenHash: scryptHashSchema('tokenHash', PERSON_SECRET_MIN_N).optional(),
  /** Rotation window: a second hash also accepted (docs/operations.md). */
  nextTokenHash: scryptHashSchema('nextTokenHash', PERSON_SECRET_MIN_N).optional()
}).refine((t) => Boolean(t.token ?? t.tokenHash), { message: 'a token needs tokenHash (or token in a demo config)', path: ['tokenHash'] })
  .refine((t) => t.role !== 'operator' || (Array.isArray(t.sites) && t.sites.length === 1), { message: 'an operator token has exactly one site', path: ['sites'] })

export const brokerSchema = z.strictObject({
  host: z.string().default('0.0.0.0'),
  /** Largest MQTT packet accepted, bytes (payload limit 256 KiB plus headers). */
  maxPacketBytes: z.number().int().positive().default(256 * 1024 + 1024),
  maxTopicLevels: z.number().int().min(4).max(100).default(8),
  /** Bytes sent to one subscriber and not yet written out before it is disconnected (a slow reader only hurts itself). */
  outboundMaxBytes: z.number().int().positive().default(2 * 1024 * 1024), // 2 MiB
  /** A client that does not drain its socket within this is disconnected, ms. */
  drainTimeoutMs: z.number().int().positive().default(30_000), // 30 s
  /** Per-device publish rate: token bucket refilled at `messagesPerSecond`, holding `burst`. */
  rate: z.strictObject({ messagesPerSecond: z.number().positive().default(50), burst: z.number().positive().default(200) }).prefault({}),
  /** Failed logins per client address before it is refused for `blockMs`. */
  failedLogins: z.strictObject({
    max: z.number().int().positive().default(5),
    /** Failures per username from addresses it never logged in from, before it is refused there for blockMs. */
    perAccountMax: z.number().int().positive().default(20),
    windowMs: z.number().int().positive().default(60_000), // 60 s
    blockMs: z.number().int().positive().default(300_000) // 5 min
  })
    .prefault({}),
  tls: z.strictObject({ port: z.number().int().min(0).max(65535), certFile: z.string(), keyFile: z.string(), caFile: z.string().optional() }).optional(),
  ws: z.strictObject({ port: z.number().int().min(0).max(65535), path: z.string().default('/mqtt') }).optional(),
  /** MQTT connections one remote address may hold at once (TCP, TLS and WebSocket together); a whole mine's devices often share one NAT address (docs/security.md). */
  connectionsPerAddress: z.number().int().positive().default(2000)
}).prefault({})

export const ingestSchema = z.strictObject({
  /** Readings older than this (by their own ts) are rejected, ms. Default 7 days. */
  maxLateMs: z.number().int().positive().default(7 * DAY),
  /** A batch is written when it holds this many readings ... */
  batchMaxReadings: z.number().int().positive().default(20_000),
  /** ... or, when no write is running, this long after its first reading arrived, ms (0: at the end of the
   *  current event-loop turn). While a write runs, the next batch fills and goes as soon as it ends. */
  batchMaxWaitMs: z.number().int().nonnegative().default(0),
  /** Recent reading keys remembered per device to drop redelivered duplicates. */
  dedupPerDevice: z.number().int().positive().default(2048),
  /** External broker to subscribe to instead of (or besides) the embedded one. */
  external: z.strictObject({
    url: z.string().url().refine((u) => /^(mqtts?|tcp|ssl):\/\//i.test(u), 'must be mqtt:// (or tcp://) or mqtts:// (or ssl://)'),
    username: z.string().optional(),
    password: z.string().optional(),
    clientId: z.string().default('minewatch-ingest'),
    /** A filter, or `$share/GROUP/filter` to split the messages over the workers of one group. */
    topic: z.string().default('mines/#'),
    /** MQTT protocol level: 5 or 4 (3.1.1). */
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
    /** MQTT 5 Receive Maximum: QoS 1 messages in flight to us at once (on 3.1.1 the broker's own limit applies). */
    receiveMaximum: z.number().int().min(1).max(65_535).default(1000)
  }).optional(),
  rejects: z.strictObject({
    /** Rejects kept; the oldest are dropped past this. */
    maxRows: z.number().int().positive().default(100_000)
  }).prefault({})
}).prefault({})

export const influxSchema = z.strictObject({
  url: z.string().url(),
  api: z.enum(['v1', 'v2']).default('v1'),
  db: z.string().default('minewatch'),
  rp: z.string().optional(),
  org: z.string().optional(),
  bucket: z.string().optional(),
  token: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  timeoutMs: z.number().int().positive().default(10_000)
}).refine((c) => c.api !== 'v2' || (c.org && c.bucket && c.token), { message: 'api v2 needs org, bucket and token', path: ['api'] })

export const spoolSchema = z.strictObject({
  /** Spool size bound, bytes. */
  maxBytes: z.number().int().positive().default(2 * 1024 ** 3), // 2 GiB
  /** At the bound: drop the oldest segment (counted, logged) or push back on intake. */
  onFull: z.enum(['drop-oldest', 'backpressure']).default('backpressure'),
  /** fsync every append ('always') or every `fsyncIntervalMs` ('interval'). */
  fsync: z.enum(['always', 'interval']).default('always'),
  fsyncIntervalMs: z.number().int().positive().default(100),
  segmentBytes: z.number().int().positive().default(16 * 1024 ** 2)
}).prefault({})

export const duckdbSchema = z.strictObject({
  /** DuckDB buffer-manager limit for the telemetry file (DuckDB's own default is 80 % of RAM). */
  memoryLimit: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'a size like 160MB or 1GB').default('160MB'),
  /** DuckDB worker threads. */
  threads: z.number().int().positive().default(2),
  /** Pause between passes of the rollup job, ms (store/duckdb/rollups.ts); queries never wait for it. */
  rollupIntervalMs: z.number().int().positive().default(10_000) // 10 s: a query reads at most ~10 s of minutes raw
}).prefault({})

const retentionDays = z.number().int().positive()
/**
 * How long the embedded (DuckDB) telemetry store keeps raw readings, per kind, in days; the retention
 * job (lifecycle/retention.ts) deletes older ones. InfluxDB keeps what its retention policy says.
 * Alert history, transitions, the outbox, day facts and rejects are never touched by it.
 */
export const retentionSchema = z.strictObject({
  dust: retentionDays.default(5 * 366), // 5 years: 排污许可管理条例 (国务院令第736号, 2021) art. 19 and 21: original monitoring records and the ledger kept ≥ 5 years *(check)*
  water: retentionDays.default(5 * 366), // 5 years: the same rule, for the water-balance records behind the recycling rate *(check)*
  ore: retentionDays.default(5 * 366), // 5 years: production records behind the licence-scale checks (few rows: a truck scale weighs hundreds a day)
  locator: retentionDays.default(90), // 90 days: no rule asks for positions; ~10 M rows/day on a medium site (domain.md §7); incident reviews look back weeks
  status: retentionDays.default(90), // 90 days: device health, for maintenance only
  /**
   * Rollups (docs/storage.md *Rollups*), in days: each kind's rollups are kept at least as long as
   * its raw readings (a query the rollups answer must find them wherever the raw readings are) and
   * at least this long, so they outlive the raw readings they summarise.
   */
  rollup1m: retentionDays.default(2 * 366), // 2 years: minute detail of positions and device health beyond their 90 raw days, for incident reviews; ~1/20 of the raw locator rows
  rollup1h: retentionDays.default(10 * 366), // 10 years: hourly means (with their GB 3095-2012 §8 minutes) of the whole life of a licence; a medium site writes ~8,000 hour rows a day
  energy: retentionDays.default(5 * 366), // 5 years: kept like the production records the intensity is computed with (no rule on energy records verified; a meter sends a few hundred rows a day)
  /** How often the job runs, ms (a run also starts at minewatch start). */
  intervalMs: z.number().int().positive().default(3_600_000),
  /** Rows one delete transaction removes: small, so each holds the store briefly and ingest keeps flowing. */
  batchRows: z.number().int().positive().default(20_000),
  /** Pause between two delete transactions, ms. */
  pauseMs: z.number().int().nonnegative().default(50)
}).refine((r) => r.rollup1h >= r.rollup1m, { message: 'rollup1h must be at least rollup1m (hours are rolled up from minutes)', path: ['rollup1h'] })
  .prefault({})

/**
 * Where the state lives (rejects, alerts, the outbox, the audit log, device changes): the embedded
 * DuckDB file (data/state.duckdb), or a PostgreSQL database that several minewatch processes share
 * (store/postgres/, docs/scale.md). The password comes from an environment variable, never the file.
 */
export const stateSchema = z.strictObject({
  engine: z.enum(['duckdb', 'postgres']).default('duckdb'),
  postgres: z.strictObject({
    /** postgres://user@host:port/database; a password in it is refused (use passwordEnv). */
    url: z.string().regex(/^postgres(ql)?:\/\/[^\s]+$/, 'a postgres url is postgres://user@host:port/database')
      .refine((u) => { try { return new URL(u).password === '' } catch { return false } }, 'a postgres url must hold no password (give it in the environment variable named by passwordEnv)'),
    /** Name of the environment variable holding the password (never the password itself); absent: no password. */
    passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
    /** Connections in this process's pool. */
    poolSize: z.number().int().positive().max(100).default(10),
    /** How long this process holds the outbox rows it takes for delivery; a process that dies lets them go after it. */
    claimLeaseMs: z.number().int().positive().default(300_000) // 5 min: above a batch of deliveries with their timeouts and retries in one pass
  }).optional()
}).refine((s) => s.engine !== 'postgres' || s.postgres, { message: 'store.state.engine postgres needs store.state.postgres', path: ['postgres'] })
  .prefault({})

export const storeSchema = z.strictObject({
  kind: z.enum(['duckdb', 'influx']).default('duckdb'),
  duckdb: duckdbSchema,
  influx: influxSchema.optional(),
  spool: spoolSchema,
  retention: retentionSchema,
  state: stateSchema,
  /** Free bytes the data and spool directories keep: below it readings are refused (no PUBACK) and /readyz is 503; 0 turns the floor off. */
  diskFreeFloorBytes: z.number().int().nonnegative().default(256 * 1024 ** 2) // 256 MiB: room for a DuckDB checkpoint at the default memoryLimit (160MB)
}).refine((s) => s.kind !== 'influx' || s.influx, { message: 'store.kind influx needs store.influx', path: ['influx'] })
  .prefault({})

const emailAddress = z.string().regex(/^[^\s@<>,;"]+@[^\s@<>,;"]+$/, 'an email address (name@domain)')

/** An email subscription's SMTP server and addresses (alerts/notify/email.ts, smtp.ts). */
export const emailSchema = z.strictObject({
  host: z.string().min(1),
  /** Default by tls: 587 (starttls, submission, RFC 6409), 465 (implicit, RFC 8314), 25 (none). */
  port: z.number().int().min(1).max(65535).optional(),
  /** starttls (never falls back to clear text), implicit (TLS from the first byte), or none. */
  tls: z.enum(['starttls', 'implicit', 'none']).default('starttls'),
  /** PEM CA file to trust instead of the system's (an internal relay). */
  caFile: z.string().min(1).optional(),
  /** AUTH user; its password is in the environment variable named by passwordEnv. */
  user: z.string().min(1).optional(),
  passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
  from: emailAddress,
  to: z.array(emailAddress).min(1)
}).refine((e) => (e.user === undefined) === (e.passwordEnv === undefined), { message: 'user and passwordEnv go together', path: ['passwordEnv'] })
  .refine((e) => e.tls !== 'none' || e.user === undefined, { message: 'AUTH over tls: none sends the password in clear: use starttls or implicit', path: ['tls'] })

/** An SMS subscription's vendor account, template and numbers (alerts/notify/sms.ts). */
export const smsSchema = z.strictObject({
  /** SendSms endpoint; default https://dysmsapi.aliyuncs.com/ (Aliyun) or https://sms.tencentcloudapi.com/ (Tencent). */
  endpoint: z.string().url().optional(),
  /** Aliyun AccessKeyId / Tencent SecretId. */
  keyId: z.string().min(1),
  /** The environment variable holding the AccessKeySecret / SecretKey (never the secret itself). */
  secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'),
  /** 短信签名, as approved by the vendor. */
  signName: z.string().min(1),
  /** Aliyun TemplateCode (SMS_…) / Tencent TemplateId, an approved template with the four variables site, kind, value, time. */
  templateId: z.string().min(1),
  /** Tencent SmsSdkAppId (required for tencent_sms). */
  sdkAppId: z.string().min(1).optional(),
  /** Tencent X-TC-Region. */
  region: z.string().min(1).default('ap-guangzhou'),
  /** Mobile numbers: 11 digits (mainland) or +country digits (Tencent wants +86…). */
  phones: z.array(z.string().regex(/^\+?[0-9]{6,15}$/, 'a mobile number (digits, optionally +country code)')).min(1),
  /** Each number gets at most one SMS per this many seconds from the subscription (vendors throttle at 1 a minute per number by default); later ones wait. */
  minIntervalS: z.number().int().nonnegative().default(60)
})

export const subscriptionSchema = z.strictObject({
  id: z.string().min(1),
  type: z.enum(['webhook', 'dingtalk', 'wecom', 'mqtt', 'email', 'aliyun_sms', 'tencent_sms']),
  url: z.string().url().optional(),
  /** HMAC key for webhooks (required); DingTalk robot signing secret. */
  secret: z.string().optional(),
  /** Allow a plain http:// url (a local receiver); https is required otherwise. */
  allowHttp: z.boolean().default(false),
  sites: sitesList.default('*'),
  kinds: z.union([z.literal('*'), z.array(z.string().min(1)).min(1)]).default('*'),
  minSeverity: z.enum(SEVERITIES).default('warning'),
  /**
   * Also deliver an open alert's evidence going missing and coming back (alert.no_data /
   * alert.data_back, docs/alerts.md). Off by default: a device that drops out and back would send
   * two messages per open alert each time, and its device_offline alert is delivered anyway.
   */
  evidenceEvents: z.boolean().default(false),
  /** Receives only what an escalation policy (alerts.escalation) addresses to it, as one of its tiers' receivers; sites, kinds and minSeverity are not used then. */
  escalationOnly: z.boolean().optional(), // absent: false (optional, so Subscription objects built in code need not name it)
  language: z.enum(['zh', 'en']).optional(),
  /** SMTP server and addresses of an email subscription (required for type email). */
  email: emailSchema.optional(),
  /** Vendor account, template and numbers of an SMS subscription (required for aliyun_sms and tencent_sms). */
  sms: smsSchema.optional()
}).refine((s) => !['webhook', 'dingtalk', 'wecom'].includes(s.type) || s.url, { message: 'webhook, dingtalk and wecom subscriptions need a url', path: ['url'] })
  .refine((s) => (s.type === 'aliyun_sms' || s.type === 'tencent_sms') === (s.sms !== undefined), { message: 'an aliyun_sms or tencent_sms subscription needs sms: { keyId, secretEnv, signName, templateId, phones }, and only it takes one', path: ['sms'] })
  .refine((s) => s.type !== 'tencent_sms' || s.sms?.sdkAppId !== undefined, { message: 'a tencent_sms subscription needs sms.sdkAppId (SmsSdkAppId)', path: ['sms', 'sdkAppId'] })
  .refine((s) => s.sms?.endpoint === undefined || s.allowHttp || !s.sms.endpoint.toLowerCase().startsWith('http:'), { message: 'plain http sends the signed request in clear: use https, or set allowHttp: true for a local receiver', path: ['sms', 'endpoint'] })
  .refine((s) => (s.type === 'email') === (s.email !== undefined), { message: 'an email subscription needs email: { host, from, to }, and only an email subscription takes it', path: ['email'] })
  .refine((s) => s.type !== 'webhook' || (s.secret !== undefined && s.secret.length >= 16), { message: 'a webhook needs a secret of at least 16 characters: receivers verify the signature with it', path: ['secret'] })
  .refine((s) => s.url === undefined || s.allowHttp || !s.url.toLowerCase().startsWith('http:'), { message: 'plain http sends alerts and signatures in clear text: use https, or set allowHttp: true for a local receiver', path: ['url'] })

export const alertsSchema = z.strictObject({
  language: z.enum(['zh', 'en']).default('zh'),
  /** device_offline fires after this many expected intervals without a reading. */
  offlineFactor: z.number().positive().default(3),
  /** data_quality: a value unchanged this long is a frozen sensor, seconds. */
  stuckAfterS: z.number().int().positive().default(3600),
  /**
   * Whole-day verdicts (water rate, dust daily means) wait at most this long after a day's end for
   * every device's data, s; then the stored day is judged as it is. Default: the 7-day acceptance
   * window (ingest.maxLateMs), so a backlog uploaded meter by meter never gives a verdict of part of the day.
   */
  dayVerdictWaitS: z.number().int().nonnegative().default(7 * 86_400), // 7 days
  /**
   * A site-day with new data has its day facts (the dashboards' figures, alerts/day-facts.ts) computed
   * again from the stored day at most this often, s.
   */
  dayFactsRefreshS: z.number().int().positive().default(30),
  subscriptions: z.array(subscriptionSchema).default([]),
  /** Recurring production, maintenance and blasting windows (core/schedules.ts, docs/alerts.md "Schedules"). */
  schedules: z.array(scheduleSchema).default([]),
  /** Storm control: related alerts delivered as one notification (core/storm.ts, docs/alerts.md "Storm control"). */
  groups: z.array(alertGroupSchema).default([]),
  /** Escalation policies per site and severity: tiers of receivers with delays, reminders (core/escalation.ts, docs/alerts.md "Escalation"). */
  escalation: z.array(escalationPolicySchema).default([]),
  /** Duty rosters per site: shifts (Beijing time), who is on duty, the incoming shift's channel (core/rosters.ts, docs/alerts.md "Duty rosters and shift handover"). */
  rosters: z.array(rosterSchema).default([]),
  /** Outbox retry: first delay and ceiling, ms. */
  retry: z.strictObject({ initialMs: z.number().int().positive().default(1000), maxMs: z.number().int().positive().default(300_000) }).prefault({})
}).prefault({})

export const apiSchema = z.strictObject({
  host: z.string().default('0.0.0.0'),
  tokens: z.array(apiTokenSchema).default([]),
  /** /healthz, /readyz and /metrics need no token when true. */
  openOps: z.boolean().default(true),
  /** Requests per minute per token. */
  rateLimitPerMin: z.number().int().positive().default(600),
  /** HTTP connections one remote address may hold at once (a control room's browsers share its NAT address). */
  connectionsPerAddress: z.number().int().positive().default(512),
  /** Open event streams (SSE) per token, and per remote address. */
  streamsPerToken: z.number().int().positive().default(32),
  streamsPerAddress: z.number().int().positive().default(64)
}).prefault({})

/** The HJ 212 TCP gateway (hj212/, docs/hj212.md). Off unless a port is set (--hj212-port, MINEWATCH_HJ212_PORT, hj212.port). */
export const hj212Schema = z.strictObject({
  port: z.number().int().min(0).max(65535).optional(),
  host: z.string().optional(),
  tls: z.strictObject({ port: z.number().int().min(0).max(65535), certFile: z.string(), keyFile: z.string(), caFile: z.string().optional() }).optional(),
  /** A device whose DataTime is further than this from server time gets a time calibration (CN 1012), s. */
  maxClockDriftS: z.number().int().positive().default(60),
  /** Packets of a split message (PNUM/PNO) must all arrive within this, s. */
  splitTimeoutS: z.number().int().positive().default(30),
  /** A connection silent this long is closed (real-time interval is at most 3600 s, §6.6), s. */
  idleTimeoutS: z.number().int().positive().default(3900),
  /** A connection is closed after this many bad frames in a row (garbage, wrong PW, unknown MN). */
  maxBadFrames: z.number().int().positive().default(20),
  /** At most this many connections at once. */
  maxConnections: z.number().int().positive().default(10_000),
  /** After a device reconnects following a gap longer than gapFactor × its intervalS, request the gap's minute data (CN 2051 BeginTime/EndTime). */
  backfill: z.strictObject({
    enabled: z.boolean().default(true),
    gapFactor: z.number().min(1).default(3),
    /** At most this far back, s (7 days: ingest refuses older readings by default). */
    maxS: z.number().int().positive().default(7 * 86_400)
  }).prefault({}),
  /** Replies to gateway commands (9011/9012) must arrive within this, s. */
  commandTimeoutS: z.number().int().positive().default(30)
}).prefault({})

// ---- web console (console/, docs/console.md): the optional map tile layer
/** Coordinate systems of tile layers: GCJ-02 tiles (AutoNavi, Tencent) are offset by hundreds of metres from CGCS2000/WGS84 (domain.md §5). */
export const TILE_CRS = ['wgs84', 'cgcs2000', 'gcj02'] as const
export const tileLayerSchema = z.strictObject({
  /** URL template with {z}, {x} and {y} (Leaflet's syntax; {s} for subdomains a–c), http(s). */
  url: z.string().max(2000).regex(/^https?:\/\/\S+$/, 'a tile URL is an http:// or https:// URL template without spaces')
    .refine((u) => ['{z}', '{x}', '{y}'].every((p) => u.includes(p)), 'a tile URL template needs {z}, {x} and {y}'),
  /** The coordinate system the tiles are drawn in (required: guessing wrong misplaces every fence by hundreds of metres). */
  crs: z.enum(TILE_CRS),
  /** Shown on the map (tile licences ask for it), e.g. "© 天地图". */
  attribution: z.string().max(500).optional(),
  maxZoom: z.number().int().min(1).max(22).default(18)
})
export type TileLayer = z.infer<typeof tileLayerSchema>
const consoleSchema = z.strictObject({
  /** Tile layer for every map (absent: vector drawing only, no request to any other host). */
  tiles: tileLayerSchema.optional(),
  /** Per-site tile layer by site id, overriding `tiles`; null: that site's map has no tiles. */
  siteTiles: z.record(z.string(), tileLayerSchema.nullable()).default({})
}).prefault({})
// ---- end web console

// ---- uplink (uplink/, docs/uplink.md): forwarding to an upstream minewatch or MQTT broker
/** An uplink target's durable queue (store/segments format, like store.spool). */
const uplinkQueueSchema = z.strictObject({
  /** Bound over waiting batches, bytes. */
  maxBytes: z.number().int().positive().default(1024 ** 3), // 1 GiB
  /** At the bound: drop the oldest segment (counted) or refuse new items (counted) until the upstream drains the queue. */
  onFull: z.enum(['drop-oldest', 'refuse-new']).default('drop-oldest'),
  fsync: z.enum(['always', 'interval']).default('always'),
  fsyncIntervalMs: z.number().int().positive().default(100),
  segmentBytes: z.number().int().positive().default(16 * 1024 ** 2)
}).prefault({})
export const uplinkTargetSchema = z.strictObject({
  /** Names the target in status, metrics and its queue directory (<data-dir>/uplink/<name>). */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a target name uses letters, digits, . _ - (1–64)'),
  /** Upstream broker: mqtt:// or mqtts://. */
  url: z.string().regex(/^mqtts?:\/\/[^\s/]+(:\d+)?\/?$/, 'an uplink url is mqtt://host:port or mqtts://host:port'),
  /** The site this minewatch forwards as: topics uplink/{site}/up and uplink/{site}/down. */
  site: z.string().min(1),
  /** MQTT username upstream (the province's site-uplink account). */
  username: z.string().min(1),
  /** Name of the environment variable holding the password (never the password itself). */
  passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'),
  /** Stable MQTT client id (the upstream keeps the session and the downlink messages under it); default minewatch-uplink-<site>-<name>. */
  clientId: z.string().min(1).max(128).optional(),
  /** TLS to an mqtts:// upstream: CA to trust, optional client certificate and key. */
  tls: z.strictObject({ caFile: z.string().optional(), certFile: z.string().optional(), keyFile: z.string().optional() })
    .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: 'certFile and keyFile go together', path: ['certFile'] }).optional(),
  /** What is forwarded: reading kinds ('*' or a list) and alert transitions. */
  forward: z.strictObject({
    kinds: z.union([z.literal('*'), z.array(z.enum(KINDS)).min(1)]).default('*'),
    alerts: z.boolean().default(true),
    /** The site's daily reports, when a day is over and again when late data changes it (uplink/reports.ts). */
    dailyReports: z.boolean().default(true)
  }).prefault({}),
  /** At most this many readings (and alert transitions) in one MQTT message upstream. */
  batchMaxReadings: z.number().int().positive().max(5000).default(2000),
  /** Delay between reconnect attempts, ms. */
  reconnectMs: z.number().int().positive().default(2000), // 2 s
  /** The durable queue (store/segments format, like store.spool). */
  queue: uplinkQueueSchema
}).refine((t) => t.tls === undefined || t.url.startsWith('mqtts:'), { message: 'tls needs an mqtts:// url', path: ['tls'] })
/** An HJ 212-2017 upstream (an environmental platform, or a provincial minewatch's gateway): uplink/hj212/. */
export const uplinkHj212TargetSchema = z.strictObject({
  /** Names the target in status, metrics and its queue directory (<data-dir>/uplink/<name>); unique among all uplink targets. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a target name uses letters, digits, . _ - (1–64)'),
  /** The platform's TCP address. */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** The site whose devices are forwarded. */
  site: z.string().min(1),
  /** The devices forwarded (dust or water), each with the MN and PW the platform registered for it. */
  devices: z.array(z.strictObject({
    id: z.string().min(1),
    mn: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'an MN uses letters, digits and - (1–64)'),
    /** Name of the environment variable holding the device's PW upstream (never the PW itself). */
    pwEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'),
    /** ST system code (HJ 212-2017 表 3); default 22 (air quality) for dust, 32 (wastewater source) for water. */
    st: z.string().regex(/^\d{2}$/, 'ST is two digits').optional()
  })).min(1),
  /** What is sent: real-time readings (CN 2011) and the dust minute, hourly and daily means (2051, 2061, 2031). */
  data: z.strictObject({
    realtime: z.boolean().default(true),
    minute: z.boolean().default(true),
    hour: z.boolean().default(true),
    day: z.boolean().default(true)
  }).prefault({}),
  /** An interval's data is sent this long after it ends (late readings still count), s. */
  intervalGraceS: z.number().int().min(0).max(3600).default(120), // 2 min
  /** Delay between reconnect attempts, ms. */
  reconnectMs: z.number().int().positive().default(2000), // 2 s
  /** A frame not answered 9014 within this is taken as lost: the connection is dropped and the frames resent, ms. */
  ackTimeoutMs: z.number().int().positive().default(15_000), // 15 s
  /** Frames sent before their 9014s are awaited (the platform answers them in order). */
  windowFrames: z.number().int().min(1).max(1000).default(100),
  queue: uplinkQueueSchema
})
export const uplinkSchema = z.strictObject({
  targets: z.array(uplinkTargetSchema).default([]),
  /** HJ 212-2017 upstreams (docs/uplink.md, "HJ 212 uplink"). */
  hj212: z.array(uplinkHj212TargetSchema).default([]),
  /** Daily reports forwarded by the MQTT targets (forward.dailyReports; uplink/reports.ts). */
  dailyReports: z.strictObject({
    /** A day's report is computed and sent this long after the day ends (readings still arriving count), s. */
    graceS: z.number().int().min(0).max(86_400).default(600), // 10 min
    /** A past day that received late data is computed again at most this often; sent again only when its figures changed, s. */
    refreshS: z.number().int().min(1).max(86_400).default(60) // 1 min
  }).prefault({})
}).prefault({})
// ---- end uplink

export const configSchema = z.strictObject({
  /** Demo configs may hold plain passwords and tokens (each logged as a warning). */
  demo: z.boolean().default(false),
  sites: z.array(siteSchema).min(1, 'at least one site'),
  accounts: z.array(accountSchema).default([]),
  broker: brokerSchema,
  ingest: ingestSchema,
  store: storeSchema,
  alerts: alertsSchema,
  api: apiSchema,
  hj212: hj212Schema,
  console: consoleSchema,
  uplink: uplinkSchema
}).superRefine((c, ctx) => {
  for (const id of Object.keys(c.console.siteTiles)) if (!c.sites.some((s) => s.id === id)) ctx.addIssue({ code: 'custom', path: ['console', 'siteTiles', id], message: `unknown site '${id}'` })
  const siteIds = new Set<string>()
  const deviceIds = new Map<string, string>()
  const mns = new Map<string, string>()
  c.sites.forEach((s, i) => {
    if (siteIds.has(s.id)) ctx.addIssue({ code: 'custom', path: ['sites', i, 'id'], message: `duplicate site id '${s.id}'` })
    siteIds.add(s.id)
    s.devices.forEach((d, j) => {
      const other = deviceIds.get(d.id)
      if (other) ctx.addIssue({ code: 'custom', path: ['sites', i, 'devices', j, 'id'], message: `device id '${d.id}' is already used in ${other} (device ids are MQTT usernames: unique across sites)` })
      deviceIds.set(d.id, `site '${s.id}'`)
      if (!c.demo && d.password) ctx.addIssue({ code: 'custom', path: ['sites', i, 'devices', j, 'password'], message: 'plain passwords are allowed only in demo configs (demo: true); use secretHash' })
    })
    s.devices.forEach((d, j) => {
      if (!d.hj212) return
      const other = mns.get(d.hj212.mn)
      if (other) ctx.addIssue({ code: 'custom', path: ['sites', i, 'devices', j, 'hj212', 'mn'], message: `HJ 212 MN '${d.hj212.mn}' is already used by ${other} (the MN identifies the device)` })
      mns.set(d.hj212.mn, `device '${d.id}'`)
      if (!c.demo && d.hj212.pw) ctx.addIssue({ code: 'custom', path: ['sites', i, 'devices', j, 'hj212', 'pw'], message: 'plain HJ 212 passwords are allowed only in demo configs (demo: true); use pwHash' })
    })
    // replacement chains (devices/): both ends in this site and of the same kind
    const here = new Map(s.devices.map((d) => [d.id, d]))
    s.devices.forEach((d, j) => {
      const link = (field: 'replacedBy' | 'replaces', other: string | undefined, back: 'replacedBy' | 'replaces') => {
        if (other === undefined) return
        const o = here.get(other)
        if (!o) ctx.addIssue({ code: 'custom', path: ['sites', i, 'devices', j, field], message: `'${other}' is not a device of site '${s.id}' (a replacement keeps its site)` })
        else if (o.kind !== d.kind) ctx.addIssue({ code: 'custom', path: ['sites', i, 'devices', j, field], message: `'${other}' is a ${o.kind} device, '${d.id}' a ${d.kind} one (a replacement keeps its kind)` })
        else if (o[back] !== d.id) ctx.addIssue({ code: 'custom', path: ['sites', i, 'devices', j, field], message: `'${other}' must name '${d.id}' in ${back}` })
      }
      link('replacedBy', d.replacedBy, 'replaces')
      link('replaces', d.replaces, 'replacedBy')
    })
    for (const [j, message] of parentProblems(s.devices)) ctx.addIssue({ code: 'custom', path: ['sites', i, 'devices', j, 'parent'], message })
    const zoneIds = new Set<string>()
    s.zones.forEach((z, j) => {
      if (zoneIds.has(z.id)) ctx.addIssue({ code: 'custom', path: ['sites', i, 'zones', j, 'id'], message: `duplicate zone id '${z.id}'` })
      zoneIds.add(z.id)
    })
  })
  const checkSites = (sites: '*' | string[], path: (string | number)[]) => {
    if (sites === '*') return
    sites.forEach((s, k) => { if (!siteIds.has(s)) ctx.addIssue({ code: 'custom', path: [...path, k], message: `unknown site '${s}'` }) })
  }
  c.accounts.forEach((a, i) => {
    if (deviceIds.has(a.username)) ctx.addIssue({ code: 'custom', path: ['accounts', i, 'username'], message: `username '${a.username}' is also a device id` })
    if (!c.demo && a.password) ctx.addIssue({ code: 'custom', path: ['accounts', i, 'password'], message: 'plain passwords are allowed only in demo configs; use passwordHash' })
    checkSites(a.sites, ['accounts', i, 'sites'])
  })
  c.api.tokens.forEach((t, i) => {
    if (!c.demo && t.token) ctx.addIssue({ code: 'custom', path: ['api', 'tokens', i, 'token'], message: 'plain tokens are allowed only in demo configs; use tokenHash' })
    checkSites(t.sites, ['api', 'tokens', i, 'sites'])
  })
  c.alerts.subscriptions.forEach((s, i) => checkSites(s.sites, ['alerts', 'subscriptions', i, 'sites']))
  const scheduleIds = new Set<string>()
  const groupIds = new Set<string>()
  c.alerts.groups.forEach((g, i) => {
    if (groupIds.has(g.id)) ctx.addIssue({ code: 'custom', path: ['alerts', 'groups', i, 'id'], message: `duplicate group id '${g.id}'` })
    if (g.id === IMPLICIT_GROUP) ctx.addIssue({ code: 'custom', path: ['alerts', 'groups', i, 'id'], message: `'${IMPLICIT_GROUP}' is the name of the offline alerts waiting for their parent's (core/storm.ts): choose another id` })
    groupIds.add(g.id)
    checkSites(g.sites, ['alerts', 'groups', i, 'sites'])
  })
  c.alerts.schedules.forEach((s, i) => {
    if (scheduleIds.has(s.id)) ctx.addIssue({ code: 'custom', path: ['alerts', 'schedules', i, 'id'], message: `duplicate schedule id '${s.id}'` })
    scheduleIds.add(s.id)
    for (const [field, message] of scheduleProblems(s, c)) ctx.addIssue({ code: 'custom', path: ['alerts', 'schedules', i, field], message })
  })
  for (const [i, path, message] of escalationProblems(c.alerts.escalation, siteIds, new Set(c.alerts.subscriptions.map((s) => s.id)))) {
    ctx.addIssue({ code: 'custom', path: ['alerts', 'escalation', i, ...path], message })
  }
  for (const [i, path, message] of rosterProblems(c.alerts.rosters, { siteIds, channels: new Map(c.alerts.subscriptions.map((s) => [s.id, s.type])) })) {
    ctx.addIssue({ code: 'custom', path: ['alerts', 'rosters', i, ...path], message })
  }
  // uplink targets: a known site, unique names
  const targetNames = new Set<string>()
  c.uplink.targets.forEach((t, i) => {
    if (!siteIds.has(t.site)) ctx.addIssue({ code: 'custom', path: ['uplink', 'targets', i, 'site'], message: `unknown site '${t.site}'` })
    if (targetNames.has(t.name)) ctx.addIssue({ code: 'custom', path: ['uplink', 'targets', i, 'name'], message: `duplicate uplink target '${t.name}'` })
    targetNames.add(t.name)
  })
  c.uplink.hj212.forEach((t, i) => {
    const site = c.sites.find((s) => s.id === t.site)
    if (!site) ctx.addIssue({ code: 'custom', path: ['uplink', 'hj212', i, 'site'], message: `unknown site '${t.site}'` })
    if (targetNames.has(t.name)) ctx.addIssue({ code: 'custom', path: ['uplink', 'hj212', i, 'name'], message: `duplicate uplink target '${t.name}'` })
    targetNames.add(t.name)
    const seen = new Set<string>()
    t.devices.forEach((d, j) => {
      const dev = site?.devices.find((x) => x.id === d.id)
      if (site && !dev) ctx.addIssue({ code: 'custom', path: ['uplink', 'hj212', i, 'devices', j, 'id'], message: `'${d.id}' is not a device of site '${t.site}'` })
      else if (dev && dev.kind !== 'dust' && dev.kind !== 'water') ctx.addIssue({ code: 'custom', path: ['uplink', 'hj212', i, 'devices', j, 'id'], message: `'${d.id}' is a ${dev.kind} device, HJ 212 forwards dust and water devices` })
      if (seen.has(d.mn)) ctx.addIssue({ code: 'custom', path: ['uplink', 'hj212', i, 'devices', j, 'mn'], message: `MN '${d.mn}' is used twice in this target (the MN identifies the device upstream)` })
      seen.add(d.mn)
    })
  })
  void KINDS
})

export type Config = z.infer<typeof configSchema>
export type RetentionConfig = z.infer<typeof retentionSchema>
export type ConfigInput = z.input<typeof configSchema>

export interface LoadedConfig {
  config: Config
  /** Things worth a warning at start-up (e.g. plain demo passwords). Never holds a secret. */
  warnings: string[]
  file: string
  /** The file as loaded, when device changes made through the API are applied on top of it (devices/overrides.ts). */
  base?: LoadedConfig
  /** What became of each stored device change on top of the file: applied, a no-op (the file holds it) or skipped (the file wins). */
  overrides?: Array<{ seq: number, outcome: 'applied' | 'noop' | 'skipped', detail?: string }>
}

/** Replaces `${VAR}` and `${VAR:-default}` in every string with environment values. */
function interpolate (value: unknown, env: NodeJS.ProcessEnv, missing: string[], path: string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, def: string | undefined) => {
      const v = env[name]
      if (v !== undefined && v !== '') return v
      if (def !== undefined) return def
      missing.push(`${path}: environment variable ${name} is not set`)
      return ''
    })
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, missing, `${path}[${i}]`))
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, missing, path ? `${path}.${k}` : k)]))
  }
  return value
}

function pathText (path: readonly PropertyKey[]): string {
  let p = ''
  for (const seg of path) p += typeof seg === 'number' ? `[${seg}]` : (p === '' ? String(seg) : `.${String(seg)}`)
  return p
}

/** Parses and validates config text; throws MW_CONFIG_INVALID listing every problem as `file:line: path: message`. */
export function parseConfig (text: string, file = '<config>', env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0])
      return `${file}:${pos.line}:${pos.col}: YAML: ${e.message.split('\n')[0]}`
    })
    throw new MinewatchError('MW_CONFIG_INVALID', `\n  ${problems.join('\n  ')}`, { details: problems })
  }
  const missing: string[] = []
  const raw = interpolate(doc.toJS(), env, missing, '')
  const result = configSchema.safeParse(raw)
  const problems = missing.map((m) => `${file}: ${m}`)
  if (!result.success) {
    for (const issue of result.error.issues) {
      const node = doc.getIn(issue.path as (string | number)[], true)
      let where = file
      if (isNode(node) && node.range) {
        where += `:${lineCounter.linePos(node.range[0]).line}`
      } else {
        // the path may end at a missing key: point at its parent
        const parent = doc.getIn(issue.path.slice(0, -1) as (string | number)[], true)
        if (isNode(parent) && parent.range) where += `:${lineCounter.linePos(parent.range[0]).line}`
      }
      problems.push(`${where}: ${pathText(issue.path) || '(root)'}: ${issue.message}`)
    }
  }
  if (problems.length > 0) {
    throw new MinewatchError('MW_CONFIG_INVALID', `${problems.length} problem(s):\n  ${problems.join('\n  ')}`, { details: problems })
  }
  const config = result.data!
  const warnings: string[] = []
  if (config.demo) {
    const plain = config.sites.reduce((n, s) => n + s.devices.filter((d) => d.password).length + s.devices.filter((d) => d.hj212?.pw).length, 0) +
      config.accounts.filter((a) => a.password).length + config.api.tokens.filter((t) => t.token).length
    if (plain > 0) warnings.push(`demo config ${file}: ${plain} plain password(s)/token(s) in use; never use a demo config in production`)
  }
  warnings.push(...exposureWarnings(config, file))
  return { config: deepFreeze(config), warnings, file }
}

/** Production settings that expose secrets or traffic: each is logged as a warning at start (the process still starts). */
export function exposureWarnings (config: Config, file: string): string[] {
  if (config.demo) return []
  const out: string[] = []
  const everywhere = (host: string) => host === '0.0.0.0' || host === '::' || host === ''
  if (!config.broker.tls && everywhere(config.broker.host)) {
    out.push(`${file}: broker.tls is not set and broker.host is ${config.broker.host || 'every interface'}: device passwords and readings cross the network in clear (set broker.tls, or bind broker.host to a private interface)`)
  }
  if (config.broker.tls && everywhere(config.broker.host)) {
    out.push(`${file}: the plain MQTT listener still listens on every interface next to TLS; bind broker.host to 127.0.0.1 or a private interface so devices cannot fall back to clear text`)
  }
  if (everywhere(config.api.host)) {
    out.push(`${file}: api.host is ${config.api.host || 'every interface'} and the API speaks plain HTTP: put it behind a TLS-terminating reverse proxy or bind it to a private interface`)
  }
  return out
}

export function loadConfig (file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  if (!existsSync(file)) throw new MinewatchError('MW_CONFIG_NOT_FOUND', file)
  return parseConfig(readFileSync(file, 'utf8'), file, env)
}

/** Freezes an object and everything in it (a loaded config is read-only). */
export function deepFreeze<T> (o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o)
    for (const v of Object.values(o)) deepFreeze(v)
  }
  return o
}
