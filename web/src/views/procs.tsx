// Processes: openMosixprocs. Every migratable process of the cluster (migrated ones green,
// locked ones with a lock); a click opens the migrator: the nodes (click = migrate there),
// home, best, lock/unlock, signals, renice. Below, the guests of a chosen node.
import { useEffect, useState } from 'preact/hooks';
import { api, procKey, type ActionResult, type Cluster, type Process, type Processes, type Signal } from '../api';
import { Dialog, LockIcon, ResultLine, bytes } from '../ui';

export function ProcTable(props: { procs: Process[]; onPick?: (p: Process) => void; testid?: string }) {
  if (!props.procs.length) return <p class="empty">no migratable processes</p>;
  return (
    <table class="procs" data-testid={props.testid}>
      <thead>
        <tr><th>home</th><th>pid</th><th>where</th><th>lock</th><th>nmigs</th><th>cantmove</th>
          <th>user</th><th>CPU</th><th>memory</th><th>command</th></tr>
      </thead>
      <tbody>
        {props.procs.map((p) => {
          const away = p.where !== p.home;
          return (
            <tr key={`${procKey(p)}@${p.node}`} data-proc={procKey(p)} data-where={p.where}
              class={`${away ? 'migrated' : ''} ${props.onPick ? 'pick' : ''}`} onClick={() => props.onPick?.(p)}
              title={away ? `migrated: runs on node ${p.where}, home ${p.home}` : 'at home'}>
              <td>{p.home}</td>
              <td>{p.home_pid}</td>
              <td class="where">{away ? <span class="away">▶ {p.where}</span> : p.where}</td>
              <td class="lock">{p.lock ? <LockIcon title="locked: automatic balancing leaves it" /> : ''}</td>
              <td>{p.nmigs ?? 0}</td>
              <td class="cantmove">{p.cantmove || ''}</td>
              <td>{p.user ?? p.uid ?? ''}</td>
              <td class="num">{p.pcpu !== undefined ? `${p.pcpu.toFixed(0)} %` : ''}</td>
              <td class="num">{p.rss_kib !== undefined ? bytes(p.rss_kib * 1024) : ''}</td>
              <td class="cmd" title={p.cmdline}>{p.cmdline || p.comm}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function ErrorsLine(props: { errors?: Processes['errors'] }) {
  if (!props.errors?.length) return null;
  return (
    <div class="result warn" role="status">
      {props.errors.map((e) => <p key={e.node}>node {e.node} did not answer: {e.error}</p>)}
    </div>
  );
}

export function ProcsView(props: { processes?: Processes; cluster?: Cluster; canAct: boolean; onChanged: () => void }) {
  const [pick, setPick] = useState<string | null>(null);
  const procs = props.processes?.processes.filter((p) => !p.guest) ?? [];
  const picked = pick ? procs.find((p) => procKey(p) === pick) : undefined;
  return (
    <div class="procs-view">
      {!props.processes ? <p class="empty">waiting for the process list…</p> : (
        <>
          <ErrorsLine errors={props.processes.errors} />
          <ProcTable procs={procs} onPick={(p) => setPick(procKey(p))} testid="procs" />
          <p class="hint"><span class="legend migrated">green</span> = migrated away from home · <LockIcon /> = locked ·
            click a process for the migrator</p>
        </>
      )}
      {pick && (picked
        ? <Migrator proc={picked} cluster={props.cluster} canAct={props.canAct} onClose={() => setPick(null)} onChanged={props.onChanged} />
        : <Dialog title="process gone" onClose={() => setPick(null)}><p>{pick} has ended.</p></Dialog>)}
      <Guests cluster={props.cluster} canAct={props.canAct} onChanged={props.onChanged} />
    </div>
  );
}

/** openMosixprocs' migrator window. */
export function Migrator(props: { proc: Process; cluster?: Cluster; canAct: boolean; onClose: () => void; onChanged: () => void }) {
  const p = props.proc;
  const [result, setResult] = useState<ActionResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [nice, setNice] = useState(p.nice ?? 0);
  const run = async (f: () => Promise<ActionResult>) => {
    setBusy(true);
    setResult(null);
    const r = await f();
    setBusy(false);
    setResult(r);
    props.onChanged();
  };
  const sig = (s: Signal) => run(() => api.signal(p, s));
  return (
    <Dialog title={`migrator: ${p.comm ?? ''} (pid ${p.home_pid}, home ${p.home})`} onClose={props.onClose} id="migrator">
      <p class="hint">runs on node <b data-testid="migrator-where">{p.where}</b> · {p.lock ? 'locked' : 'not locked'} ·
        {' '}{p.nmigs ?? 0} migrations{p.cantmove ? ` · cannot move: ${p.cantmove}` : ''}</p>
      <fieldset disabled={!props.canAct || busy}>
        <h3>migrate to</h3>
        <div class="node-list">
          {props.cluster?.nodes.map((n) => (
            <button key={n.id} data-node={n.id} class={`node-pick ${n.id === p.where ? 'current' : ''} ${n.up ? '' : 'down'}`}
              disabled={!n.up || n.id === p.where} onClick={() => run(() => api.migrate(p, n.id))}>
              <span class={`lamp ${n.up ? 'on' : 'off'}`} /> {n.id} <small>{n.addr} · load {n.load ?? 0}</small>
            </button>
          ))}
        </div>
        <div class="buttons">
          <button data-act="home" onClick={() => run(() => api.migrate(p, 'home'))}>home</button>
          <button data-act="best" onClick={() => run(() => api.migrate(p, 'best'))}>best</button>
          <button data-act="lock" onClick={() => run(() => api.lock(p, !p.lock))}>{p.lock ? 'unlock' : 'lock'}</button>
        </div>
        <div class="buttons">
          <button data-act="STOP" onClick={() => sig('STOP')}>SIGSTOP</button>
          <button data-act="CONT" onClick={() => sig('CONT')}>SIGCONT</button>
          <button data-act="TERM" class="danger" onClick={() => sig('TERM')}>kill (TERM)</button>
          <button data-act="KILL" class="danger" onClick={() => sig('KILL')}>kill -9 (KILL)</button>
        </div>
        <div class="renice">
          <label>nice <input type="range" min={-20} max={19} value={nice} aria-label="nice"
            onInput={(e) => setNice(Number((e.target as HTMLInputElement).value))} /> <output>{nice}</output></label>
          <button data-act="renice" onClick={() => run(() => api.renice(p, nice))}>renice</button>
        </div>
      </fieldset>
      <ResultLine result={result} busy={busy} />
    </Dialog>
  );
}

/** openMosixprocs' "manage procs from remote": the guests a node hosts. */
function Guests(props: { cluster?: Cluster; canAct: boolean; onChanged: () => void }) {
  const nodes = props.cluster?.nodes ?? [];
  const [node, setNode] = useState<number | null>(null);
  const [guests, setGuests] = useState<Processes | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<ActionResult | null>(null);
  const load = async (n: number) => {
    const r = await api.guests(n);
    if (r.ok) { setGuests(r.data); setError(null); } else { setGuests(null); setError(r.error); }
  };
  useEffect(() => {
    if (node === null) return;
    load(node);
    const t = setInterval(() => load(node), 3000);
    return () => clearInterval(t);
  }, [node]);
  const home = async (p: Process) => {
    setResult(await api.migrate(p, 'home'));
    props.onChanged();
    if (node !== null) load(node);
  };
  return (
    <section class="guests">
      <h2>guests of node{' '}
        <select aria-label="guests of node" value={node ?? ''} onChange={(e) => {
          const v = (e.target as HTMLSelectElement).value;
          setNode(v ? Number(v) : null);
        }}>
          <option value="">—</option>
          {nodes.map((n) => <option key={n.id} value={n.id}>{n.id} ({n.addr})</option>)}
        </select>
      </h2>
      {error && <div class="result error" role="alert"><p>{error}</p></div>}
      {guests && (guests.processes.length
        ? <table class="procs" data-testid="guests"><thead><tr><th>pid here</th><th>home</th><th>pid at home</th><th>user</th>
          <th>CPU</th><th>command</th><th></th></tr></thead><tbody>
            {guests.processes.map((p) => (
              <tr key={procKey(p)} data-proc={procKey(p)} class="migrated">
                <td>{p.pid}</td><td>{p.home}</td><td>{p.home_pid}</td><td>{p.user ?? p.uid}</td>
                <td class="num">{p.pcpu !== undefined ? `${p.pcpu.toFixed(0)} %` : ''}</td>
                <td class="cmd">{p.cmdline || p.comm}</td>
                <td><button disabled={!props.canAct} onClick={() => home(p)}>send home</button></td>
              </tr>))}
          </tbody></table>
        : <p class="empty">no guests on node {node}</p>)}
      <ResultLine result={result} />
    </section>
  );
}
