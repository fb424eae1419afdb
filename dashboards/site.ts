/**
 * 矿山一屏: one site on one 1920×1080 screen (the one-screen display 浙自然资函〔2021〕63号 asks
 * for). Per-site thresholds come from the registry as field overrides matched by series
 * name (device id or site id), so one dashboard with a site variable serves every site.
 */
import { DashboardBuilder, CustomVariableBuilder, DashboardLinkBuilder, DashboardLinkType, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import { BigValueColorMode, BigValueGraphMode, BigValueTextMode, GraphThresholdsStyleConfigBuilder, GraphThresholdsStyleMode, VizLegendOptionsBuilder, LegendDisplayMode, LegendPlacement, BarGaugeDisplayMode, VizOrientation, MapLayerOptionsBuilder, FrameGeometrySourceBuilder, FrameGeometrySourceMode, TableCellDisplayMode } from '@grafana/grafana-foundation-sdk/common'
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat'
import { PanelBuilder as GaugePanel } from '@grafana/grafana-foundation-sdk/gauge'
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge'
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries'
import { PanelBuilder as GeomapPanel, MapViewConfigBuilder, ControlsOptionsBuilder, TooltipOptionsBuilder, TooltipMode } from '@grafana/grafana-foundation-sdk/geomap'
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table'
import type { Config } from '../core/config.js'
import { KINDS, type Kind } from '../core/kinds.js'
import { DATASOURCE, influx } from './target.js'
import * as q from './queries.js'
import { at } from './layout.js'
import { UNITS, GREEN, ORANGE, RED, thresholds, byName, byRegexp, exactly, prop, lastNotNull, type Override } from './fields.js'
import { dustLimits, deviceTotals, oreShares, waterMeters } from './site-facts.js'
import { KIND_LABELS, alertMappings } from './labels.js'
import { DASHBOARD_DEFAULTS, GAZETTEER_GEOJSON_PATH, OVERVIEW_UID, SITE_UID, type GenerateOptions } from './options.js'


function dustThresholdOverrides (config: Config, withWarning: boolean): Override[] {
  return config.sites.flatMap((s) => {
    return dustLimits(s).map((l) => {
      const steps: [number, string][] = withWarning ? [[l.warnAt, ORANGE], [l.limit, RED]] : [[l.limit, RED]]
      return byRegexp(exactly(l.devices), [prop.thresholds(GREEN, ...steps)])
    })
  })
}

function dustNow (config: Config): StatPanel {
  return new StatPanel().id(1).title('扬尘实时浓度 TSP').gridPos(at(0, 0, 7, 5))
    .description('每台扬尘监测仪最近 15 分钟内的最新 TSP 值 (mg/m³)。颜色按本矿限值: 达到清除阈值 (未配置时为限值的 80%) 为橙色, 达到限值为红色 (GB 16297-1996 等, 见站点配置)。')
    .datasource(DATASOURCE).withTarget(influx('A', q.dustLatest(), { alias: '$tag_device' }))
    .timeFrom('15m').unit(UNITS.mgPerM3).decimals(3).noValue('无数据')
    .thresholds(thresholds(GREEN))
    .colorMode(BigValueColorMode.Background).graphMode(BigValueGraphMode.None).textMode(BigValueTextMode.ValueAndName)
    .reduceOptions(lastNotNull())
    .overrides(dustThresholdOverrides(config, true))
}

function dustDayExceedances (config: Config): StatPanel {
  const query = q.dustDayExceedances(config, true)
  const p = new StatPanel().id(11).title('本月日均值超标').gridPos(at(7, 0, 3, 5))
    .description('本月 (北京时间) 各日 PM10/PM2.5 日均值超过日均限值 (GB 3095-2012 二级等, 见站点配置) 的监测仪台·日数。日均值按 GB 3095-2012 第 8 条: 每小时至少 45 分钟有效数据 (标记 N/T) 的小时均值, 每日至少 20 个; 与日报和「扬尘超标」日告警按同一规则计算 (core/dust.ts)。当日数据不足 20 小时不计。')
    .datasource(DATASOURCE).timeFrom('now/M').unit(UNITS.count).decimals(0).min(0).noValue(query ? '0' : '未配置日均限值')
    .thresholds(thresholds(GREEN, [1, RED]))
    .colorMode(BigValueColorMode.Value).graphMode(BigValueGraphMode.None).textMode(BigValueTextMode.Value)
    .reduceOptions(lastNotNull())
    .overrides(config.sites.map((s) => byName(s.id, [prop.displayName('本月日均值超标')])))
  return query ? p.withTarget(influx('A', query, { alias: '$tag_site' })) : p
}

function waterToday (config: Config): StatPanel {
  const query = q.waterRate(config, true)
  const p = new StatPanel().id(2).title('今日水循环利用率').gridPos(at(10, 0, 3, 5))
    .description('今日 (北京时间 0 点起) 回用水量 ÷ (回用水量 + 新水取水量 (水重复利用率) 或外排水量 (选矿废水循环利用率, 甘资字〔2023〕11号), 按站点公式)。回用水表按角色 (core/water.ts)。各水表用量按累计流量规则计算 (清零、溢出、倒走后回升; core/water.ts), 与日报和「水循环利用率偏低」日告警为同一数值 (day_facts, 由 minewatch 每 30 秒更新)。低于站点下限显示红色。')
    .datasource(DATASOURCE).timeFrom('now/d')
    .unit(UNITS.percent01).decimals(1).min(0).max(1).noValue(query ? '无数据' : '未配置水表')
    .thresholds(thresholds(RED))
    .colorMode(BigValueColorMode.Background).graphMode(BigValueGraphMode.None).textMode(BigValueTextMode.Value)
    .reduceOptions(lastNotNull())
    .overrides(config.sites.filter((s) => waterMeters(s).returned.length > 0).map((s) =>
      byName(s.id, [prop.displayName('今日水循环利用率'), prop.thresholds(RED, [s.water.floor, GREEN])])))
  return query ? p.withTarget(influx('A', query, { alias: '$tag_site' })) : p
}

function oreToday (config: Config): StatPanel {
  const query = q.oreOutput(config, true)
  const p = new StatPanel().id(3).title('今日产量').gridPos(at(13, 0, 3, 5))
    .description('今日计入产量的计量秤 (有地磅时为地磅, 否则为皮带秤) 净重之和 (t), 与日报和「超能力开采」告警同一规则 (core/ore.ts; day_facts, 由 minewatch 每 30 秒更新)。超过许可规模日均量 × (1 + 月度裕量) 显示橙色。')
    .datasource(DATASOURCE).timeFrom('now/d').unit(UNITS.tonnes).decimals(0).noValue('0')
    .thresholds(thresholds(GREEN))
    .colorMode(BigValueColorMode.Value).graphMode(BigValueGraphMode.None).textMode(BigValueTextMode.Value)
    .reduceOptions(lastNotNull())
    .overrides(config.sites.map((s) => {
      const share = oreShares(s)
      return byName(s.id, [prop.displayName('今日产量'), prop.thresholds(GREEN, [share.day * (1 + share.margin), ORANGE])])
    }))
  return query ? p.withTarget(influx('A', query, { alias: '$tag_site' })) : p
}

function orePeriod (config: Config, id: number, period: 'month' | 'year'): GaugePanel {
  const query = q.oreOutput(config, true)
  const month = period === 'month'
  const p = new GaugePanel().id(id).title(month ? '本月产量 / 月度许可份额' : '本年产量 / 年许可规模')
    .gridPos(at(month ? 16 : 20, 0, 4, 5))
    .description(month
      ? '本月各日产量 (day_facts, core/ore.ts) 之和 (t)。橙色: 达到许可规模的月度份额 (年规模 ÷ 12); 红色: 超出份额的月度裕量 (默认 10%), 即超量预警线。'
      : '本年各日产量 (day_facts, core/ore.ts) 之和 (t)。橙色: 达到年许可规模的 90%; 红色: 超过采矿许可证生产规模 (超能力开采)。')
    .datasource(DATASOURCE).timeFrom(month ? 'now/M' : 'now/y').unit(UNITS.tonnes).decimals(0).min(0).noValue('0')
    .thresholds(thresholds(GREEN)).showThresholdMarkers(true).reduceOptions(lastNotNull())
    .overrides(config.sites.map((s) => {
      const share = oreShares(s)
      const limit = month ? share.month * (1 + share.margin) : share.year
      const warn = month ? share.month : share.year * 0.9
      return byName(s.id, [prop.displayName(month ? '本月产量' : '本年产量'), prop.max(limit * 1.2), prop.thresholds(GREEN, [warn, ORANGE], [limit, RED])])
    }))
  return query ? p.withTarget(influx('A', query, { alias: '$tag_site' })) : p
}

function positions (opts: GenerateOptions): GeomapPanel {
  const coords = (): FrameGeometrySourceBuilder => new FrameGeometrySourceBuilder().mode(FrameGeometrySourceMode.Coords).latitude('lat').longitude('lon')
  const markers = (name: string, refId: string, color: string, symbol: string, size: number): MapLayerOptionsBuilder =>
    new MapLayerOptionsBuilder().type('markers').name(name).location(coords()).tooltip(true)
      .filterData({ id: 'byRefId', options: refId })
      .config({
        showLegend: true,
        style: {
          color: { fixed: color },
          opacity: 0.9,
          size: { fixed: size, min: 2, max: 15 },
          symbol: { fixed: symbol, mode: 'fixed' },
          symbolAlign: { horizontal: 'center', vertical: 'center' },
          rotation: { fixed: 0, min: -360, max: 360, mode: 'mod' }
        }
      })
  // Styles follow the features' properties (API and generated GeoJSON alike): the first matching rule wins.
  const boundary = new MapLayerOptionsBuilder().type('geojson').name('矿区范围与限制区域').tooltip(true)
    .config({
      src: opts.apiUrl ? `${opts.apiUrl}/api/v1/sites/\${site}/boundary.geojson` : GAZETTEER_GEOJSON_PATH,
      style: { color: { fixed: 'orange' }, opacity: 0.15, lineWidth: 2 },
      rules: [
        { check: { property: 'zoneKind', operation: 'eq', value: 'blasting' }, style: { color: { fixed: 'red' }, opacity: 0.35, lineWidth: 2 } },
        { check: { property: 'kind', operation: 'eq', value: 'zone' }, style: { color: { fixed: 'purple' }, opacity: 0.35, lineWidth: 2 } },
        { check: { property: 'kind', operation: 'eq', value: 'site' }, style: { color: { fixed: 'transparent' }, opacity: 0, lineWidth: 0 } }
      ]
    })
  return new GeomapPanel().id(6).title('人员与车辆实时位置').gridPos(at(0, 5, 11, 11))
    .description(`人员 (蓝点) 与车辆 (黄色三角) 最近 5 分钟内的最新定位; 橙色为采矿许可范围, 红色为爆破警戒区, 紫色为其他限制区域 (${opts.apiUrl ? 'minewatch API 提供' : '由站点配置生成'}的 GeoJSON)。地图范围随人员位置。坐标为 CGCS2000/WGS84, 底图不可使用 GCJ-02 瓦片。`)
    .datasource(DATASOURCE).timeFrom('5m')
    .withTarget(influx('A', q.latestPositions('person'), { format: 'table' }))
    .withTarget(influx('B', q.latestPositions('vehicle'), { format: 'table' }))
    // fit to the people, not to every layer: the generated GeoJSON holds every site of the registry
    .view(new MapViewConfigBuilder().id('fit').allLayers(false).layer('人员').padding(10).maxZoom(18))
    .controls(new ControlsOptionsBuilder().showZoom(true).mouseWheelZoom(true).showScale(true).showAttribution(true))
    .basemap(new MapLayerOptionsBuilder().type('default').name('底图'))
    .layers([
      boundary,
      markers('人员', 'A', 'blue', 'img/icons/marker/circle.svg', 5),
      markers('车辆', 'B', 'yellow', 'img/icons/marker/triangle.svg', 9)
    ])
    .tooltip(new TooltipOptionsBuilder().mode(TooltipMode.Details))
}

function dustTrend (config: Config): TimeseriesPanel {
  return new TimeseriesPanel().id(7).title('扬尘浓度趋势 TSP (虚线为限值)').gridPos(at(11, 5, 13, 6))
    .description('每台监测仪按时间间隔的 TSP 均值 (mg/m³); 虚线为本矿 TSP 限值。告警按限值的平均时间窗 (如 1 小时) 判定, 见「当前未关闭告警」。')
    .datasource(DATASOURCE).withTarget(influx('A', q.dustTrend(), { alias: '$tag_device' }))
    .unit(UNITS.mgPerM3).decimals(3).min(0)
    .thresholds(thresholds(GREEN))
    .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed))
    .lineWidth(1).fillOpacity(0).spanNulls(false)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Right).calcs([]))
    .overrides(dustThresholdOverrides(config, false))
}

