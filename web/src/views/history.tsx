// History: openMosixanalyzer (load and memory of every node and of the cluster over time, marks
// as vertical lines, a button to add one) and openMosixhistory (the process list at a past
// moment). Fed by the collector, which runs on one node; elsewhere the server says so (404).
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, type ActionResult, type Collector, type LoadHistory, type Processes, type Series } from '../api';
import { ResultLine, bytes, time } from '../ui';
import { ErrorsLine, ProcTable } from './procs';

const RANGES: [string, number][] = [['5 min', 5 * 60e3], ['1 h', 3600e3], ['12 h', 12 * 3600e3]];
const COLORS = ['#2d5fa8', '#c0392b', '#27ae60', '#8e44ad', '#d35400', '#16a085', '#7f8c8d', '#b7950b'];

function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60e3);
  return d.toISOString().slice(0, 19);
}
const fromLocalInput = (s: string) => new Date(s).getTime();

export function HistoryView() {
  const [collector, setCollector] = useState<Collector | null>(null);
  const [missing, setMissing] = useState<string | null>(null);
  const [range, setRange] = useState<number | 'custom'>(5 * 60e3);
  const [custom, setCustom] = useState<{ from: number; to: number }>(() => ({ from: Date.now() - 3600e3, to: Date.now() }));
  const [live, setLive] = useState(true);
  const [data, setData] = useState<LoadHistory | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [label, setLabel] = useState('');
  const [markResult, setMarkResult] = useState<ActionResult | null>(null);

  useEffect(() => {
    api.collector().then((r) => {
      if (r.ok) { setCollector(r.data); setMissing(null); } else setMissing(r.error);
    });
  }, [tick]);

  useEffect(() => {
    if (missing) return;
    const now = Date.now();
    const [from, to] = range === 'custom' ? [custom.from, custom.to] : [now - range, now];
    api.loadHistory(from, to).then((r) => {
      if (r.ok) { setData(r.data); setError(null); } else setError(r.error);
    });
  }, [range, custom, tick, missing]);

  useEffect(() => {
    if (!live || range === 'custom') return;
    const t = setInterval(() => setTick((x) => x + 1), 5000);
    return () => clearInterval(t);
  }, [live, range]);

  if (missing) {
    return <div class="history-view"><div class="result error" role="alert" data-testid="no-collector"><p>{missing}</p></div>
      <p class="hint">The history is kept by the collector, which runs on one node of the cluster: open that node's dashboard.</p></div>;
  }

  const addMark = async () => {
    const r = await api.mark(label.trim());
    setMarkResult(r);
    if (r.ok) { setLabel(''); setTick((x) => x + 1); }
  };

  return (
    <div class="history-view">
      <div class="toolbar">
        <span>range</span>
        {RANGES.map(([name, ms]) => (
          <button key={name} class={range === ms ? 'on' : ''} data-range={name} onClick={() => setRange(ms)}>{name}</button>
        ))}
        <button class={range === 'custom' ? 'on' : ''} data-range="custom" onClick={() => setRange('custom')}>custom</button>
        {range === 'custom' && (
          <span class="custom">
            <input type="datetime-local" step={1} value={toLocalInput(custom.from)} aria-label="from"
              onChange={(e) => setCustom({ ...custom, from: fromLocalInput((e.target as HTMLInputElement).value) })} />
            –
            <input type="datetime-local" step={1} value={toLocalInput(custom.to)} aria-label="to"
              onChange={(e) => setCustom({ ...custom, to: fromLocalInput((e.target as HTMLInputElement).value) })} />
          </span>
        )}
        <label><input type="checkbox" checked={live} disabled={range === 'custom'}
          onChange={(e) => setLive((e.target as HTMLInputElement).checked)} /> live</label>
        <button data-act="refresh" onClick={() => setTick((x) => x + 1)}>refresh</button>
        <span class="sep" />
        <input type="text" placeholder="mark label" value={label} maxLength={200} aria-label="mark label"
          onInput={(e) => setLabel((e.target as HTMLInputElement).value)} />
        <button data-act="mark" onClick={addMark}>add mark</button>
      </div>
      <ResultLine result={markResult && !markResult.ok ? markResult : null} />
      {collector && <p class="hint">collector on node {collector.node} · a sample every {((collector.interval_ms ?? 0) / 1000).toFixed(1)} s ·
        {' '}{collector.samples ?? 0} samples from {time(collector.first)} to {time(collector.last)}</p>}
      {error && <div class="result error" role="alert"><p>{error}</p></div>}
      {data && <>
        <h2>load <small>(100 = one standard CPU busy)</small></h2>
        <Chart data={data} field="load" testid="chart-load" />
        <h2>memory used</h2>
        <Chart data={data} field="mem_used" testid="chart-mem" />
        <Stats data={data} />
      </>}
      <PastProcesses collector={collector} />
    </div>
  );
}

