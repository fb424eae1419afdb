/** Apache ECharts, tree-shaken to what the console draws: lines, bars and gauges on canvas (loaded on first use by charts.ts). */
import * as echarts from 'echarts/core'
import { LineChart, BarChart, GaugeChart } from 'echarts/charts'
import { GridComponent, TooltipComponent, LegendComponent, MarkLineComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([LineChart, BarChart, GaugeChart, GridComponent, TooltipComponent, LegendComponent, MarkLineComponent, CanvasRenderer])

export function init (el: HTMLElement): echarts.ECharts {
  return echarts.init(el, null, { renderer: 'canvas' })
}
