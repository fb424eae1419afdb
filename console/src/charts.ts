/**
 * Charts with Apache ECharts, tree-shaken to what the console draws (lines, bars and gauges on
 * canvas, echarts-setup.ts) and loaded on first use: ECharts is most of the bundle and nothing
 * of the first screen's live part (map, dust values, devices) needs it, so the page is
 * interactive before it has arrived. A chart made before then keeps its newest option and
 * draws it once ECharts is loaded.
 */
import type { ECharts, EChartsCoreOption } from 'echarts/core'

export type ChartOption = EChartsCoreOption

export const PALETTE = ['#38bdf8', '#a78bfa', '#4ade80', '#facc15', '#f472b6', '#fb923c', '#2dd4bf', '#e879f9']
const TEXT = '#cbd5e1'
const AXIS = '#334155'

let loading: Promise<typeof import('./echarts-setup.js')> | null = null
/** The ECharts module, fetched once (a separate chunk of the build). */
function echartsModule (): Promise<typeof import('./echarts-setup.js')> {
  loading ??= import('./echarts-setup.js').catch((err: unknown) => { loading = null; throw err })
  return loading
}

/** A chart on an element: setOption works at once; ECharts draws when it has loaded. */
export interface Chart { setOption(option: ChartOption, notMerge?: boolean): void }

class LazyChart implements Chart {
  private c: ECharts | null = null
  private pending: { option: ChartOption, notMerge: boolean } | null = null
  disposed = false
  constructor (private readonly el: HTMLElement) {
    echartsModule().then((m) => {
      if (this.disposed) return
      this.c = m.init(this.el)
      observer ??= new ResizeObserver(() => { for (const x of charts) x.resize() })
      observer.observe(this.el)
      if (this.pending) this.c.setOption(this.pending.option, this.pending.notMerge)
      this.pending = null
    }).catch((err: unknown) => { console.warn(err) })
  }

  setOption (option: ChartOption, notMerge = false): void {
    if (this.c) this.c.setOption(option, notMerge)
    else this.pending = { option, notMerge: notMerge || (this.pending?.notMerge ?? false) }
  }

  resize (): void { this.c?.resize() }
  dispose (): void { this.disposed = true; this.c?.dispose(); this.c = null }
}

const charts = new Set<LazyChart>()
let observer: ResizeObserver | null = null

/** A chart on `el`, resized with it; disposed by disposeCharts(). */
export function chart (el: HTMLElement): Chart {
  const c = new LazyChart(el)
  charts.add(c)
  return c
}

export function disposeCharts (): void {
  for (const c of charts) c.dispose()
  charts.clear()
  observer?.disconnect()
  observer = null
}

export interface LineSeries { name: string, points: [number, number][] }

/** Time lines (one per device), with the limit drawn as a dashed red line. */
export function lineOption (series: readonly LineSeries[], opts: { limit?: number, unit?: string, legend?: boolean, from?: number, to?: number, fmtTime: (t: number) => string }): ChartOption {
  return {
    color: PALETTE,
    animation: false,
    grid: { left: 44, right: 12, top: opts.legend ? 26 : 10, bottom: 22 },
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => `${typeof v === 'number' ? v.toFixed(3) : String(v)} ${opts.unit ?? ''}` },
    legend: opts.legend ? { top: 0, textStyle: { color: TEXT, fontSize: 11 }, itemHeight: 8 } : undefined,
    xAxis: { type: 'time', min: opts.from, max: opts.to, axisLine: { lineStyle: { color: AXIS } }, axisLabel: { color: TEXT, fontSize: 11, formatter: (v: number) => opts.fmtTime(v).slice(0, 5) }, splitLine: { show: false } },
    yAxis: { type: 'value', axisLabel: { color: TEXT, fontSize: 11 }, splitLine: { lineStyle: { color: AXIS, type: 'dashed' } }, max: (v: { max: number }) => Math.ceil(Math.max(v.max, opts.limit ?? 0) * 1.15 * 10) / 10 },
    series: series.map((s, i) => ({
      name: s.name,
      type: 'line',
      showSymbol: false,
      lineStyle: { width: 1.6 },
      data: s.points,
      markLine: i === 0 && opts.limit !== undefined
        ? { silent: true, symbol: 'none', lineStyle: { color: '#ef4444', type: 'dashed', width: 1.5 }, label: { color: '#fca5a5', formatter: `${opts.limit}`, position: 'insideEndTop' }, data: [{ yAxis: opts.limit }] }
        : undefined
    }))
  }
}

/** A gauge of a rate (0–1) against its floor: red below the floor, green above. */
export function gaugeOption (rate: number | null, floor: number, label: string): ChartOption {
  return {
    animation: false,
    series: [{
      type: 'gauge', min: 0, max: 100, startAngle: 210, endAngle: -30, radius: '92%', center: ['50%', '58%'],
      axisLine: { lineStyle: { width: 14, color: [[floor, '#ef4444'], [1, '#22c55e']] } },
      pointer: { show: rate !== null, width: 5, itemStyle: { color: '#e2e8f0' } },
      axisTick: { show: false }, splitLine: { length: 10, lineStyle: { color: '#0f172a', width: 2 } },
      axisLabel: { color: TEXT, fontSize: 10, distance: 18 },
      title: { color: TEXT, fontSize: 12, offsetCenter: [0, '72%'] },
      detail: { color: '#f8fafc', fontSize: 26, fontWeight: 'bold', offsetCenter: [0, '38%'], formatter: rate === null ? '—' : '{value}%' },
      data: [{ value: rate === null ? 0 : Math.round(rate * 1000) / 10, name: label }]
    }]
  }
}

/** Horizontal bars: value against a reference (drawn as a marker line). */
export function barsOption (rows: readonly { name: string, value: number, max: number, color?: string, text: string }[]): ChartOption {
  return {
    animation: false,
    grid: { left: 86, right: 90, top: 6, bottom: 6 },
    xAxis: { type: 'value', max: (v: { max: number }) => Math.max(v.max, ...rows.map((r) => r.max)), show: false },
    yAxis: { type: 'category', data: rows.map((r) => r.name), inverse: true, axisLabel: { color: TEXT, fontSize: 12 }, axisLine: { show: false }, axisTick: { show: false } },
    series: [
      { type: 'bar', barWidth: 12, silent: true, barGap: '-100%', itemStyle: { color: '#1e293b', borderRadius: 6 }, data: rows.map((r) => r.max) },
      {
        type: 'bar', barWidth: 12,
        itemStyle: { borderRadius: 6 },
        label: { show: true, position: 'right', color: '#f8fafc', fontSize: 12, formatter: (p: { dataIndex: number }) => rows[p.dataIndex]?.text ?? '' },
        data: rows.map((r) => ({ value: r.value, itemStyle: { color: r.color ?? PALETTE[0] } }))
      }
    ]
  }
}
