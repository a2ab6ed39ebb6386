// ECharts with only the charts the officials' mini-apps draw (bars and rings), loaded the first
// time a chart is drawn: a page's first paint does not wait for the chart library. Shared by the
// policy console and 政务督查, whose packages depend on echarts.
import * as echarts from "echarts/core";
import { BarChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export type Chart = echarts.ECharts;

/** A chart drawn in `element`. */
export function chartIn(element: HTMLElement): Chart {
  return echarts.init(element);
}
