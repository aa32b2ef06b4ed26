// The API reference page (OUTDIR/api/docs/index.html), rendered from the OpenAPI spec: one
// static page, no script, no external resource. Endpoints with their parameters, request body
// and responses; then every schema with its properties. Links between them by anchor.
import { parse } from 'yaml';

const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

// A little Markdown: paragraphs, `code`, **bold**, lists of "- " / "* " lines.
const inline = (s) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\*\*([^*]+)\*\*/g, '<b>$1</b>');
function md(text) {
  if (!text) return '';
  return String(text).trim().split(/\n\s*\n/).map((block) => {
    const lines = block.split('\n');
    if (lines.every((l) => /^\s*[-*] /.test(l))) return '<ul>' + lines.map((l) => `<li>${inline(l.replace(/^\s*[-*] /, ''))}</li>`).join('') + '</ul>';
    return `<p>${inline(lines.join(' '))}</p>`;
  }).join('\n');
}

const refName = (ref) => ref.split('/').pop();
const anchor = (kind, name) => `${kind}-${String(name).replace(/[^A-Za-z0-9_-]/g, '_')}`;

export function renderApiDocs(yamlText) {
  const spec = parse(yamlText, { maxAliasCount: -1 });
  const comp = spec.components || {};
  const deref = (o, kind) => (o && o.$ref ? { ...comp[kind][refName(o.$ref)], $name: refName(o.$ref) } : o);

  // A schema as a short type expression with links to named schemas.
  function typeOf(s) {
    if (!s) return '';
    if (s.$ref) return `<a href="#${anchor('schema', refName(s.$ref))}">${esc(refName(s.$ref))}</a>`;
    let t;
    if (s.oneOf) t = s.oneOf.map(typeOf).join(' | ');
    else if (s.type === 'array') t = `${typeOf(s.items)}[]`;
    else if (s.enum) t = s.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(' | ');
    else if (s.type === 'object' && s.properties) t = 'object';
    else t = esc(s.type || 'any');
    const extra = [];
    if (s.minimum !== undefined) extra.push(`≥ ${s.minimum}`);
    if (s.maximum !== undefined) extra.push(`≤ ${s.maximum}`);
    if (s.maxLength !== undefined) extra.push(`length ≤ ${s.maxLength}`);
    if (s.default !== undefined) extra.push(`default ${esc(JSON.stringify(s.default))}`);
    if (s.nullable) extra.push('nullable');
    return t + (extra.length ? ` <span class="c">(${extra.join(', ')})</span>` : '');
  }

  function props(s) {
    if (!s || !s.properties) return '';
    const req = new Set(s.required || []);
    const rows = Object.entries(s.properties).map(([k, p]) => {
      const nested = p.type === 'object' && p.properties ? props(p)
        : p.type === 'array' && p.items && p.items.properties ? props(p.items) : '';
      return `<tr><td><code>${esc(k)}</code>${req.has(k) ? ' <span class="req">required</span>' : ''}</td>` +
        `<td>${typeOf(p)}</td><td>${md(p.description)}${nested}</td></tr>`;
    });
    return `<table class="props"><tr><th>field</th><th>type</th><th>meaning</th></tr>${rows.join('')}</table>`;
  }

  function schemaBlock(s) {
    if (!s) return '';
    if (s.$ref) return `<p>${typeOf(s)}</p>`;
    return `<p>${typeOf(s)}</p>${props(s)}`;
  }

  const methods = ['get', 'post', 'put', 'patch', 'delete'];
  const toc = [];
  const ops = [];
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const m of methods) {
      const op = item[m];
      if (!op) continue;
      const id = anchor('op', `${m}${path}`);
      toc.push(`<li><a href="#${id}"><span class="m ${m}">${m.toUpperCase()}</span> <code>${esc(path)}</code></a> — ${inline(op.summary)}</li>`);
      let h = `<section class="op" id="${id}"><h3><span class="m ${m}">${m.toUpperCase()}</span> <code>${esc(path)}</code></h3>`;
      h += `<p class="summary">${inline(op.summary)}</p>${md(op.description)}`;
      const params = [...(item.parameters || []), ...(op.parameters || [])].map((p) => deref(p, 'parameters'));
      if (params.length) {
        h += '<h4>Parameters</h4><table class="props"><tr><th>name</th><th>in</th><th>type</th><th>meaning</th></tr>';
        for (const p of params) {
          h += `<tr><td><code>${esc(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td>${esc(p.in)}</td>` +
            `<td>${typeOf(p.schema)}</td><td>${md(p.description)}</td></tr>`;
        }
        h += '</table>';
      }
      const body = op.requestBody;
      if (body) {
        h += `<h4>Request body${body.required ? '' : ' (optional)'}</h4>`;
        for (const [ct, c] of Object.entries(body.content || {})) h += `<p><code>${esc(ct)}</code></p>${schemaBlock(c.schema)}`;
      }
      h += '<h4>Responses</h4><table class="props"><tr><th>status</th><th>meaning</th><th>body</th></tr>';
      for (const [code, r0] of Object.entries(op.responses || {})) {
        const r = deref(r0, 'responses');
        const bodies = Object.entries(r.content || {}).map(([ct, c]) => `<code>${esc(ct)}</code> ${typeOf(c.schema)}`).join('<br>');
        h += `<tr><td><b>${esc(code)}</b></td><td>${md(r.description)}</td><td>${bodies}</td></tr>`;
      }
      h += '</table></section>';
      ops.push(h);
    }
  }

  const schemas = Object.entries(comp.schemas || {}).map(([name, s]) =>
    `<section class="schema" id="${anchor('schema', name)}"><h3>${esc(name)}</h3>${md(s.description)}${schemaBlock({ ...s, description: undefined })}</section>`);

  const info = spec.info || {};
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)} — reference</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:62rem;padding:1rem 1.5rem;color:#1d2430}
h1{margin:.2rem 0}h2{border-bottom:2px solid #ccd3dd;padding-bottom:.2rem;margin-top:2rem}
h3{margin:.2rem 0 .4rem}h4{margin:.8rem 0 .3rem;color:#4a5566}
code{font:13px ui-monospace,monospace;background:#eef1f5;padding:0 .25rem;border-radius:3px}
table.props{border-collapse:collapse;width:100%;margin:.3rem 0}
table.props td,table.props th{border:1px solid #d8dee6;padding:.25rem .45rem;vertical-align:top;text-align:left}
table.props th{background:#f3f5f8;font-weight:600}table.props p{margin:0}
table.props table.props{margin-top:.3rem;font-size:13px}
.op,.schema{border:1px solid #d8dee6;border-radius:6px;padding:.6rem .9rem;margin:.9rem 0}
.m{display:inline-block;font:bold 12px ui-monospace,monospace;color:#fff;border-radius:3px;padding:.1rem .4rem;min-width:2.6rem;text-align:center}
.m.get{background:#2f7d4f}.m.post{background:#2d5fa8}.m.put,.m.patch{background:#a86d2d}.m.delete{background:#a83232}
.summary{font-weight:600}.req{color:#a83232;font-size:12px}.c{color:#6b7686}
ul.toc{list-style:none;padding-left:0}ul.toc li{margin:.15rem 0}a{color:#2d5fa8;text-decoration:none}
</style></head><body>
<h1>${esc(info.title)}</h1>
<p class="c">version ${esc(info.version)} · OpenAPI ${esc(spec.openapi)} · the spec: <a href="../../openapi.yaml">openapi.yaml</a> · <a href="../../">dashboard</a></p>
${md(info.description)}
${(spec.servers || []).map((s) => `<p>Server: <code>${esc(s.url)}</code></p>`).join('')}
<h2>Endpoints</h2>
<ul class="toc">${toc.join('\n')}</ul>
${ops.join('\n')}
<h2>Schemas</h2>
${schemas.join('\n')}
</body></html>
`;
}
