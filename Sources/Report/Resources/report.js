// hybrid-run's report page: flame graph, top functions and trace waterfall, drawn from the JSON in
// #report-data with no library and no network request (the page's Content-Security-Policy forbids any).
//
// Data (ReportDocument in Sources/Report): `frames` is the table of function names; each profile is a trie
// of stacks (`nodes`: parent and frame index per node, parents first) with self sample counts per node
// (`baseSelfCounts` too in a diff); an optional `timeline` lists every sample (time, thread, node), which is
// what lets a span show the samples taken inside it. Times are microseconds from the report's origin.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const frames = data.frames;
  const isDiff = !!data.diff;
  const ROW = 18;
  const $ = (id) => document.getElementById(id);

  // ---- formatting -------------------------------------------------------------------------------------
  const integer = (n) => Math.round(n).toLocaleString("en-US");
  const share = (n, total) => (total > 0 ? ((100 * n) / total).toFixed(1) + "%" : "–");
  const points = (d) => (d > 0 ? "+" : "") + d.toFixed(1);
  function duration(nanoseconds) {
    const s = nanoseconds / 1e9;
    if (s >= 1) return s.toFixed(s >= 100 ? 0 : 2) + " s";
    if (s >= 1e-3) return (s * 1e3).toFixed(1) + " ms";
    return (s * 1e6).toFixed(0) + " µs";
  }
  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }

  // ---- the stack trie ---------------------------------------------------------------------------------
  class Trie {
    constructor(profile) {
      const count = profile.nodes.length / 2;
      this.parent = new Int32Array(count);
      this.frame = new Int32Array(count);
      this.depth = new Int32Array(count);
      this.children = Array.from({ length: count }, () => []);
      this.roots = [];
      for (let i = 0; i < count; i++) {
        const parent = profile.nodes[2 * i];
        this.parent[i] = parent;
        this.frame[i] = profile.nodes[2 * i + 1];
        if (parent < 0) this.roots.push(i);
        else {
          this.children[parent].push(i);
          this.depth[i] = this.depth[parent] + 1;
        }
      }
      this.size = count;
    }
    /// Samples in each node's subtree (parents precede children, so one backward pass adds them up).
    totals(selfCounts) {
      const totals = Float64Array.from(selfCounts);
      for (let i = this.size - 1; i >= 0; i--) if (this.parent[i] >= 0) totals[this.parent[i]] += totals[i];
      return totals;
    }
  }

  const profiles = data.profiles.map((profile) => ({ profile, trie: new Trie(profile) }));
  const state = { index: 0, focus: -1, span: null, query: "", sort: null };

  /// Self counts of the current view: the whole profile, or the samples a selected span holds.
  function selectedSelfCounts(entry) {
    const timeline = entry.profile.timeline;
    if (!state.span || !timeline) return entry.profile.selfCounts;
    const counts = new Float64Array(entry.trie.size);
    const span = state.span;
    const threads = entry.profile.threads || [];
    const inProcess = (thread) => {
      if (span.pid != null) return thread.pid === span.pid;
      if (span.processName != null) return thread.process === span.processName;
      return true;
    };
    const allowed = threads.map((thread) => inProcess(thread) && (span.tid == null || thread.tid === span.tid));
    let time = 0;
    for (let i = 0; i < timeline.node.length; i++) {
      time += timeline.time[i];
      if (timeline.spanID && span.spanID) {
        if (timeline.spanID[i] !== span.spanID) continue;
      } else if (time < span.start || time > span.end || !allowed[timeline.thread[i]]) continue;
      counts[timeline.node[i]] += 1;
    }
    return counts;
  }

  // ---- view state derived from the data -----------------------------------------------------------------
  let view = null;
  function computeView() {
    const entry = profiles[state.index];
    const self = selectedSelfCounts(entry);
    const totals = entry.trie.totals(self);
    const grand = entry.trie.roots.reduce((sum, root) => sum + totals[root], 0);
    let base = null;
    if (isDiff) {
      const baseTotals = entry.trie.totals(entry.profile.baseSelfCounts);
      const baseGrand = entry.trie.roots.reduce((sum, root) => sum + baseTotals[root], 0);
      base = { self: entry.profile.baseSelfCounts, totals: baseTotals, grand: baseGrand };
    }
    // The wall view's off-CPU part of each count (`--wall`): blocked or waiting for a CPU.
    const offSelf = entry.profile.offCPUSelfCounts;
    const offCPU = offSelf ? { self: offSelf, totals: entry.trie.totals(offSelf) } : null;
    if (offCPU) offCPU.grand = entry.trie.roots.reduce((sum, root) => sum + offCPU.totals[root], 0);
    view = { entry, trie: entry.trie, self, totals, grand, base, offCPU };
  }

  /// A count of the current view as text: samples, or time where the view counts time (the wall view's µs).
  function amount(count) {
    return view.offCPU ? duration(count * view.entry.profile.sampleWeight) : integer(count);
  }

  /// A frame's change of total share in a diff, in points.
  function delta(node) {
    const base = view.base;
    return (100 * view.totals[node]) / Math.max(1, view.grand) - (100 * base.totals[node]) / Math.max(1, base.grand);
  }

  // ---- colours --------------------------------------------------------------------------------------------
  function hash(text) {
    let h = 2166136261;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
    return (h >>> 0) / 4294967296;
  }
  function colour(node) {
    if (isDiff) {
      const d = delta(node);
      const strength = Math.min(1, Math.abs(d) / 10);
      const lightness = 96 - 46 * strength;
      return d >= 0 ? `hsl(0, 85%, ${lightness}%)` : `hsl(215, 85%, ${lightness}%)`;
    }
    const name = frames[view.trie.frame[node]];
    if (view.trie.depth[node] === 0 && view.entry.profile.rootsAreProcesses) return "hsl(210, 10%, 78%)";
    const h = hash(name);
    return `hsl(${Math.round(10 + 40 * h)}, ${Math.round(75 + 20 * h)}%, ${Math.round(58 + 10 * ((h * 7) % 1))}%)`;
  }

  // ---- flame graph ----------------------------------------------------------------------------------------
  const flame = $("flame");
  function matches(node) {
    return state.query !== "" && frames[view.trie.frame[node]].toLowerCase().includes(state.query);
  }
  function drawFlame() {
    const trie = view.trie;
    const width = flame.clientWidth || 1000;
    const fragment = document.createDocumentFragment();
    let deepest = 0;
    const draw = (node, x, w, ancestor) => {
      const div = element("div", { class: "frame" + (ancestor ? " ancestor" : "") + (matches(node) ? " match" : ""), "data-node": String(node) });
      div.textContent = frames[trie.frame[node]];
      div.style.left = x.toFixed(1) + "px";
      div.style.width = Math.max(1, w).toFixed(1) + "px";
      div.style.top = trie.depth[node] * ROW + "px";
      div.style.background = colour(node);
      fragment.append(div);
      deepest = Math.max(deepest, trie.depth[node]);
    };
    const layout = (node, x, w) => {
      if (w < 0.5 || view.totals[node] <= 0) return;
      draw(node, x, w, false);
      const children = trie.children[node].filter((c) => view.totals[c] > 0).sort((a, b) => view.totals[b] - view.totals[a]);
      let cx = x;
      for (const child of children) {
        const cw = (w * view.totals[child]) / view.totals[node];
        layout(child, cx, cw);
        cx += cw;
      }
    };
    if (state.focus >= 0 && view.totals[state.focus] > 0) {
      for (let a = trie.parent[state.focus]; a >= 0; a = trie.parent[a]) draw(a, 0, width, true);
      layout(state.focus, 0, width);
    } else {
      state.focus = -1;
      let x = 0;
      const roots = trie.roots.filter((r) => view.totals[r] > 0).sort((a, b) => view.totals[b] - view.totals[a]);
      for (const root of roots) {
        const w = (width * view.totals[root]) / Math.max(1, view.grand);
        layout(root, x, w);
        x += w;
      }
    }
    flame.textContent = "";
    flame.style.height = (deepest + 1) * ROW + "px";
    flame.append(fragment);
    $("reset-zoom").disabled = state.focus < 0;
  }

  flame.addEventListener("click", (event) => {
    const target = event.target.closest(".frame");
    if (!target) return;
    state.focus = Number(target.dataset.node);
    drawFlame();
  });

  // ---- tooltip --------------------------------------------------------------------------------------------
  const tooltip = $("tooltip");
  function describe(node) {
    const weight = view.entry.profile.sampleWeight;
    const name = frames[view.trie.frame[node]];
    const total = view.totals[node];
    const self = view.self[node];
    const lines = [];
    if (isDiff) {
      const base = view.base;
      lines.push(`total: BASE ${share(base.totals[node], base.grand)} → NEW ${share(total, view.grand)} (${points(delta(node))} points)`);
      lines.push(`self: BASE ${share(base.self[node], base.grand)} → NEW ${share(self, view.grand)}`);
      lines.push(`samples: BASE ${integer(base.totals[node])} → NEW ${integer(total)}`);
    } else if (view.offCPU) {
      lines.push(`total: ${share(total, view.grand)} · ${duration(total * weight)} · off-CPU ${share(view.offCPU.totals[node], total)}`);
      lines.push(`self: ${share(self, view.grand)} · ${duration(self * weight)} · off-CPU ${share(view.offCPU.self[node], self)}`);
    } else {
      lines.push(`total: ${share(total, view.grand)} · ${integer(total)} samples · ${duration(total * weight)}`);
      lines.push(`self: ${share(self, view.grand)} · ${integer(self)} samples · ${duration(self * weight)}`);
    }
    return { name, lines };
  }
  flame.addEventListener("mousemove", (event) => {
    const target = event.target.closest(".frame");
    if (!target) return (tooltip.hidden = true);
    const { name, lines } = describe(Number(target.dataset.node));
    tooltip.textContent = "";
    tooltip.append(element("b", { text: name }), "\n" + lines.join("\n"));
    tooltip.hidden = false;
    const x = Math.min(event.clientX + 14, window.innerWidth - tooltip.offsetWidth - 8);
    const y = event.clientY + 18 + tooltip.offsetHeight > window.innerHeight ? event.clientY - tooltip.offsetHeight - 8 : event.clientY + 18;
    tooltip.style.left = Math.max(0, x) + "px";
    tooltip.style.top = Math.max(0, y) + "px";
  });
  flame.addEventListener("mouseleave", () => (tooltip.hidden = true));

  // ---- search ---------------------------------------------------------------------------------------------
  function search() {
    const result = $("search-result");
    if (state.query === "") return (result.textContent = "");
    const trie = view.trie;
    const counted = new Uint8Array(trie.size); // a match or under one: its samples are already counted
    let matched = 0;
    const functions = new Set();
    for (let i = 0; i < trie.size; i++) {
      const parent = trie.parent[i];
      const inside = parent >= 0 && counted[parent] === 1;
      if (matches(i)) {
        functions.add(trie.frame[i]);
        if (!inside) matched += view.totals[i];
        counted[i] = 1;
      } else if (inside) counted[i] = 1;
    }
    result.textContent = functions.size === 0
      ? "no match"
      : `matched ${share(matched, view.grand)} of ${view.offCPU ? "wall time" : "samples"} (${amount(matched)} of ${amount(view.grand)}) in ${functions.size} function${functions.size === 1 ? "" : "s"}`;
  }
  $("search").addEventListener("input", (event) => {
    state.query = event.target.value.trim().toLowerCase();
    drawFlame();
    search();
  });
  $("reset-zoom").addEventListener("click", () => {
    state.focus = -1;
    drawFlame();
  });

  // ---- top functions ------------------------------------------------------------------------------------
  /// Self and total samples per function: total counts a sample once however often the function recurs.
  function functionTimes(self, totals) {
    const trie = view.trie;
    const selfByFrame = new Float64Array(frames.length);
    const totalByFrame = new Float64Array(frames.length);
    const onPath = new Int32Array(frames.length);
    const skipRoots = view.entry.profile.rootsAreProcesses;
    const stack = trie.roots.map((root) => [root, false]);
    while (stack.length > 0) {
      const [node, leaving] = stack.pop();
      const frame = trie.frame[node];
      // A root that is a frame itself (`[lost samples]`, no process's) has time of its own and counts.
      const counts = !(skipRoots && trie.depth[node] === 0) || self[node] > 0;
      if (leaving) {
        if (counts) onPath[frame]--;
        continue;
      }
      if (counts) {
        selfByFrame[frame] += self[node];
        if (onPath[frame] === 0) totalByFrame[frame] += totals[node];
        onPath[frame]++;
      }
      stack.push([node, true]);
      for (const child of trie.children[node]) stack.push([child, false]);
    }
    return { self: selfByFrame, total: totalByFrame };
  }

  const runColumns = [
    { title: "function", class: "name", value: (r) => r.name, text: (r) => r.name },
    { title: "self", value: (r) => r.selfSamples, text: (r) => amount(r.selfSamples) },
    { title: "self %", value: (r) => r.selfSamples, text: (r) => share(r.selfSamples, view.grand) },
    { title: "total", value: (r) => r.totalSamples, text: (r) => amount(r.totalSamples) },
    { title: "total %", value: (r) => r.totalSamples, text: (r) => share(r.totalSamples, view.grand) },
  ];
  // The wall view adds how much of each function's wall time (total) was spent off the CPU.
  const wallColumns = runColumns.concat([
    { title: "off-CPU %", value: (r) => r.offCPUTotal / Math.max(1, r.totalSamples), text: (r) => share(r.offCPUTotal, r.totalSamples) },
  ]);
  let columns = isDiff
    ? [
        { title: "function", class: "name", value: (r) => r.name, text: (r) => r.name },
        { title: "self BASE", value: (r) => r.baseSelf, text: (r) => r.baseSelf.toFixed(1) + "%" },
        { title: "self NEW", value: (r) => r.self, text: (r) => r.self.toFixed(1) + "%" },
        { title: "Δ self", value: (r) => r.self - r.baseSelf, text: (r) => points(r.self - r.baseSelf), change: true },
        { title: "total BASE", value: (r) => r.baseTotal, text: (r) => r.baseTotal.toFixed(1) + "%" },
        { title: "total NEW", value: (r) => r.total, text: (r) => r.total.toFixed(1) + "%" },
        { title: "Δ total", value: (r) => r.total - r.baseTotal, text: (r) => points(r.total - r.baseTotal), change: true },
        { title: "samples BASE → NEW", value: (r) => r.totalSamples, text: (r) => `${integer(r.baseTotalSamples)} → ${integer(r.totalSamples)}` },
      ]
    : runColumns;
  state.sort = { column: isDiff ? 6 : 1, descending: true };

  function drawTable() {
    const times = functionTimes(view.self, view.totals);
    const baseTimes = isDiff ? functionTimes(view.base.self, view.base.totals) : null;
    const offCPUTimes = view.offCPU ? functionTimes(view.offCPU.self, view.offCPU.totals) : null;
    if (!isDiff) columns = offCPUTimes ? wallColumns : runColumns;
    if (state.sort.column >= columns.length) state.sort = { column: 1, descending: true };
    const rows = [];
    for (let f = 0; f < frames.length; f++) {
      if (times.total[f] === 0 && !(baseTimes && baseTimes.total[f] > 0)) continue;
      const row = { name: frames[f], selfSamples: times.self[f], totalSamples: times.total[f] };
      if (offCPUTimes) row.offCPUTotal = offCPUTimes.total[f];
      if (isDiff) {
        row.self = (100 * times.self[f]) / Math.max(1, view.grand);
        row.total = (100 * times.total[f]) / Math.max(1, view.grand);
        row.baseSelf = (100 * baseTimes.self[f]) / Math.max(1, view.base.grand);
        row.baseTotal = (100 * baseTimes.total[f]) / Math.max(1, view.base.grand);
        row.baseTotalSamples = baseTimes.total[f];
      }
      rows.push(row);
    }
    const column = columns[state.sort.column];
    const direction = state.sort.descending ? -1 : 1;
    rows.sort((a, b) => {
      const x = column.value(a), y = column.value(b);
      return (x < y ? -1 : x > y ? 1 : 0) * direction || (a.name < b.name ? -1 : 1);
    });
    const table = $("function-table");
    const head = element("tr");
    columns.forEach((c, index) => {
      const th = element("th", { class: c.class || "", text: c.title, "data-column": String(index) });
      if (index === state.sort.column) th.setAttribute("aria-sort", state.sort.descending ? "descending" : "ascending");
      head.append(th);
    });
    table.tHead.replaceChildren(head);
    const body = document.createDocumentFragment();
    for (const row of rows.slice(0, 300)) {
      const tr = element("tr", { "data-function": row.name });
      for (const c of columns) {
        let cls = c.class || "";
        if (c.change) {
          const d = c.value(row);
          cls += d >= 0.05 ? " grew" : d <= -0.05 ? " shrank" : "";
        }
        tr.append(element("td", { class: cls, text: c.text(row) }));
      }
      body.append(tr);
    }
    table.tBodies[0].replaceChildren(body);
  }
  $("function-table").tHead.addEventListener("click", (event) => {
    const th = event.target.closest("th");
    if (!th) return;
    const index = Number(th.dataset.column);
    state.sort = { column: index, descending: state.sort.column === index ? !state.sort.descending : index !== 0 };
    drawTable();
  });
  $("function-table").tBodies[0].addEventListener("click", (event) => {
    const tr = event.target.closest("tr");
    if (!tr) return;
    $("search").value = tr.dataset.function;
    $("search").dispatchEvent(new Event("input"));
    $("profile").scrollIntoView();
  });

  // ---- header -----------------------------------------------------------------------------------------------
  function drawSummary() {
    const summary = $("summary");
    const add = (term, value) => {
      if (value == null || value === "") return;
      summary.append(element("dt", { text: term }), element("dd", {}, value));
    };
    const run = data.run;
    if (run) {
      add("command", run.command.join(" "));
      add("exit status", String(run.exitStatus));
      add("duration", duration(run.durationNanos));
      add("started", run.started);
      add("trace id", run.traceID);
      add("root span id", run.rootSpanID);
      add("service", run.serviceName);
      add("samples", run.samples);
      if (run.links && run.links.length > 0) {
        const links = element("span");
        run.links.forEach((link, i) => {
          if (i > 0) links.append(" · ");
          links.append(element("a", { href: link.url, rel: "noreferrer", text: link.title }));
        });
        add("links", links);
      }
    }
    if (isDiff) {
      add("BASE", `${data.diff.base} (${integer(data.diff.baseSamples)} samples)`);
      add("NEW", `${data.diff.new} (${integer(data.diff.newSamples)} samples)`);
      $("legend").textContent = "Widths are NEW's samples. Colour is the change of each frame's share of all samples (BASE scaled to NEW's total): red grew, blue shrank, white unchanged; hover for the numbers.";
    }
    for (const note of data.notes || []) $("notes").append(element("li", { text: note }));
  }

  function drawTabs() {
    const tabs = $("profile-tabs");
    tabs.textContent = "";
    if (profiles.length < 2) return;
    profiles.forEach((entry, index) => {
      const button = element("button", { type: "button", "aria-pressed": String(index === state.index), text: entry.profile.title });
      button.addEventListener("click", () => {
        state.index = index;
        state.focus = -1;
        refresh();
      });
      tabs.append(button);
    });
  }

  // ---- trace waterfall ------------------------------------------------------------------------------------
  function drawWaterfall() {
    const spans = data.spans || [];
    if (spans.length === 0) return;
    $("trace").hidden = false;
    const byID = new Map(spans.map((span) => [span.spanID, span]));
    const children = new Map();
    const roots = [];
    for (const span of spans) {
      if (span.parentSpanID && byID.has(span.parentSpanID) && span.parentSpanID !== span.spanID) {
        if (!children.has(span.parentSpanID)) children.set(span.parentSpanID, []);
        children.get(span.parentSpanID).push(span);
      } else roots.push(span);
    }
    const ordered = [];
    const visit = (span, depth) => {
      ordered.push([span, depth]);
      for (const child of (children.get(span.spanID) || []).sort((a, b) => a.start - b.start)) visit(child, depth + 1);
    };
    roots.sort((a, b) => a.start - b.start).forEach((root) => visit(root, 0));
    const start = Math.min(...spans.map((s) => s.start));
    const end = Math.max(...spans.map((s) => s.end));
    const range = Math.max(1, end - start);
    const waterfall = $("waterfall");
    for (const [span, depth] of ordered) {
      const label = element("div", { class: "span-name", title: `${span.name} (${span.service})` },
        element("span", { text: "\u00a0\u00a0".repeat(depth) + span.name }), element("span", { class: "span-service", text: span.service }));
      const left = (100 * (span.start - start)) / range;
      const width = (100 * (span.end - span.start)) / range;
      const track = element("div", { class: "span-track" },
        element("div", { class: "span-bar" + (span.error ? " error" : ""), style: `left:${left}%;width:${width}%` }),
        element("span", { class: "span-duration", style: `left:${Math.min(left + width, 92)}%`, text: duration((span.end - span.start) * 1000) }));
      const row = element("div", { class: "span-row", "data-span": span.spanID }, label, track);
      row.addEventListener("click", () => selectSpan(state.span === span ? null : span));
      waterfall.append(row);
    }
  }

  function selectSpan(span) {
    state.span = span;
    state.focus = -1;
    for (const row of document.querySelectorAll(".span-row")) row.classList.toggle("selected", span != null && row.dataset.span === span.spanID);
    $("whole-run").hidden = span == null;
    refresh();
  }
  $("whole-run").addEventListener("click", () => selectSpan(null));

  // ---- putting it together --------------------------------------------------------------------------------
  function refresh() {
    computeView();
    const entry = view.entry;
    let title = isDiff ? "Differential flame graph" : `Flame graph: ${entry.profile.title}`;
    if (state.span) {
      title += entry.profile.timeline
        ? ` of span “${state.span.name}” (${integer(view.grand)} samples)`
        : ` (this profile has no per-sample times: the whole run is shown, not span “${state.span.name}”)`;
    } else if (view.offCPU) {
      title += ` (${duration(view.grand * entry.profile.sampleWeight)}, ${share(view.offCPU.grand, view.grand)} off the CPU)`;
    } else if (!isDiff) title += ` (${integer(view.grand)} samples)`;
    $("flame-title").textContent = title;
    if (!isDiff) {
      $("legend").textContent = view.offCPU
        ? "Widths are wall time: on the CPU, and off it (blocked in a system call, a lock, a sleep, or waiting for a CPU) at the stack the thread waited in; hover a frame for its off-CPU share."
        : "";
    }
    drawTabs();
    drawFlame();
    search();
    drawTable();
  }

  drawSummary();
  drawWaterfall();
  refresh();
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(drawFlame, 100);
  });
})();