function Chart(props: { data: LoadHistory; field: 'load' | 'mem_used'; testid: string }) {
  const box = useRef<HTMLDivElement>(null);
  const d = props.data;
  const all: Series[] = [...(d.nodes ?? []), ...(d.cluster ? [d.cluster] : [])];
  const base = d.cluster?.t ?? d.nodes?.[0]?.t ?? [];
  const points = (d.cluster?.[props.field] ?? []).filter((v) => v !== null && v !== undefined).length;

  useEffect(() => {
    if (!box.current) return;
    // Every series on the cluster series' time base (they share the buckets).
    const xs = base.map((t) => t / 1000);
    const cols: (number | null)[][] = all.map((s) => {
      const byT = new Map<number, number | null>();
      (s.t ?? []).forEach((t, i) => byT.set(t, s[props.field]?.[i] ?? null));
      return base.map((t) => byT.get(t) ?? null);
    });
    const marks = d.marks ?? [];
    const fmt = props.field === 'load' ? (v: number) => `${Math.round(v)}` : (v: number) => bytes(v);
    const opts: uPlot.Options = {
      width: Math.max(300, box.current.clientWidth || 800),
      height: 240,
      scales: { x: { time: true, range: [(d.from ?? base[0] ?? 0) / 1000, (d.to ?? base[base.length - 1] ?? 1) / 1000] } },
      axes: [{}, { values: (_u, vals) => vals.map((v) => (v === null ? '' : fmt(v))), size: 70 }],
      series: [
        {},
        ...all.map((s, i) => ({
          label: s.node === undefined ? 'cluster' : `node ${s.node}`,
          stroke: s.node === undefined ? '#111' : COLORS[i % COLORS.length],
          width: s.node === undefined ? 2 : 1.5,
          dash: s.node === undefined ? [6, 3] : undefined,
          spanGaps: false,
          points: { show: base.length < 60 },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : fmt(v)),
        })),
      ],
      hooks: {
        draw: [(u: uPlot) => {
          // checkpoints: blue vertical lines with their label
          const ctx = u.ctx;
          ctx.save();
          ctx.setLineDash([]);
          ctx.strokeStyle = '#1f5fd6';
          ctx.fillStyle = '#1f5fd6';
          ctx.lineWidth = 1.5 * devicePixelRatio;
          ctx.font = `${11 * devicePixelRatio}px sans-serif`;
          for (const m of marks) {
            if (m.t === undefined) continue;
            const x = u.valToPos(m.t / 1000, 'x', true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            if (m.label) ctx.fillText(m.label, x + 3 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
          }
          ctx.restore();
        }],
      },
    };
    const u = new uPlot(opts, [xs, ...cols] as uPlot.AlignedData, box.current);
    return () => u.destroy();
  }, [d, props.field]);

  return <div class="chart" ref={box} data-testid={props.testid} data-points={points} data-marks={d.marks?.length ?? 0} />;
}

/** openMosixanalyzer's "Find-out": each node's averages over the range shown. */
function Stats(props: { data: LoadHistory }) {
  const all: Series[] = [...(props.data.nodes ?? []), ...(props.data.cluster ? [props.data.cluster] : [])];
  const nums = (a?: (number | null)[]) => (a ?? []).filter((v): v is number => v !== null && v !== undefined);
  const avg = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : null);
  const f = (v: number | null, g: (v: number) => string) => (v === null ? '–' : g(v));
  return (
    <table class="stats" data-testid="history-stats">
      <thead><tr><th></th><th>load avg</th><th>load max</th><th>memory avg</th><th>up</th></tr></thead>
      <tbody>
        {all.map((s) => {
          const load = nums(s.load);
          const up = avg(nums(s.up));
          return (
            <tr key={s.node ?? 'cluster'} data-node={s.node ?? 'cluster'}>
              <td>{s.node === undefined ? 'cluster' : `node ${s.node}`}</td>
              <td class="num">{f(avg(load), (v) => v.toFixed(0))}</td>
              <td class="num">{f(load.length ? Math.max(...load) : null, (v) => v.toFixed(0))}</td>
              <td class="num">{f(avg(nums(s.mem_used)), bytes)}</td>
              <td class="num">{f(up, (v) => `${(100 * v).toFixed(0)} %`)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** openMosixhistory: pick a moment, see the process list then. */
function PastProcesses(props: { collector: Collector | null }) {
  const c = props.collector;
  const first = c?.first ?? null;
  const last = c?.last ?? null;
  const [at, setAt] = useState<number | null>(null);
  const [snap, setSnap] = useState<Processes | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (at === null) return;
    api.processesAt(at).then((r) => {
      if (r.ok) { setSnap(r.data); setError(null); } else { setSnap(null); setError(r.error); }
    });
  }, [at]);
  if (first === null || last === null) return <p class="empty">no samples collected yet</p>;
  const v = at ?? last;
  return (
    <section class="past">
      <h2>processes at a past moment</h2>
      <div class="toolbar">
        <input type="range" class="at-slider" min={first} max={Math.max(last, first + 1)} step={1000} value={v} aria-label="moment"
          onChange={(e) => setAt(Number((e.target as HTMLInputElement).value))} />
        <input type="datetime-local" step={1} value={toLocalInput(v)} aria-label="moment (time)"
          onChange={(e) => setAt(fromLocalInput((e.target as HTMLInputElement).value))} />
        <button data-act="show-at" onClick={() => setAt(v)}>show</button>
      </div>
      {error && <div class="result error" role="alert"><p>{error}</p></div>}
      {snap && <>
        <p class="hint" data-testid="snapshot-time" data-time={snap.time}>snapshot of {time(snap.time)}</p>
        <ErrorsLine errors={snap.errors} />
        <ProcTable procs={snap.processes} testid="past-procs" />
      </>}
    </section>
  );
}
