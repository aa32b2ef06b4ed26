// Nodes: openMosixview's main window. A row per node (lamp, id, address button opening the
// node's settings, speed slider + number, load bar, memory bar, CPUs) under a whole-cluster row
// with the "all nodes" settings button and the load-balancing efficiency bar.
import { useState } from 'preact/hooks';
import { api, type ActionResult, type Cluster, type Node, type NodeSettings } from '../api';
import { Bar, Dialog, ResultLine, bytes } from '../ui';

const STANDARD_SPEED = 10000;

export function NodesView(props: { cluster?: Cluster; canAct: boolean }) {
  const [dialog, setDialog] = useState<Node | 'all' | null>(null);
  const c = props.cluster;
  if (!c) return <p class="empty">waiting for the cluster…</p>;
  const row = c.cluster;
  const eff = row.efficiency ?? 100;
  return (
    <div class="nodes-view">
      <table class="nodes" data-testid="nodes">
        <thead>
          <tr><th></th><th>node</th><th>address</th><th>speed</th><th>load</th><th>memory</th><th>CPUs</th></tr>
        </thead>
        <tbody>
          <tr class="all" data-node="all">
            <td></td>
            <td>all</td>
            <td><button class="addr" disabled={!props.canAct} onClick={() => setDialog('all')}>all nodes</button></td>
            <td class="eff">
              <Bar value={eff} max={100} label={`efficiency ${eff.toFixed(0)} %`} kind="eff"
                title="load-balancing efficiency: 100 % = every node equally loaded for its capacity" />
            </td>
            <td><Bar value={row.load ?? 0} max={100 * Math.max(1, row.ncpus ?? 1)} label={`${row.load ?? 0}`}
              title={`${row.nodes_up ?? 0} of ${row.nodes ?? 0} nodes up; 100 = one standard CPU busy`} /></td>
            <td><Bar value={row.mem_used ?? 0} max={row.mem_total ?? 0} kind="mem"
              label={`${bytes(row.mem_used)} / ${bytes(row.mem_total)}`} /></td>
            <td>{row.ncpus ?? '–'}</td>
          </tr>
          {c.nodes.map((n) => <NodeRow key={n.id} node={n} canAct={props.canAct} onOpen={() => setDialog(n)} />)}
        </tbody>
      </table>
      <p class="hint">{row.nodes_up ?? 0} of {row.nodes ?? c.nodes.length} nodes up · seen from node {c.self} ·
        load 100 = one standard CPU busy</p>
      {dialog && <NodeDialog node={dialog} cluster={c} canAct={props.canAct} onClose={() => setDialog(null)} />}
    </div>
  );
}

function NodeRow(props: { node: Node; canAct: boolean; onOpen: () => void }) {
  const n = props.node;
  const ncpus = Math.max(1, n.ncpus ?? 1);
  return (
    <tr class={n.up ? 'up' : 'down'} data-node={n.id} data-up={n.up ? '1' : '0'}>
      <td><span class={`lamp ${n.up ? 'on' : 'off'}`} title={n.up ? 'up' : 'down'} /></td>
      <td class="id">{n.id}{n.self ? ' ★' : ''}</td>
      <td><button class="addr" onClick={props.onOpen}>{n.addr}</button></td>
      <td class="speed"><Speed node={n} canAct={props.canAct} /></td>
      <td class="load">{n.up
        ? <Bar value={n.load ?? 0} max={100 * ncpus} label={`${n.load ?? 0}`} title={`load ${n.load}; ${ncpus} CPU(s) = ${100 * ncpus}`} />
        : <span class="na">down</span>}</td>
      <td class="mem">{n.up
        ? <Bar value={n.mem_used ?? 0} max={n.mem_total ?? 0} kind="mem"
          label={`${bytes(n.mem_used)} / ${bytes(n.mem_total)}`} title={`free ${bytes(n.mem_free)}`} />
        : <span class="na">–</span>}</td>
      <td class="cpus">{n.ncpus ?? '–'}</td>
    </tr>
  );
}

