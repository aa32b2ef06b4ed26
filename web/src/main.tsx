// The omx dashboard: one page, four tabs (Nodes, Processes, History, Migration map), fed by the
// HTTP API (docs/api/openapi.yaml). The tab is in the URL's hash (#nodes, #procs, ...).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type WhoAmI } from './api';
import { useLive } from './live';
import { HistoryView } from './views/history';
import { MapView } from './views/map';
import { NodesView } from './views/nodes';
import { ProcsView } from './views/procs';
import './style.css';

const TABS = [['nodes', 'Nodes'], ['procs', 'Processes'], ['history', 'History'], ['map', 'Migration map']] as const;
type Tab = (typeof TABS)[number][0];
const tabOfHash = (): Tab => (TABS.find(([k]) => `#${k}` === location.hash)?.[0] ?? 'nodes');

function App() {
  const [tab, setTab] = useState<Tab>(tabOfHash());
  const [who, setWho] = useState<WhoAmI | null>(null);
  const [whoError, setWhoError] = useState<string | null>(null);
  const live = useLive();

  useEffect(() => {
    api.whoami().then((r) => (r.ok ? setWho(r.data) : setWhoError(r.error)));
    const h = () => setTab(tabOfHash());
    window.addEventListener('hashchange', h);
    return () => window.removeEventListener('hashchange', h);
  }, []);

  const canAct = !!who?.can_act;
  return (
    <>
      <header class="top">
        <h1>omx <small>cluster dashboard</small></h1>
        <nav role="tablist">
          {TABS.map(([k, name]) => (
            <a key={k} role="tab" href={`#${k}`} data-tab={k} aria-selected={tab === k} class={tab === k ? 'on' : ''}>{name}</a>
          ))}
        </nav>
        <div class="who" data-testid="whoami">
          <span class={`dot ${live.connected ? 'on' : 'off'}`} title={live.connected ? 'live' : 'not connected'} />
          {who ? <>{who.user ?? (who.uid !== null ? `uid ${who.uid}` : 'anonymous')} <small>via {who.via}{who.node ? ` · node ${who.node}` : ''}</small></>
            : whoError ?? '…'}
          {' · '}<a href="api/docs/">API</a>
        </div>
      </header>
      {who && !who.can_act && (
        <p class="readonly" role="status" data-testid="readonly">
          read-only: the server does not know who you are, so you may look but not act
          (<code>omx dashboard url</code> prints a link with a token)
        </p>
      )}
      {live.error && <div class="result error" role="alert"><p>{live.error}</p></div>}
      <main data-view={tab}>
        {tab === 'nodes' && <NodesView cluster={live.cluster} canAct={canAct} />}
        {tab === 'procs' && <ProcsView processes={live.processes} cluster={live.cluster} canAct={canAct} onChanged={live.refreshProcesses} />}
        {tab === 'history' && <HistoryView />}
        {tab === 'map' && <MapView cluster={live.cluster} processes={live.processes} canAct={canAct} onChanged={live.refreshProcesses} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
