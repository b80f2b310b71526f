// The console's charts: Apache ECharts from npm, only the parts the dashboard draws (line
// and bar, grid, tooltip, legend, dataset, aria), drawn as SVG. Bundled by esbuild into
// public/vendor/charts.js (`make vendor`), served by the app itself. The wasm pages call
// `window.MealQuestCharts.draw(element, optionJson)`.
import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import {
  AriaComponent,
  DatasetComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
} from "echarts/components";
import { SVGRenderer } from "echarts/renderers";

echarts.use([
  BarChart,
  LineChart,
  AriaComponent,
  DatasetComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  SVGRenderer,
]);

const observed = new WeakMap();

window.MealQuestCharts = {
  // Draws (or redraws, merging) the chart of `element` from its ECharts option as JSON.
  draw(element, optionJson) {
    let chart = echarts.getInstanceByDom(element);
    if (!chart) {
      chart = echarts.init(element, null, { renderer: "svg" });
      const resize = new ResizeObserver(() => chart.resize());
      resize.observe(element);
      observed.set(element, resize);
    }
    chart.setOption(JSON.parse(optionJson));
  },
  // Lets the chart of `element` go (its page is leaving).
  dispose(element) {
    observed.get(element)?.disconnect();
    observed.delete(element);
    echarts.getInstanceByDom(element)?.dispose();
  },
};
