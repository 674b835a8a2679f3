// Dashboards (统计分析): draws each chart from its JSON block (json_script) with the local ECharts.
// A click on a bar, point or slice opens the list behind it (the point's `url`).
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  const charts = [];
  const narrow = () => window.matchMedia("(max-width: 575.98px)").matches;

  function isEmpty(spec) {
    return !spec.categories.length || spec.series.every((s) => s.data.every((p) => !p.value));
  }

  function items(series) {
    return series.data.map((p) => ({ value: p.value, url: p.url }));
  }

  function base(spec, el) {
    const option = {
      animation: false,
      tooltip: { trigger: spec.kind === "pie" ? "item" : "axis", confine: true,
                 valueFormatter: (v) => (v === undefined || v === null ? "" : v + " " + (spec.unit || "")) },
      legend: { show: spec.series.length > 1, top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: spec.series.length > 1 ? 32 : 12, bottom: 8, containLabel: true },
    };
    if (isEmpty(spec)) {
      option.title = { text: el.dataset.empty || "", left: "center", top: "middle",
                       textStyle: { color: "#999", fontSize: 14, fontWeight: "normal" } };
    }
    return option;
  }

  function build(spec, el) {
    const option = base(spec, el);
    const label = { interval: 0, width: narrow() ? 80 : 140, overflow: "truncate" };
    if (spec.kind === "pie") {
      const s = spec.series[0] || { data: [] };
      option.legend = { show: true, top: 0, type: "scroll" };
      option.series = [{
        type: "pie", radius: narrow() ? ["30%", "60%"] : ["35%", "68%"], top: 24,
        label: { formatter: "{b}\n{c}" },
        data: s.data.map((p, i) => ({ name: spec.categories[i], value: p.value, url: p.url }))
          .filter((d) => d.value > 0),
      }];
      return option;
    }
    const categoryAxis = { type: "category", data: spec.categories, axisLabel: label };
    const valueAxis = { type: "value", minInterval: 1 };
    if (spec.kind === "hbar") {
      option.yAxis = Object.assign({ inverse: true }, categoryAxis);
      option.xAxis = valueAxis;
    } else {
      categoryAxis.axisLabel = { interval: "auto", rotate: narrow() && spec.categories.length > 4 ? 40 : 0,
                                 hideOverlap: true };
      option.xAxis = categoryAxis;
      option.yAxis = valueAxis;
    }
    option.series = spec.series.map((s) => ({
      name: s.name,
      type: s.type === "line" ? "line" : "bar",
      stack: s.stack || undefined,
      itemStyle: s.color ? { color: s.color } : undefined,
      lineStyle: s.color ? { color: s.color } : undefined,
      barMaxWidth: 36,
      symbolSize: 7,
      label: spec.kind === "bar" && spec.series.length === 1 ? { show: true, position: "top" } : undefined,
      data: items(s),
    }));
    return option;
  }

  document.querySelectorAll(".zg-chart[data-source]").forEach((el) => {
    const source = document.getElementById(el.dataset.source);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    if (spec.kind === "hbar") {
      const rows = Math.max(spec.categories.length, 3);
      el.style.height = Math.min(Math.max(rows * 30 + 70, 220), 1200) + "px";
    }
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(build(spec, el));
    chart.on("click", (p) => {
      if (p.data && p.data.url) window.location.href = p.data.url;
    });
    chart.getZr().on("mousemove", (e) => { el.style.cursor = e.target ? "pointer" : "default"; });
    el.dataset.ready = "1";
    charts.push({ chart, spec, el });
  });

  let pending = null;
  function resize() {
    charts.forEach(({ chart, spec, el }) => {
      chart.setOption(build(spec, el), { replaceMerge: ["series"] });
      chart.resize();
    });
  }
  window.addEventListener("resize", () => {
    if (pending) window.clearTimeout(pending);
    pending = window.setTimeout(resize, 150);
  });
  if (typeof ResizeObserver !== "undefined") {
    const observer = new ResizeObserver(() => charts.forEach(({ chart }) => chart.resize()));
    charts.forEach(({ el }) => observer.observe(el));
  }

  // The tables beside the charts start open on wide screens, folded on phones.
  if (window.matchMedia("(min-width: 992px)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach((d) => { d.open = true; });
  }
})();
