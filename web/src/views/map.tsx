// Migration map: openMosixmigmon. Nodes on a circle, each process a small square around the
// node it runs on; a migrated one is green with a line to its home node. Drag a square onto a
// node to migrate it there; double-click to send it home. Pointer events (mouse, pen, touch).
import { useRef, useState } from 'preact/hooks';
import { api, procKey, type ActionResult, type Cluster, type Process, type Processes } from '../api';
import { ResultLine } from '../ui';

const W = 800;
const H = 600;
const R = 220;        // the circle of nodes
const NODE_R = 34;    // a node's disc
const SQ = 12;        // a process's square
const DROP_R = 60;    // how near a node a drop counts

interface Pt { x: number; y: number }

function nodePos(i: number, n: number): Pt {
  const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, n);
  return { x: W / 2 + R * Math.cos(a), y: H / 2 + R * Math.sin(a) };
}

/** The k-th process around a node: rings of 12, 16, 20... outside the disc. */
function procPos(c: Pt, k: number): Pt {
  let ring = 0;
  let cap = 12;
  while (k >= cap) { k -= cap; ring++; cap += 4; }
  const r = NODE_R + 16 + ring * 16;
  const a = -Math.PI / 2 + (2 * Math.PI * k) / cap;
  return { x: c.x + r * Math.cos(a), y: c.y + r * Math.sin(a) };
}

export function MapView(props: { cluster?: Cluster; processes?: Processes; canAct: boolean; onChanged: () => void }) {
  const svg = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<{ key: string; start: Pt; at: Pt; moved: boolean } | null>(null);
  const [tip, setTip] = useState<{ p: Process; x: number; y: number } | null>(null);
  const [result, setResult] = useState<ActionResult | null>(null);
  const [pending, setPending] = useState<string | null>(null);
  const [hoverNode, setHoverNode] = useState<number | null>(null);

  const nodes = props.cluster?.nodes ?? [];
  const procs = (props.processes?.processes ?? []).filter((p) => !p.guest)
    .sort((a, b) => a.home - b.home || a.home_pid - b.home_pid);
  const pos = new Map<number, Pt>(nodes.map((n, i) => [n.id, nodePos(i, nodes.length)]));

  const toSvg = (e: PointerEvent | MouseEvent): Pt => {
    const m = svg.current?.getScreenCTM();
    if (!m) return { x: 0, y: 0 };
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  };
  const nodeAt = (p: Pt): number | null => {
    let best: number | null = null;
    let bd = DROP_R;
    for (const [id, c] of pos) {
      const d = Math.hypot(c.x - p.x, c.y - p.y);
      if (d < bd) { bd = d; best = id; }
    }
    return best;
  };
  const act = async (p: Process, to: number | 'home') => {
    setPending(procKey(p));
    setResult(null);
    const r = await api.migrate(p, to);
    setResult(r.ok ? { ok: true, output: `${p.comm ?? ''} ${procKey(p)} → ${to}` } : r);
    setPending(null);
    props.onChanged();
  };

  const onDown = (e: PointerEvent, p: Process) => {
    if (e.button !== 0) return;
    e.preventDefault();
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
    const at = toSvg(e);
    setDrag({ key: procKey(p), start: at, at, moved: false });
    setTip(null);
  };
  const onMove = (e: PointerEvent) => {
    if (!drag) return;
    const at = toSvg(e);
    const moved = drag.moved || Math.hypot(at.x - drag.start.x, at.y - drag.start.y) > 5;
    setDrag({ ...drag, at, moved });
    setHoverNode(moved ? nodeAt(at) : null);
  };
  const onUp = (e: PointerEvent) => {
    if (!drag) return;
    const d = drag;
    setDrag(null);
    setHoverNode(null);
    if (!d.moved) return;
    const p = procs.find((x) => procKey(x) === d.key);
    const to = nodeAt(toSvg(e));
    if (p && to !== null && to !== p.where && props.canAct) act(p, to);
  };

  // Processes per node they run on, in a stable order.
  const onNode = new Map<number, Process[]>();
  for (const p of procs) {
    if (!onNode.has(p.where)) onNode.set(p.where, []);
    onNode.get(p.where)!.push(p);
  }
  const placed: { p: Process; at: Pt }[] = [];
  for (const [id, list] of onNode) {
    const c = pos.get(id);
    if (!c) continue;
    list.forEach((p, k) => placed.push({ p, at: procPos(c, k) }));
  }

  return (
    <div class="map-view">
      <svg ref={svg} viewBox={`0 0 ${W} ${H}`} class="migmon" data-testid="map"
        onPointerMove={onMove as any} onPointerUp={onUp as any} onPointerCancel={() => setDrag(null)}>
        {placed.filter(({ p }) => p.where !== p.home && pos.has(p.home)).map(({ p, at }) => {
          const h = pos.get(p.home)!;
          return <line key={`l${procKey(p)}`} class="homeline" data-line={procKey(p)} x1={h.x} y1={h.y} x2={at.x} y2={at.y} />;
        })}
        {nodes.map((n) => {
          const c = pos.get(n.id)!;
          return (
            <g key={n.id} class={`mnode ${n.up ? 'up' : 'down'} ${hoverNode === n.id ? 'target' : ''}`} data-node={n.id}
              transform={`translate(${c.x},${c.y})`}>
              <circle r={NODE_R} />
              <text class="nid" y={-4}>{n.id}</text>
              <text class="nload" y={12}>{n.up ? `load ${n.load ?? 0}` : 'down'}</text>
              <text class="naddr" y={NODE_R + 14 + 3 * 16 + 10}>{n.addr}</text>
            </g>
          );
        })}
        {placed.map(({ p, at }) => {
          const k = procKey(p);
          const dragging = drag?.key === k && drag.moved;
          const q = dragging ? drag!.at : at;
          return (
            <rect key={k} data-proc={k} data-where={p.where}
              class={`mproc ${p.where !== p.home ? 'migrated' : ''} ${p.lock ? 'locked' : ''} ${pending === k ? 'pending' : ''} ${dragging ? 'dragging' : ''}`}
              x={q.x - SQ / 2} y={q.y - SQ / 2} width={SQ} height={SQ}
              onPointerDown={(e) => onDown(e as unknown as PointerEvent, p)}
              onDblClick={() => props.canAct && act(p, 'home')}
              onPointerEnter={(e) => !drag && setTip({ p, x: (e as MouseEvent).clientX, y: (e as MouseEvent).clientY })}
              onPointerLeave={() => setTip(null)}>
            </rect>
          );
        })}
      </svg>
      {tip && (
        <div class="tooltip" data-testid="tooltip" style={{ left: `${tip.x + 14}px`, top: `${tip.y + 10}px` }}>
          <b>pid {tip.p.home_pid}</b> (home {tip.p.home}{tip.p.where !== tip.p.home ? `, on ${tip.p.where}` : ''})<br />
          {tip.p.cmdline || tip.p.comm}<br />user {tip.p.user ?? tip.p.uid}
        </div>
      )}
      <p class="hint">drag a process onto a node to migrate it there · double-click it to send it home ·
        <span class="legend migrated"> green</span> = migrated (line to its home) · {procs.length} processes</p>
      <ResultLine result={result} busy={pending !== null} />
    </div>
  );
}