function devicesOnline (config: Config): BarGaugePanel {
  const p = new BarGaugePanel().id(8).title('设备在线').gridPos(at(11, 11, 13, 5))
    .description('各类设备中在各自上报周期 × 离线倍数 (alerts.offlineFactor) 内有数据的台数, 满格为登记总数。全部在线为绿色, 低于 80% 为红色。离线明细见告警表 (设备离线)。')
    .datasource(DATASOURCE).unit(UNITS.count).decimals(0).min(0)
    .thresholds(thresholds(GREEN))
    .displayMode(BarGaugeDisplayMode.Basic).orientation(VizOrientation.Horizontal).showUnfilled(true)
    .reduceOptions(lastNotNull())
  KINDS.forEach((kind: Kind, i) => {
    p.withTarget(influx(String.fromCharCode(65 + i), q.onlineDevices(config, kind, true), { alias: `${kind} $tag_site` }))
  })
  return p.overrides(config.sites.flatMap((s) => {
    const totals = deviceTotals(s)
    return KINDS.filter((k) => totals[k] > 0).map((k) => byName(`${k} ${s.id}`, [
      prop.displayName(`${KIND_LABELS[k]} (共 ${totals[k]} 台)`),
      prop.max(totals[k]),
      prop.thresholds(RED, [Math.max(1, Math.floor(totals[k] * 0.8)), ORANGE], [totals[k], GREEN])
    ]))
  }))
}