/** Speed: slider + number; the value being edited is not overwritten by live updates. */
function Speed(props: { node: Node; canAct: boolean }) {
  const [edit, setEdit] = useState<number | null>(null);
  const [result, setResult] = useState<ActionResult | null>(null);
  const cur = props.node.speed ?? STANDARD_SPEED;
  const v = edit ?? cur;
  const max = Math.max(2 * STANDARD_SPEED, 2 * cur);
  const send = async (s: number) => {
    if (!Number.isFinite(s) || s < 1) return;
    const r = await api.settings(props.node.id, { speed: Math.round(s) });
    setResult(r.ok ? null : r);
    setEdit(null);
  };
  const disabled = !props.canAct || !props.node.up;
  return (
    <div class="speed-edit">
      <input type="range" min={1} max={max} step={100} value={v} disabled={disabled} aria-label={`speed of node ${props.node.id}`}
        onInput={(e) => setEdit(Number((e.target as HTMLInputElement).value))}
        onChange={(e) => send(Number((e.target as HTMLInputElement).value))} />
      <input type="number" min={1} value={v} disabled={disabled} class="lcd"
        onInput={(e) => setEdit(Number((e.target as HTMLInputElement).value))}
        onKeyDown={(e) => { if (e.key === 'Enter') send(Number((e.target as HTMLInputElement).value)); }}
        onBlur={(e) => { if (edit !== null) send(Number((e.target as HTMLInputElement).value)); }} />
      {result && <ResultLine result={result} />}
    </div>
  );
}

type Toggle = 'stay' | 'lstay' | 'block' | 'quiet';
const TOGGLES: [Toggle, string][] = [
  ['stay', 'stay — no automatic migration out of this node'],
  ['lstay', 'lstay — local processes stay (guests may still leave)'],
  ['block', 'block — refuse arriving guests'],
  ['quiet', 'quiet — stop sending this node\'s load to the others'],
];

/** A node's (or every node's) mosctl settings, expel and bring. */
function NodeDialog(props: { node: Node | 'all'; cluster: Cluster; canAct: boolean; onClose: () => void }) {
  const target = props.node === 'all' ? 'all' : props.node.id;
  const live = props.node === 'all' ? undefined : props.cluster.nodes.find((n) => n.id === target);
  const st = live?.status ?? {};
  const [changes, setChanges] = useState<NodeSettings>({});
  const [mfs, setMfs] = useState<'' | 'on' | 'off'>('');
  const [result, setResult] = useState<ActionResult | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (f: () => Promise<ActionResult>) => {
    setBusy(true);
    setResult(await f());
    setBusy(false);
  };
  const apply = () => {
    const s: NodeSettings = { ...changes };
    if (mfs) s.mfs = mfs === 'on';
    if (!Object.keys(s).length) return;
    run(() => api.settings(target, s)).then(() => { setChanges({}); setMfs(''); });
  };
  const title = target === 'all' ? 'all nodes' : `node ${target} (${live?.addr ?? ''})`;
  return (
    <Dialog title={`settings of ${title}`} onClose={props.onClose} id="node-dialog">
      {live && <p class="hint">{live.up ? 'up' : 'down'} · speed {live.speed} · {live.local_procs ?? 0} local processes ·
        {' '}{live.guests ?? 0} guests · {live.migrations_1m ?? 0} migrations in the last minute</p>}
      <fieldset disabled={!props.canAct}>
        {TOGGLES.map(([k, label]) => {
          const checked = changes[k] ?? st[k] ?? false;
          return (
            <label key={k} class="toggle">
              <input type="checkbox" name={k} checked={checked}
                onChange={(e) => setChanges({ ...changes, [k]: (e.target as HTMLInputElement).checked })} />
              {label}{changes[k] !== undefined && changes[k] !== st[k] ? ' *' : ''}
            </label>
          );
        })}
        <label class="toggle">mfs (others may reach this node's files) —{' '}
          <select name="mfs" value={mfs} onChange={(e) => setMfs((e.target as HTMLSelectElement).value as '' | 'on' | 'off')}>
            <option value="">unchanged</option><option value="on">on</option><option value="off">off</option>
          </select>
        </label>
        <div class="buttons">
          <button class="primary" onClick={apply}>apply</button>
          <button onClick={() => run(() => api.expel(target))} title="send every guest home (mosctl expel)">expel guests</button>
          <button onClick={() => run(() => api.bring(target))} title="bring every process homed here back (mosctl bring)">bring home</button>
        </div>
      </fieldset>
      {!props.canAct && <p class="hint">read-only: you may look but not act</p>}
      <ResultLine result={result} busy={busy} />
    </Dialog>
  );
}
