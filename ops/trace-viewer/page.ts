import type { SpanStore, StoredSpan } from './store';

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const shell = (title: string, body: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>${esc(title)}</title><style>
:root{color-scheme:light dark;font-family:system-ui,sans-serif}body{margin:2rem}table{border-collapse:collapse}
td,th{padding:.2rem .6rem;text-align:left}.bar{height:.8rem;background:#4a7bd0;border-radius:2px}
.svc{font-size:.8rem;opacity:.7}.err .bar{background:#c44}</style></head><body>${body}</body></html>`;

export function renderTraceList(traces: ReturnType<SpanStore['list']>): string {
  const rows = traces
    .map(
      (t) =>
        `<tr><td><a href="/trace/${t.traceId}">${t.traceId}</a></td><td>${esc(t.root)}</td>` +
        `<td>${t.services.map(esc).join(', ')}</td><td>${t.spans}</td><td>${new Date(t.startMs).toISOString()}</td></tr>`,
    )
    .join('');
  return shell(
    'Traces',
    `<h1>Traces</h1><table><tr><th>trace</th><th>root</th><th>services</th><th>spans</th><th>start</th></tr>${rows}</table>`,
  );
}

export function renderTrace(traceId: string, spans: StoredSpan[]): string {
  if (spans.length === 0)
    return shell('Trace', `<p>No spans for ${esc(traceId)} (yet).</p><a href="/">all traces</a>`);
  const t0 = spans[0]!.startMs;
  const total = Math.max(...spans.map((s) => s.startMs + s.durationMs - t0), 1);
  const depth = (s: StoredSpan): number => {
    const parent = spans.find((p) => p.spanId === s.parentSpanId);
    return parent ? 1 + depth(parent) : 0;
  };
  const rows = spans
    .map((s) => {
      const left = ((s.startMs - t0) / total) * 100;
      const width = Math.max((s.durationMs / total) * 100, 0.3);
      return `<tr class="${s.status === 2 ? 'err' : ''}"><td style="padding-left:${depth(s) + 0.6}rem">${esc(s.name)}
        <div class="svc">${esc(s.service)}</div></td><td>${s.durationMs.toFixed(1)} ms</td>
        <td style="width:50vw"><div class="bar" style="margin-left:${left}%;width:${width}%"></div></td></tr>`;
    })
    .join('');
  return shell(
    `Trace ${traceId}`,
    `<a href="/">all traces</a><h1>Trace ${esc(traceId)}</h1><table>${rows}</table>`,
  );
}
