/**
 * The plain-HTTP listener beside HTTPS (`SEATSERVE_HTTP_REDIRECT_PORT`): every request, whatever
 * its method, is answered 308 to the same path and query over https, and nothing else is served.
 * 308 (not 301) keeps the method and body of a POST that still arrives over http.
 */

/**
 * Where a plain-HTTP request is sent: the public URL's origin when it is https (the name in the
 * certificate), else the host the client asked for, on the https port.
 */
export function httpsLocation(
  request: Request,
  options: { publicUrl: string; httpsPort: number },
): string {
  const url = new URL(request.url);
  const path = `${url.pathname}${url.search}`;
  if (options.publicUrl.startsWith("https://")) {
    return `${new URL(options.publicUrl).origin}${path}`;
  }
  const port = options.httpsPort === 443 ? "" : `:${options.httpsPort}`;
  return `https://${url.hostname}${port}${path}`; // an IPv6 hostname keeps its brackets
}

/** The redirect listener's handler. */
export function redirectToHttps(options: {
  publicUrl: string;
  httpsPort: () => number;
}): (request: Request) => Response {
  return (request) =>
    new Response(null, {
      status: 308,
      headers: {
        location: httpsLocation(request, { ...options, httpsPort: options.httpsPort() }),
        "cache-control": "no-store",
      },
    });
}
