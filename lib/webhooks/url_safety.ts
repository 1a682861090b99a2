/**
 * Which webhook URLs we may call: http(s) only, no credentials in the URL, and (unless private
 * addresses are allowed) a host that resolves only to public addresses, so an endpoint cannot
 * make the server reach into its own network (SSRF). Checked at registration and again before
 * every attempt. What remains: a DNS answer that changes between this check and the connection
 * `fetch` makes (DNS rebinding); README says so.
 */

/** Why a URL is refused, or null when it may be called. */
export type UrlRefusal = {
  code: "url_invalid" | "url_private" | "url_unresolvable";
  message: string;
};

/** Options of `checkWebhookUrl`. */
export interface UrlCheckOptions {
  /** Accept private, loopback and link-local addresses (`SEATSERVE_WEBHOOKS_ALLOW_PRIVATE`). */
  allowPrivate: boolean;
  /** How long the DNS look-up may take (default 5 s). */
  timeoutMs?: number;
}

/** The URL's form alone: null when it is an http(s) URL without credentials, else why not. */
export function checkUrlForm(raw: string): UrlRefusal | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { code: "url_invalid", message: "Not a URL." };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { code: "url_invalid", message: "Only http and https URLs can receive webhooks." };
  }
  if (url.username || url.password) {
    return { code: "url_invalid", message: "A webhook URL may not hold credentials." };
  }
  return null;
}

/** Checks a URL as described above; resolves the host unless private addresses are allowed. */
export async function checkWebhookUrl(
  raw: string,
  options: UrlCheckOptions,
): Promise<UrlRefusal | null> {
  const form = checkUrlForm(raw);
  if (form || options.allowPrivate) return form;
  const host = new URL(raw).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const refused = (address: string): UrlRefusal => ({
    code: "url_private",
    message: `The URL's host ${host} resolves to ${address}, a private, loopback or ` +
      "link-local address.",
  });
  if (isIpLiteral(host)) return isPrivateAddress(host) ? refused(host) : null;
  // RFC 6761: localhost and its subdomains are loopback, whatever a resolver says.
  if (host === "localhost" || host.endsWith(".localhost")) return refused("loopback");
  const signal = AbortSignal.timeout(options.timeoutMs ?? 5000);
  const answers = await Promise.allSettled([
    Deno.resolveDns(host, "A", { signal }),
    Deno.resolveDns(host, "AAAA", { signal }),
  ]);
  const addresses = answers.flatMap((answer) => answer.status === "fulfilled" ? answer.value : []);
  if (addresses.length === 0) {
    return { code: "url_unresolvable", message: `The URL's host ${host} does not resolve.` };
  }
  const bad = addresses.find(isPrivateAddress);
  return bad ? refused(bad) : null;
}

/** Whether `host` is an IPv4 or IPv6 address rather than a name. */
export function isIpLiteral(host: string): boolean {
  return parseIpv4(host) !== null || host.includes(":");
}

/**
 * Whether an address is one a webhook must not reach: unspecified, loopback, private (RFC 1918,
 * unique local), shared (CGNAT), link-local, benchmarking, multicast, reserved or broadcast, or
 * an IPv6 address that embeds such an IPv4 one (mapped, NAT64). Unparseable counts as private.
 */
export function isPrivateAddress(address: string): boolean {
  const v4 = parseIpv4(address);
  if (v4) return isPrivateIpv4(v4);
  const v6 = parseIpv6(address);
  if (!v6) return true;
  const [a, b, c, d, e, f, g, h] = v6;
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0) {
    // ::, ::1, ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated)
    if (f === 0xffff || f === 0) {
      if (f === 0 && g === 0 && (h === 0 || h === 1)) return true;
      return isPrivateIpv4([g >> 8, g & 255, h >> 8, h & 255]);
    }
  }
  if (a === 0x64 && b === 0xff9b) return isPrivateIpv4([g >> 8, g & 255, h >> 8, h & 255]);
  if ((a & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((a & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((a & 0xffc0) === 0xfec0) return true; // fec0::/10 site-local (deprecated)
  if ((a & 0xff00) === 0xff00) return true; // multicast
  if (a === 0x2001 && b === 0x0db8) return true; // documentation
  return false;
}

function isPrivateIpv4([a, b, c]: number[]): boolean {
  return a === 0 || a === 10 || a === 127 || a >= 224 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113);
}

function parseIpv4(text: string): number[] | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return null;
  const parts = match.slice(1).map(Number);
  return parts.every((part) => part <= 255) ? parts : null;
}

function parseIpv6(text: string): number[] | null {
  let address = text.toLowerCase().replace(/%.*$/, "");
  // A trailing dotted IPv4 part becomes two groups.
  const tail = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(address);
  if (tail) {
    const v4 = parseIpv4(tail[1]);
    if (!v4) return null;
    address = address.slice(0, -tail[1].length) +
      `${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string) => part === "" ? [] : part.split(":");
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  if (!all.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return null;
  return all.map((group) => parseInt(group, 16));
}
