/** Prometheus metrics of the HJ 212 gateway, registered on minewatch's registry (GET /metrics). */
import { Counter, Gauge, type Registry } from 'prom-client'

export function createHj212Metrics (registry: Registry) {
  const r = [registry]
  return {
    connections: new Gauge({ name: 'minewatch_hj212_connections', help: 'Open HJ 212 TCP connections', registers: r }),
    connectionsClosed: new Counter({ name: 'minewatch_hj212_connections_closed_total', help: 'HJ 212 connections closed by the gateway, by reason', labelNames: ['reason'], registers: r }),
    frames: new Counter({ name: 'minewatch_hj212_frames_total', help: 'HJ 212 frames received, by command and outcome (ok or a reject reason)', labelNames: ['cn', 'outcome'], registers: r }),
    quirks: new Counter({ name: 'minewatch_hj212_quirks_total', help: 'Frames accepted under a per-device tolerance, by quirk', labelNames: ['device', 'quirk'], registers: r }),
    acks: new Counter({ name: 'minewatch_hj212_acks_total', help: '9014 data acknowledgements sent (each after its readings were durable)', registers: r }),
    commands: new Counter({ name: 'minewatch_hj212_commands_total', help: 'Commands sent to devices, by CN and result', labelNames: ['cn', 'result'], registers: r })
  }
}

export type Hj212Metrics = ReturnType<typeof createHj212Metrics>
