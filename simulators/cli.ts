/**
 * `minewatch simulate --broker mqtt://… [--config config/demo.yaml] [--sites a,b]
 *   [--scenario normal-day] [--seed 1] [--speed 1|max] [--duration 10m] [--start now-24h|RFC3339]`
 * Publishes a scenario's messages to any MQTT broker, one connection per device,
 * printing progress every 5 s. Exit code 0 when every good message was acknowledged; 3 when
 * another client (e.g. `minewatch up --simulate`) runs the same devices with the same client ids.
 * Default start: the scenario's default start for a run ending when the wall clock
 * does (now + duration ÷ speed): readings are never stamped ahead of the wall clock,
 * at speed 1 the run starts now, at --speed max it ends now.
 */
import { parseArgs } from 'node:util'
import { loadConfig } from '../core/config.js'
import { demoConfigFile } from '../core/package.js'
import { Registry } from '../core/registry.js'
import { isMinewatchError } from '../core/errors.js'
import { MAX_FUTURE_MS } from '../core/readings.js'
import { MqttPublisher } from './mqtt-publisher.js'
import { Hj212Publisher, routingPublisher, withoutHj212Devices } from './hj212-publisher.js'
import { prepareRun } from './prepare.js'
import { runSimulation, type RunProgress } from './run.js'
import { parseDuration, parseStart } from './duration.js'
import { SCENARIOS, scenario as scenarioByName } from './scenarios/index.js'

export const SIMULATE_USAGE = `usage: minewatch simulate --broker mqtt://host:port [options]
  --config F       configuration with the sites and demo passwords (default: the demo config shipped with minewatch)
  --sites a,b      site ids to simulate (default: all)
  --scenario S     ${SCENARIOS.map((s) => s.name).join(' | ')} (default normal-day)
  --seed N         random seed: same seed, same messages (default 1)
  --speed X        simulated seconds per real second, or max (default 1)
  --duration D     simulated duration, e.g. 90s, 10m, 2h, 1d (default: the scenario's)
  --start T        simulated start: now, now-24h or RFC 3339 (default: the simulated clock
                   reaches the wall clock as the run ends; at speed 1 it starts now)
  --hj212 H:P      send the HJ 212 devices' data as HJ 212 frames to the gateway at host:port
                   (minewatch up --hj212-port); without it those devices are left out`