/** Column names after the groupBy transformation (Grafana names aggregated columns "<field> (<calc>)"). */
const FIRST = (f: string): string => `${f} (first)`

function openAlerts (): TablePanel {
  const aggregate = (calc: string) => ({ aggregations: [calc], operation: 'aggregate' })
  return new TablePanel().id(9).title('当前未关闭告警').gridPos(at(0, 16, 12, 9))
    .description('最近 30 天内触发、最新状态不是「已解除」的告警 (每个告警取最新一次状态变化)。数据来自 alert_events。')
    .datasource(DATASOURCE).timeFrom('30d')
    .withTarget(influx('A', q.alertEvents(true, 5000), { format: 'table' }))
    .transformations([
      // rows arrive newest first, so "first" per alertId is its latest transition
      {
        id: 'groupBy',
        options: {
          fields: {
            alertId: { aggregations: [], operation: 'groupby' },
            Time: aggregate('first'),
            kind: aggregate('first'),
            severity: aggregate('first'),
            to: aggregate('first'),
            message: aggregate('firstNotNull'),
            value: aggregate('firstNotNull'),
            limit: aggregate('firstNotNull')
          }
        }
      },
      { id: 'filterByValue', options: { type: 'exclude', match: 'any', filters: [{ fieldName: FIRST(q.STATE_TAG), config: { id: 'equal', options: { value: 'resolved' } } }] } },
      {
        id: 'organize',
        options: {
          excludeByName: { alertId: true },
          indexByName: { [FIRST('Time')]: 0, [FIRST('severity')]: 1, [FIRST('kind')]: 2, [FIRST(q.STATE_TAG)]: 3, 'message (firstNotNull)': 4, 'value (firstNotNull)': 5, 'limit (firstNotNull)': 6 },
          renameByName: { [FIRST('Time')]: '时间', [FIRST('severity')]: '级别', [FIRST('kind')]: '类型', [FIRST(q.STATE_TAG)]: '状态', 'message (firstNotNull)': '内容', 'value (firstNotNull)': '观测值', 'limit (firstNotNull)': '限值' }
        }
      },
      { id: 'sortBy', options: { sort: [{ field: '时间', desc: true }] } }
    ])
    .mappings(alertMappings()).noValue('无未关闭告警')
    .cellOptions({ type: TableCellDisplayMode.ColorText })
    .overrides([byName('时间', [prop.unit(UNITS.dateTime), prop.width(160)]), byName('内容', [prop.cell(TableCellDisplayMode.Auto)])])
}

