/**
 * The spec is the behaviour: every answer a test receives through `call()` (tests/fixtures.ts)
 * is checked against `/openapi.json`: its status must be one the operation describes, and a JSON
 * body must match that status's schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses). An answer
 * of a path no operation describes fails too, unless it is the contract's 404.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv";
import { currentDescription } from "../lib/client/generate.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  params: number;
}

let loading: Promise<{ doc: Json; routes: Route[]; ajv: Ajv2020 }> | null = null;
const validators = new Map<string, ValidateFunction>();

function load() {
  loading ??= (async () => {
    const doc = await currentDescription() as Json;
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ ...doc, $id: "openapi.json" });
    const routes: Route[] = [];
    for (const [template, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const method of Object.keys(item)) {
        const source = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, "[^/]+");
        routes.push({
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(`^${source}$`),
          params: (template.match(/\{/g) ?? []).length,
        });
      }
    }
    // Literal segments win over parameters (`/menu/items` before `/menu/{id}`).
    routes.sort((a, b) => a.params - b.params);
    return { doc, routes, ajv };
  })();
  return loading;
}

const pointer = (part: string) => part.replaceAll("~", "~0").replaceAll("/", "~1");

/**
 * Throws when the answer to `method path` is not what the description says: an undescribed
 * status, or a JSON body that does not match its schema.
 */
export async function assertDescribed(
  method: string,
  path: string,
  answer: { status: number; headers: Headers; body: unknown },
): Promise<void> {
  const { doc, routes, ajv } = await load();
  const pathname = new URL(path, "http://x").pathname;
  if (!pathname.startsWith("/api/")) return;
  const route = routes.find((r) => r.method === method.toUpperCase() && r.pattern.test(pathname));
  if (!route) {
    if (answer.status === 404 || answer.status === 405) return; // the contract's "no such route"
    throw new Error(`${method} ${pathname} answered ${answer.status} but is not described`);
  }
  const operation = doc.paths[route.template][route.method.toLowerCase()];
  const where = `${route.method} ${route.template} (${operation.operationId})`;
  const response = operation.responses[String(answer.status)];
  if (!response) {
    throw new Error(
      `${where} answered ${answer.status}, which it does not describe ` +
        `(described: ${Object.keys(operation.responses).join(", ")})`,
    );
  }
  const type = answer.headers.get("content-type") ?? "";
  if (!type.startsWith("application/json") || answer.body === null) return;
  if (!response.content?.["application/json"]?.schema) return;
  const ref = `openapi.json#/paths/${pointer(route.template)}/${route.method.toLowerCase()}` +
    `/responses/${answer.status}/content/application~1json/schema`;
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    validators.set(ref, validate);
  }
  if (!validate(answer.body)) {
    const problems = (validate.errors ?? []).slice(0, 5)
      .map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
    throw new Error(`${where} ${answer.status}: the body does not match its schema: ${problems}`);
  }
}
