// ECharts with only the charts the console draws (bars and a ring), loaded the first time a
// chart is drawn: the console's first paint does not wait for the chart library.
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