function alertLog (): TablePanel {
  return new TablePanel().id(10).title('告警事件').gridPos(at(12, 16, 12, 9))
    .description('所选时间范围内本矿的告警状态变化 (触发、确认、解除), 最新在上, 最多 200 条。')
    .datasource(DATASOURCE).withTarget(influx('A', q.alertEvents(true, 200), { format: 'table' }))
    .transformations([{
      id: 'organize',
      options: {
        excludeByName: { alertId: true },
        renameByName: { Time: '时间', kind: '类型', severity: '级别', [q.STATE_TAG]: '状态', message: '内容', value: '观测值', limit: '限值' }
      }
    }])
    .mappings(alertMappings()).noValue('无告警事件')
    .cellOptions({ type: TableCellDisplayMode.ColorText })
    .overrides([byName('时间', [prop.unit(UNITS.dateTime), prop.width(160)]), byName('内容', [prop.cell(TableCellDisplayMode.Auto)])])
}

/** The 矿山一屏 dashboard for every site in `config`. */
export function siteDashboard (config: Config, opts: GenerateOptions): Dashboard {
  const first = config.sites[0]!
  const options = config.sites.map((s) => ({ text: s.name, value: s.id, selected: s.id === first.id }))
  const site = new CustomVariableBuilder('site').label('矿山').allowCustomValue(false)
    .values(config.sites.map((s) => `${s.name.replace(/[,:]/g, ' ')} : ${s.id}`).join(','))
    .current({ text: first.name, value: first.id, selected: true })
    .options(options)
  const b = new DashboardBuilder('矿山一屏').uid(SITE_UID)
    .description('单个矿山的一屏展示: 扬尘、水循环、人员车辆定位、产量、设备在线与告警 (minewatch 生成, 请勿在界面中修改)。')
    .tags(['minewatch', '一屏']).timezone(DASHBOARD_DEFAULTS.timezone).readonly()
    .time({ from: 'now-6h', to: 'now' }).refresh('30s')
    .withVariable(site)
    .link(new DashboardLinkBuilder('监管总览').type(DashboardLinkType.Link).url(`/d/${OVERVIEW_UID}`).icon('dashboard').tooltip('').keepTime(false).includeVars(false).targetBlank(false).asDropdown(false).tags([]))
  const panels = [dustNow(config), dustDayExceedances(config), waterToday(config), oreToday(config), orePeriod(config, 4, 'month'), orePeriod(config, 5, 'year'),
    positions(opts), dustTrend(config), devicesOnline(config), openAlerts(), alertLog()]
  for (const p of panels) b.withPanel(p)
  return b.build()
}