/** Runs the simulate command; returns the process exit code. */
export async function simulateCommand (argv: string[], out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        broker: { type: 'string' },
        config: { type: 'string', default: demoConfigFile },
        sites: { type: 'string' },
        scenario: { type: 'string', default: 'normal-day' },
        seed: { type: 'string', default: '1' },
        speed: { type: 'string', default: '1' },
        duration: { type: 'string' },
        start: { type: 'string' },
        hj212: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false }
      },
      strict: true
    }).values
  } catch (err) {
    out(`simulate: ${(err as Error).message}\n${SIMULATE_USAGE}`)
    return 1
  }
  if (values.help) { out(SIMULATE_USAGE); return 0 }
  try {
    if (!values.broker) throw new Error('--broker is required')
    const seed = Number(values.seed)
    if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got '${values.seed}'`)
    const speed = values.speed === 'max' ? Infinity : Number(values.speed)
    if (!(speed > 0)) throw new Error(`--speed must be a positive number or max, got '${values.speed}'`)
    const { config, warnings } = loadConfig(values.config)
    for (const w of warnings) out(`warning: ${w}`)
    const hj212 = values.hj212 !== undefined ? hostPort(values.hj212, '--hj212') : undefined
    const hj212Devices = config.sites.reduce((n, s) => n + s.devices.filter((d) => d.hj212 !== undefined).length, 0)
    if (!hj212 && hj212Devices > 0) out(`leaving out ${hj212Devices} HJ 212 device(s): give --hj212 host:port to send their frames to a gateway`)
    const registry = new Registry(hj212 ? config : withoutHj212Devices(config))
    const now = Date.now()
    const durationMs = values.duration ? parseDuration(values.duration) : undefined
    // the run ends, in wall time, duration ÷ speed from now: a default start ending the simulated
    // clock there keeps every reading at or before the wall clock, and at speed 1 starts now
    const endsAt = (d: number) => now + (Number.isFinite(speed) ? d / speed : 0)
    const run = prepareRun({
      registry,
      scenario: values.scenario,
      sites: values.sites ? values.sites.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
      seed,
      durationMs,
      start: values.start ? parseStart(values.start, now) : undefined,
      now: endsAt(durationMs ?? scenarioDuration(values.scenario))
    })
    const sites = run.sim.sites.map((s) => s.id)
    const missing = MqttPublisher.missingPasswords(registry, sites).filter((id) => !Hj212Publisher.handles(registry, id))
    if (missing.length > 0) throw new Error(`devices without a plain (demo) password cannot be simulated: ${missing.slice(0, 10).join(', ')}`)
    out(`scenario ${run.scenario.name}: ${run.plan.summary}`)
    out(`sites ${sites.join(', ')} · seed ${seed} · speed ${values.speed} · ${new Date(run.start).toISOString()} → ${new Date(run.end).toISOString()}`)
    if (run.plan.expectedAlerts.length > 0) out(`expected alerts: ${run.plan.expectedAlerts.map((a) => `${a.kind}@${a.site}${a.device ? '/' + a.device : ''}${a.subject && a.subject !== a.device ? ' ' + a.subject : ''}`).join(', ')}`)
    let connErrors = 0
    const abort = new AbortController()
    let conflict: string | undefined
    const mqtt = new MqttPublisher({
      brokerUrl: values.broker,
      registry,
      onError: (device, err) => { if (connErrors++ < 5) out(`connection error ${device}: ${err.message}`) },
      onTakenOver: (device) => {
        if (conflict !== undefined) return
        conflict = device
        out(`simulate: refusing to run: another client keeps connecting as device ${device} with the same client id, and each connection takes the other over ` +
          '(is `minewatch up --simulate` running against this broker?). Stop that simulator, or run `minewatch up` without --simulate, or simulate --sites it does not run.')
        abort.abort()
      }
    })
    const publisher = routingPublisher(registry, mqtt, hj212)
    const onSignal = () => abort.abort()
    process.once('SIGINT', onSignal)
    let firstError: string | undefined
    try {
      const result = await runSimulation({
        sim: run.sim,
        publisher,
        end: run.end,
        speed,
        maxAheadMs: MAX_FUTURE_MS - 60_000, // a minute inside ingest's future limit
        signal: abort.signal,
        onProgress: (p) => out(progressLine(p)),
        onError: (err) => { firstError ??= (err as Error).message }
      })
      out(`done: ${result.acked}/${result.sent} messages acknowledged (${result.readingsAcked} readings), ${result.errors} errors, ${result.badRefused}/${result.badSent} bad messages refused, ${(result.wallMs / 1000).toFixed(1)} s`)
      if (firstError) out(`first error: ${firstError}`)
      if (conflict !== undefined) return 3
      return result.errors === 0 && !abort.signal.aborted ? 0 : 1
    } finally {
      process.off('SIGINT', onSignal)
      await publisher.close()
    }
  } catch (err) {
    out(`simulate: ${isMinewatchError(err) ? err.message : (err as Error).message}`)
    return 1
  }
}

function hostPort (value: string, flag: string): { host: string, port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(value)
  const port = m ? Number(m[2]) : NaN
  if (!m || !(port > 0 && port < 65536)) throw new Error(`${flag} must be host:port, got '${value}'`)
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port }
}

function scenarioDuration (name: string): number {
  return scenarioByName(name).durationMs
}

function progressLine (p: RunProgress): string {
  return `${new Date(p.simTime).toISOString()} · ${p.rate.toFixed(0)} msg/s · sent ${p.sent} · acknowledged ${p.acked} · errors ${p.errors}` +
    (p.badSent > 0 ? ` · bad ${p.badSent} (refused ${p.badRefused})` : '')
}
