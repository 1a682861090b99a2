/**
 * The certificate and key HTTPS is served with: read from their PEM files and checked before
 * they are used (at start, and on every reload), and the files watched for a renewal.
 */
import { dirname, resolve } from "node:path";
import type { TlsFiles } from "../config.ts";
import { StartupError } from "../errors.ts";

/** A certificate chain and its private key, as PEM text. */
export interface TlsPair {
  cert: string;
  key: string;
}

/**
 * Reads both files and checks that they make a working TLS configuration (parseable PEM, the
 * key belongs to the certificate), by opening a TLS listener with them on a loopback port and
 * closing it again: the same check `Deno.serve` makes, without touching the served port.
 * Throws a `StartupError` saying which file is wrong and why.
 */
export async function readTlsPair(files: TlsFiles): Promise<TlsPair> {
  const cert = await readPem("SEATSERVE_TLS_CERT_FILE", files.certFile);
  const key = await readPem("SEATSERVE_TLS_KEY_FILE", files.keyFile);
  let listener: Deno.TlsListener;
  try {
    listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
  } catch (error) {
    throw new StartupError(
      `SEATSERVE_TLS_CERT_FILE (${files.certFile}) and SEATSERVE_TLS_KEY_FILE ` +
        `(${files.keyFile}) are not a usable certificate and key: ${describe(error)}`,
    );
  }
  listener.close();
  return { cert, key };
}

/**
 * The SHA-256 fingerprint of the first certificate in `pem` (the served one), as
 * `openssl x509 -fingerprint -sha256` prints it: upper-case hex pairs joined by colons.
 */
export async function certificateFingerprint(pem: string): Promise<string> {
  const match = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(pem);
  if (!match) return "";
  const der = Uint8Array.from(atob(match[1].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

async function readPem(variable: string, path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new StartupError(`${variable}: cannot read ${path} (${describe(error)})`);
  }
  if (!text.includes("-----BEGIN ")) {
    throw new StartupError(`${variable}: ${path} is not a PEM file (no "-----BEGIN" line)`);
  }
  return text;
}

/**
 * Calls `onChange` (once, `debounceMs` (300) after the last event) whenever something changes in the
 * folders holding the files: a renewal writes the certificate and the key one after the other,
 * and tools such as certbot swap symbolic links in the folder rather than write the files.
 * Whether the pair really changed is the caller's to decide (it compares what it reads).
 */
export function watchTlsFiles(
  files: TlsFiles,
  onChange: () => void,
  options: { debounceMs?: number } = {},
): { close(): void } {
  const debounceMs = options.debounceMs ?? 300;
  const folders = [...new Set([files.certFile, files.keyFile].map((f) => dirname(resolve(f))))];
  const watcher = Deno.watchFs(folders, { recursive: false });
  let timer: ReturnType<typeof setTimeout> | undefined;
  (async () => {
    try {
      for await (const event of watcher) {
        if (event.kind === "access") continue;
        clearTimeout(timer);
        timer = setTimeout(onChange, debounceMs);
      }
    } catch {
      // closed
    }
  })();
  return {
    close() {
      clearTimeout(timer);
      try {
        watcher.close();
      } catch {
        // already closed
      }
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
