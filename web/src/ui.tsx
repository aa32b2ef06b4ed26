// Small shared pieces: a modal dialog, a bar, an action's result line, formatting.
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import type { ActionResult } from './api';

export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren; id?: string }) {
  useEffect(() => {
    const k = (e: KeyboardEvent) => { if (e.key === 'Escape') props.onClose(); };
    window.addEventListener('keydown', k);
    return () => window.removeEventListener('keydown', k);
  }, [props.onClose]);
  return (
    <div class="backdrop" onPointerDown={(e) => { if (e.target === e.currentTarget) props.onClose(); }}>
      <div class="dialog" role="dialog" aria-label={props.title} id={props.id}>
        <header><h2>{props.title}</h2><button class="close" aria-label="close" onClick={props.onClose}>×</button></header>
        {props.children}
      </div>
    </div>
  );
}

/** A horizontal bar: value out of max, with a label; `hot` past 75 % (openMosixanalyzer's red). */
export function Bar(props: { value: number; max: number; label: string; kind?: string; title?: string }) {
  const pct = props.max > 0 ? Math.max(0, Math.min(100, (100 * props.value) / props.max)) : 0;
  return (
    <div class={`bar ${props.kind ?? ''} ${pct > 75 ? 'hot' : ''}`} title={props.title} data-pct={Math.round(pct)}>
      <div class="fill" style={{ width: `${pct}%` }} />
      <span>{props.label}</span>
    </div>
  );
}

/** What the last action said: its error line (red, role=alert) or "done". */
export function ResultLine(props: { result?: ActionResult | null; busy?: boolean }) {
  const r = props.result;
  if (props.busy) return <p class="result busy">working…</p>;
  if (!r) return null;
  if (!r.ok) {
    return (
      <div class="result error" role="alert">
        <p>{r.error || 'failed'}</p>
        {r.results?.filter((x) => !x.ok).map((x) => <p key={x.node}>node {x.node}: {x.error}</p>)}
      </div>
    );
  }
  return <p class="result ok">done{r.output ? `: ${r.output.trim()}` : ''}</p>;
}

export function bytes(n?: number | null): string {
  if (n === undefined || n === null) return '–';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return `${v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${u[i]}`;
}

export function time(ms?: number | null): string {
  if (!ms) return '–';
  return new Date(ms).toLocaleString();
}

/** A padlock (drawn, not an emoji: a machine without an emoji font shows a box). */
export function LockIcon(props: { title?: string }) {
  return (
    <svg class="lock-icon" viewBox="0 0 12 14" width="11" height="13" role="img" aria-label="locked">
      <title>{props.title ?? 'locked'}</title>
      <path d="M3 6V4a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" stroke-width="1.6" />
      <rect x="1" y="6" width="10" height="7.5" rx="1.2" fill="currentColor" />
    </svg>
  );
}
