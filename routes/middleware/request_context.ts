/**
 * What every request carries from its first step: an id (the client's own `X-Request-Id` when
 * it sent a sane one, else a new ULID), echoed on every answer and written into logs and audit
 * entries; and the client's address, from the socket, or from the trusted proxy's header when
 * `SEATSERVE_TRUST_PROXY` names one (never a header anyone can set); and whether it came over
 * https (`servedOverHttps`).
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { newId } from "../../lib/kv/ids.ts";
import type { Services } from "../../lib/services.ts";
import type { AppEnv } from "../state.ts";

/** A client's request id we keep: short, printable, no spaces (so it cannot forge log lines). */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@\/+=-]{1,128}$/;

/**
 * Sets `services`, `requestId` and `clientAddress`, and `X-Request-Id` on the answer (errors
 * included): the first step of every request, one layer for all three.
 */
export function requestContext(services: Services) {
  const { trustProxyHeader } = services.config;
  return createMiddleware<AppEnv>(async function withRequestContext(c, next) {
    c.set("services", services);
    const requestId = requestIdOf(c.req.header("x-request-id"));
    c.set("requestId", requestId);
    c.set("clientAddress", clientAddressOf(c, trustProxyHeader));
    // Set before the answer exists, so that Hono writes it into the answer as it builds it:
    // changing an answer's headers afterwards costs Deno its fast path (a third of the
    // throughput of a small answer). Answers built as a raw `Response` (event streams) lack it.
    c.header("X-Request-Id", requestId);
    await next();
    if (!c.res.headers.has("x-request-id")) c.res.headers.set("X-Request-Id", requestId);
  });
}

/** The id of a request: the client's `X-Request-Id` when it is sane, else a new ULID. */
export function requestIdOf(sent: string | null | undefined): string {
  return sent != null && SANE_REQUEST_ID.test(sent) ? sent : newId();
}

/**
 * The calling client's address: with a trusted proxy, the address the proxy saw (the last entry
 * of a forwarded list, which is the one the proxy appended); else the socket's. "unknown" when
 * neither is there (an in-process `app.request` in tests).
 */
export function clientAddressOf(c: Context<AppEnv>, trustProxyHeader: string | null): string {
  return addressOf(
    c.req.raw,
    c.env as Deno.ServeHandlerInfo<Deno.NetAddr> | undefined,
    trustProxyHeader,
  );
}

/** `clientAddressOf` for a request and its serve info, before any context exists. */
export function addressOf(
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr> | undefined,
  trustProxyHeader: string | null,
): string {
  return addressFrom((name) => request.headers.get(name), info?.remoteAddr, trustProxyHeader);
}

/** `clientAddressOf` from a request's headers by name and the socket's address. */
export function addressFrom(
  header: (name: string) => string | null | undefined,
  socket: Deno.NetAddr | undefined,
  trustProxyHeader: string | null,
): string {
  if (trustProxyHeader) {
    const forwarded = header(trustProxyHeader);
    const last = forwarded?.split(",").at(-1)?.trim();
    if (last) return last.slice(0, 64);
  }
  return socket?.hostname ?? "unknown";
}

/**
 * Whether the browser reached us over https, which decides HSTS and `Secure`/`__Host-` cookies:
 * the request arrived over this server's own TLS (`SEATSERVE_TLS_CERT_FILE`) or the platform's
 * (Deno Deploy), so its URL is https; or a trusted proxy (`SEATSERVE_TRUST_PROXY` set) that
 * terminated TLS says so in `X-Forwarded-Proto` (deploy/nginx sets it). Plain http otherwise,
 * whatever the public URL says: over http a browser ignores HSTS and drops `Secure` cookies.
 */
export function servedOverHttps(c: Context<AppEnv>): boolean {
  if (c.req.url.startsWith("https:")) return true;
  if (!c.get("services").config.trustProxyHeader) return false;
  return c.req.header("x-forwarded-proto")?.split(",")[0].trim().toLowerCase() === "https";
}
