// The dashboard's API client: types from the spec (api-types.ts, generated), fetch for reads,
// POST with Content-Type: application/json for actions, EventSource for live updates.
import type { components, paths } from './api-types';

type S = components['schemas'];
export type WhoAmI = S['WhoAmI'];
export type Cluster = S['Cluster'];
export type Node = S['Node'];
export type ClusterRow = S['ClusterRow'];
export type Process = S['Process'];
export type Processes = S['Processes'];
export type NodeSettings = S['NodeSettings'];
export type ActionResult = S['ActionResult'];
export type Collector = S['Collector'];
export type LoadHistory = S['LoadHistory'];
export type Series = S['Series'];
type JsonBody<P extends keyof paths> = paths[P] extends { post: { requestBody?: { content: { 'application/json': infer B } } } } ? B : never;
export type Signal = JsonBody<'/api/v1/processes/{home}/{pid}/signal'>['signal'];
export type MigrateTo = JsonBody<'/api/v1/processes/{home}/{pid}/migrate'>['to'];

/** A GET's answer: the body when 2xx, else the server's error line. */
export type Got<T> = { ok: true; data: T } | { ok: false; status: number; error: string };

async function errorLine(r: Response): Promise<string> {
  const text = await r.text().catch(() => '');
  try {
    const j = JSON.parse(text);
    if (j && typeof j.error === 'string') return j.error;
  } catch { /* not JSON */ }
  return text.trim().split('\n')[0] || `${r.status} ${r.statusText}`;
}

export async function get<T>(path: string): Promise<Got<T>> {
  try {
    const r = await fetch(path, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    if (!r.ok) return { ok: false, status: r.status, error: await errorLine(r) };
    return { ok: true, data: (await r.json()) as T };
  } catch (e) {
    return { ok: false, status: 0, error: `cannot reach the server: ${(e as Error).message}` };
  }
}

/** An action: always an ActionResult (a transport or HTTP error becomes ok: false + its line). */
export async function post(path: string, body?: unknown): Promise<ActionResult> {
  try {
    const r = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify(body ?? {}),
    });
    const text = await r.text();
    let j: ActionResult | undefined;
    try { j = JSON.parse(text); } catch { /* not JSON */ }
    if (j && typeof j.ok === 'boolean') {
      if (!r.ok && j.ok) j.ok = false;
      if (!j.ok && !j.error) j.error = `${r.status} ${r.statusText}`;
      return j;
    }
    return r.ok ? { ok: true, output: text } : { ok: false, error: text.trim().split('\n')[0] || `${r.status} ${r.statusText}` };
  } catch (e) {
    return { ok: false, error: `cannot reach the server: ${(e as Error).message}` };
  }
}

const procPath = (p: Process) => `/api/v1/processes/${p.home}/${p.home_pid}`;
export const api = {
  whoami: () => get<WhoAmI>('/api/v1/whoami'),
  cluster: () => get<Cluster>('/api/v1/cluster'),
  processes: () => get<Processes>('/api/v1/processes'),
  guests: (node: number) => get<Processes>(`/api/v1/nodes/${node}/guests`),
  migrate: (p: Process, to: MigrateTo) => post(`${procPath(p)}/migrate`, { to }),
  lock: (p: Process, on: boolean) => post(`${procPath(p)}/${on ? 'lock' : 'unlock'}`),
  signal: (p: Process, signal: Signal) => post(`${procPath(p)}/signal`, { signal }),
  renice: (p: Process, nice: number) => post(`${procPath(p)}/renice`, { nice }),
  settings: (node: number | 'all', s: NodeSettings) => post(`/api/v1/nodes/${node}/settings`, s),
  expel: (node: number | 'all') => post(`/api/v1/nodes/${node}/expel`),
  bring: (node: number | 'all') => post(`/api/v1/nodes/${node}/bring`),
  collector: () => get<Collector>('/api/v1/history'),
  loadHistory: (from: number, to: number, points = 300) =>
    get<LoadHistory>(`/api/v1/history/load?from=${Math.round(from)}&to=${Math.round(to)}&points=${points}`),
  processesAt: (at: number) => get<Processes>(`/api/v1/history/processes?at=${Math.round(at)}`),
  mark: (label: string) => post('/api/v1/history/marks', label ? { label } : {}),
};

/** A process's key across the cluster: its home node and its pid there. */
export const procKey = (p: Process) => `${p.home}:${p.home_pid}`;
