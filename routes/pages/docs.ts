/** `GET /docs`: the OpenAPI description rendered as a plain page, with no scripts or CDN. */
import { html, raw } from "hono/html";

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
  responses?: Record<string, { description?: string }>;
}

/** Renders an OpenAPI document as HTML. */
export function renderDocs(
  doc: {
    info: { title: string; version: string };
    paths?: Record<string, Record<string, Operation>>;
  },
) {
  const rows = Object.entries(doc.paths ?? {}).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const body = op.requestBody?.content?.["application/json"]?.schema?.$ref?.split("/").pop();
      const params = (op.parameters ?? []).map((p) =>
        `${p.name} (${p.in}${p.required ? ", required" : ""})`
      );
      const responses = Object.entries(op.responses ?? {}).map(([code, r]) =>
        `${code} ${r.description ?? ""}`
      );
      return html`<section>
  <h2><span class="m ${method}">${method.toUpperCase()}</span> <code>${path}</code></h2>
  <p><strong>${op.summary ?? ""}</strong>${
        op.security?.length
          ? html`
            <em>(staff token)</em>
          `
          : ""
      }</p>
  ${op.description ? html`<p>${op.description}</p>` : ""}
  ${params.length ? html`<p>Parameters: ${params.join("; ")}</p>` : ""}
  ${body ? html`<p>Body: <a href="/openapi.json">${body}</a></p>` : ""}
  <ul>${responses.map((r) => html`<li>${r}</li>`)}</ul>
</section>`;
    })
  );
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>${doc.info.title} API</title>
        <style>${raw(STYLE)}</style>
      </head>
      <body><h1>${doc.info.title} <small>v${doc.info.version}</small></h1>
    <p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors always have the body
    <code>{"error": {"code", "message", "details"?}}</code>.</p>
    ${rows}</body>
    </html>
  `;
}

const STYLE =
  `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.5rem 0}h2{font-size:1.05rem;margin:.3rem 0}
.m{display:inline-block;min-width:4.5rem;text-align:center;border-radius:4px;color:#fff;font-size:.8rem;padding:.1rem .3rem}
.get{background:#2b7}.post{background:#27b}.patch{background:#b72}.delete{background:#b33}code{background:#f4f4f4;padding:0 .2rem}`;

/**
 * The page's Content-Security-Policy: nothing but its own inline style (by hash, so no other
 * inline style or any script runs) and links; no framing, no forms, no base changes.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${await sha256Base64(STYLE)}'`,
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

async function sha256Base64(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}
