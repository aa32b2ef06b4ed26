// Live state: the cluster and the process list, fetched once and then kept fresh by the
// server's event stream (/api/v1/events: `cluster` about every second, `processes` about every
// two). EventSource reconnects by itself; `connected` says whether the stream is open.
import { useEffect, useState, useCallback } from 'preact/hooks';
import { api, type Cluster, type Processes } from './api';

export interface Live {
  cluster?: Cluster;
  processes?: Processes;
  connected: boolean;
  error?: string;
  /** Re-read the process list now (after an action, not to wait for the next event). */
  refreshProcesses: () => void;
}

export function useLive(): Live {
  const [cluster, setCluster] = useState<Cluster>();
  const [processes, setProcesses] = useState<Processes>();
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<string>();

  const refreshProcesses = useCallback(() => {
    api.processes().then((r) => { if (r.ok) setProcesses(r.data); });
  }, []);

  useEffect(() => {
    api.cluster().then((r) => (r.ok ? setCluster(r.data) : setError(r.error)));
    refreshProcesses();
    const es = new EventSource('/api/v1/events');
    es.onopen = () => { setConnected(true); setError(undefined); };
    es.onerror = () => setConnected(false);
    es.addEventListener('cluster', (e) => {
      try { setCluster(JSON.parse((e as MessageEvent).data)); } catch { /* a torn event: the next one comes */ }
    });
    es.addEventListener('processes', (e) => {
      try { setProcesses(JSON.parse((e as MessageEvent).data)); } catch { /* idem */ }
    });
    return () => es.close();
  }, [refreshProcesses]);

  return { cluster, processes, connected, error, refreshProcesses };
}
