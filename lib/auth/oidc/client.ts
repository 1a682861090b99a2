/**
 * The OpenID Connect client of a deployment: the issuer's metadata (discovered once, again after
 * a failure) and the client's registration, for `oauth4webapi`, which does every protocol step
 * and check (PKCE, state, nonce, the id token's claims and signature). No crypto of our own.
 */
import * as oauth from "oauth4webapi";
import type { OidcConfig } from "../../config.ts";
import { unavailable } from "../../errors.ts";

/** The scopes asked for: an id token with the email it was issued for. */
export const SCOPES = "openid email profile";

/** A configured OpenID Connect client. */
export class OidcClient {
  readonly config: OidcConfig;
  readonly client: oauth.Client;
  readonly clientAuth: oauth.ClientAuth;
  #server: Promise<oauth.AuthorizationServer> | null = null;

  constructor(config: OidcConfig) {
    this.config = config;
    this.client = { client_id: config.clientId };
    this.clientAuth = oauth.ClientSecretBasic(config.clientSecret);
  }

  /** Options for every request to the issuer (plain http only for a loopback issuer). */
  get requestOptions(): { [oauth.allowInsecureRequests]?: boolean; signal: AbortSignal } {
    return {
      ...(this.config.allowInsecure ? { [oauth.allowInsecureRequests]: true } : {}),
      signal: AbortSignal.timeout(10_000),
    };
  }

  /** The issuer's metadata (discovery); a 503 when the issuer cannot be reached. */
  async server(): Promise<oauth.AuthorizationServer> {
    this.#server ??= this.#discover();
    try {
      return await this.#server;
    } catch (error) {
      this.#server = null;
      console.error("[oidc] discovery failed:", error);
      throw unavailable(
        "The sign-in provider cannot be reached; try again.",
        5,
        "oidc_unavailable",
      );
    }
  }

  async #discover(): Promise<oauth.AuthorizationServer> {
    const issuer = new URL(this.config.issuer);
    const response = await oauth.discoveryRequest(issuer, {
      algorithm: "oidc",
      ...this.requestOptions,
    });
    return await oauth.processDiscoveryResponse(issuer, response);
  }
}
