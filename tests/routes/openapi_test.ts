/**
 * The API description as integrators meet it (routes/openapi_document.ts, routes/pages/docs.ts):
 * every route that is served is described, with a stable operationId; public operations say
 * `security: []`; Redocly's recommended rules find no error; `/docs` renders every operation in
 * Chromium with nothing but our server reachable, and "try it" on `GET /api/menu` shows the menu.
 */
import assert from "node:assert/strict";
import { OPERATION_IDS } from "../../routes/openapi_document.ts";
import { assertDescribed } from "../openapi_validator.ts";
import { call, expect, type Json, startMain, withServices } from "../fixtures.ts";
import { SCREENSHOTS, startBrowser } from "../pages/browser_fixture.ts";

const METHODS = ["get", "put", "post", "delete", "patch"];

function operations(doc: Json): [string, Json][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => (item as Json)[m]).map((m) =>
      [`${m.toUpperCase()} ${path}`, (item as Json)[m]] as [string, Json]
    )
  );
}

Deno.test("[openapi] every served API route is described, with a stable operationId", async () => {
  await withServices(async (s) => {
    const doc = expect(await call(s, "GET", "/openapi.json"), 200);
    const described = new Map(operations(doc));
    const served = new Set(
      s.app.routes
        .filter((r) => r.path.startsWith("/api/") && METHODS.includes(r.method.toLowerCase()))
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    for (const route of served) {
      assert.ok(described.has(route), `${route} is served but not described in /openapi.json`);
    }
    const ids = new Set<string>();
    for (const [key, operation] of described) {
      assert.equal(
        operation.operationId,
        OPERATION_IDS[key],
        `${key}: give it an operationId in routes/openapi_document.ts`,
      );
      assert.match(
        operation.operationId,
        /^(get|list|create|update|delete|set|follow|revoke)[A-Z]\w+$/,
      );
      assert.ok(!ids.has(operation.operationId), `${operation.operationId} twice`);
      ids.add(operation.operationId);
      assert.ok(Array.isArray(operation.security), `${key}: security is explicit`);
      assert.ok(operation.tags?.length, `${key}: tagged`);
      assert.ok(operation.summary?.length, `${key}: has a summary`);
      assert.ok(
        Object.keys(operation.responses).some((status) => status.startsWith("4")),
        `${key}: names its 4xx`,
      );
    }
    // Public operations need no credential; staff ones name bearer and session.
    assert.deepEqual(described.get("POST /api/orders").security, []);
    assert.deepEqual(described.get("GET /api/menu").security, []);
    assert.deepEqual(described.get("GET /api/tables").security, [{ bearer: [] }, {
      sessionCookie: [],
    }]);
    assert.equal(doc.info.version, "1.1.0");
    assert.equal(doc.info.license.identifier, "MIT");
    assert.ok(doc.tags.every((t: Json) => t.description));
  });
});

Deno.test("[openapi] Redocly CLI's recommended rules report no errors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-openapi-" });
  try {
    await withServices(async (s) => {
      const doc = expect(await call(s, "GET", "/openapi.json"), 200);
      await Deno.writeTextFile(`${dir}/openapi.json`, JSON.stringify(doc));
    });
    const lint = await new Deno.Command("npx", {
      args: ["-y", "@redocly/cli@2.77.0", "lint", "--format=summary", `${dir}/openapi.json`],
      cwd: dir,
      env: { REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(lint.stdout) + new TextDecoder().decode(lint.stderr);
    assert.equal(lint.code, 0, output);
    assert.doesNotMatch(output, /error/i, output);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[docs] /docs in Chromium, offline but for us: every operation, and try it", {
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "seatserve-docs-" });
  const server = await startMain({
    SEATSERVE_KV_PATH: `${dir}/kv`,
    SEATSERVE_BOOTSTRAP_TOKEN: "docs-owner",
  });
  const browser = await startBrowser();
  try {
    const doc = await (await fetch(`${server.base}/openapi.json`)).json();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const blocked: string[] = [];
    await context.route("**/*", (route) => {
      if (route.request().url().startsWith(server.base)) return route.continue();
      blocked.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(String(error)));
    page.on("console", (message) => {
      if (/Content Security Policy|Refused/.test(message.text())) problems.push(message.text());
    });
    const response = await page.goto(`${server.base}/docs`);
    assert.match(response?.headers()["content-security-policy"] ?? "", /script-src 'self'/);
    await page.waitForSelector(".opblock", { timeout: 15_000 });
    const shown = await page.$$eval(".opblock", (blocks) => blocks.length);
    assert.equal(shown, operations(doc).length);
    await page.screenshot({ path: `${SCREENSHOTS}docs-1280.png` });

    await page.click("#operations-menu-getMenu .opblock-summary");
    // Try-it-out is on from the start (tryItOutEnabled), so the fields take input at once.
    const field = '#operations-menu-getMenu tr[data-param-name="location"] input';
    if (await page.isDisabled(field)) await page.click("#operations-menu-getMenu .try-out__btn");
    await page.fill(field, "demo");
    await page.click("#operations-menu-getMenu button.execute");
    await page.waitForSelector("#operations-menu-getMenu .responses-wrapper .live-responses-table");
    const body = await page.textContent("#operations-menu-getMenu .live-responses-table");
    assert.match(body ?? "", /SeatServe Demo Bistro/);
    assert.deepEqual(problems, []);
    assert.deepEqual(blocked, [], "the page asked for nothing beyond our server");
    await context.close();
  } finally {
    await browser.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[openapi] the answer check refuses what the description does not allow", async () => {
  const json = new Headers({ "content-type": "application/json" });
  await assert.rejects(
    () =>
      assertDescribed("GET", "/api/menu?location=demo", { status: 200, headers: json, body: {} }),
    /getMenu\) 200: the body does not match its schema/,
  );
  await assert.rejects(
    () => assertDescribed("GET", "/api/menu", { status: 418, headers: json, body: null }),
    /answered 418, which it does not describe/,
  );
  await assert.rejects(
    () => assertDescribed("POST", "/api/menu", { status: 200, headers: json, body: {} }),
    /is not described/,
  );
  const error = { error: { code: "not_found", message: "No." } };
  await assertDescribed("GET", "/api/orders/x", { status: 404, headers: json, body: error });
  await assert.rejects(
    () =>
      assertDescribed("GET", "/api/orders/x", {
        status: 404,
        headers: json,
        body: { error: { code: 7 } },
      }),
    /does not match/,
  );
});

Deno.test("[openapi] every example matches its own schema", async () => {
  const { Ajv2020 } = await import("ajv/dist/2020.js");
  await withServices(async (s) => {
    const doc = expect(await call(s, "GET", "/openapi.json"), 200);
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ ...doc, $id: "openapi.json" });
    let checked = 0;
    for (const [name, schema] of Object.entries(doc.components.schemas as Record<string, Json>)) {
      if (schema.example === undefined) continue;
      const validate = ajv.compile({ $ref: `openapi.json#/components/schemas/${name}` });
      assert.ok(validate(schema.example), `${name}: ${JSON.stringify(validate.errors)}`);
      checked++;
    }
    assert.ok(checked >= 7, `${checked} examples`);
  });
});
