/**
 * The menu hubs: one per location per process, fanning the menu out to every open menu stream of
 * that location (guests' phones), so an 86 greys out at once on menus already open. A hub follows
 * the catalog cache's change notifications, which come from this process's writer and from the
 * cache's one `kv.watch` of the location: no stream watches or reads the store by itself.
 *
 * On each change the hub takes the new snapshot (never going back to an older one: versionstamps
 * are in commit order) and offers it to every subscription, each in its own language and filter.
 * The encoded menus are the snapshot's, so subscriptions that want the same variant share one
 * frame. A subscription holds at most one frame, the newest: a reader that is behind gets the
 * current menu, not every menu in between, and a menu equal to the last one sent (same ETag) is
 * not sent again.
 */
import { unavailable } from "../errors.ts";
import { jsonFrame } from "../feed/sse.ts";
import type { Catalog, CatalogSnapshot } from "./cache.ts";
import type { EncodedMenu, MenuFilter } from "./menu_view.ts";

/** What a menu stream asked for. */
export interface MenuRequest {
  /** `?lang=`. */
  lang?: string;
  /** The `Accept-Language` header. */
  acceptLanguage?: string;
  filter?: MenuFilter;
  /** The guest's table token, when the stream was opened with one: it ends when revoked. */
  tableToken?: string;
}

/** Why a menu subscription ended. */
export type MenuEndReason = "unsubscribed" | "shutdown" | "table_revoked";

const encoder = new TextEncoder();
const END_COMMENTS: Record<MenuEndReason, Uint8Array> = {
  unsubscribed: new Uint8Array(0),
  shutdown: encoder.encode(": server shutting down; reconnect to follow the menu again\n\n"),
  table_revoked: encoder.encode(
    ": this table code is no longer valid; scan the table's QR code again\n\n",
  ),
};
const frames = new WeakMap<EncodedMenu, Uint8Array>();

/** The `menu` event of an encoded menu (its ETag as the event id), built once per menu. */
export function menuFrame(menu: EncodedMenu): Uint8Array {
  let frame = frames.get(menu);
  if (!frame) {
    frame = jsonFrame("menu", menu.body, menu.etag.replaceAll('"', ""));
    frames.set(menu, frame);
  }
  return frame;
}

/** One open menu stream: the newest menu frame not yet taken, if any. */
export class MenuSubscription {
  readonly #request: MenuRequest;
  #hub: MenuHub;
  #pending: Uint8Array | null = null;
  #lastEtag: string | null = null;
  #sent = 0;
  #ended: MenuEndReason | null = null;
  #wake: (() => void) | null = null;

  /** @internal Built by `MenuHubs.subscribe`. */
  constructor(hub: MenuHub, request: MenuRequest) {
    this.#hub = hub;
    this.#request = request;
  }

  /** The newest menu frame not taken yet, or null. */
  take(): Uint8Array | null {
    const frame = this.#pending;
    this.#pending = null;
    return frame;
  }

  /** How many menu frames were offered to this subscription (the first one included). */
  get offered(): number {
    return this.#sent;
  }

  /** Why it ended, or null while live. */
  get ended(): MenuEndReason | null {
    return this.#ended;
  }

  /** The comment the stream ends with, once ended (`FrameSource`). */
  get endComment(): Uint8Array | null {
    return this.#ended && !this.#pending ? END_COMMENTS[this.#ended] : null;
  }

  /** Resolves when a frame is due, the subscription ended, or `wake()` was called. */
  wait(): Promise<void> {
    if (this.#pending || this.#ended) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = null;
        resolve();
      };
    });
  }

  /** Resolves a pending `wait()` now. */
  wake(): void {
    this.#wake?.();
  }

  /** Stops following the menu. */
  close(): void {
    this.end("unsubscribed");
  }

  /** @internal Offers a snapshot: its menu in this subscription's language and filter. */
  offer(snapshot: CatalogSnapshot): void {
    if (this.#ended) return;
    const { tableToken, lang, acceptLanguage, filter } = this.#request;
    if (tableToken !== undefined && !snapshot.tablesByToken.has(tableToken)) {
      this.end("table_revoked");
      return;
    }
    const menu = snapshot.menu(snapshot.language(lang, acceptLanguage), filter);
    if (menu.etag === this.#lastEtag) return;
    this.#lastEtag = menu.etag;
    this.#pending = menuFrame(menu);
    this.#sent++;
    this.#wake?.();
  }

  /** @internal Ends the subscription. */
  end(reason: MenuEndReason): void {
    if (this.#ended) return;
    this.#ended = reason;
    this.#hub.detach(this);
    this.#wake?.();
  }
}

/** The menu hub of one location. Built by `MenuHubs`. */
class MenuHub {
  readonly locationId: string;
  #catalog: Catalog;
  #snapshot: CatalogSnapshot | null = null;
  #subscribers = new Set<MenuSubscription>();
  #refreshing: Promise<void> | null = null;
  #again = false;

  constructor(catalog: Catalog, locationId: string) {
    this.#catalog = catalog;
    this.locationId = locationId;
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Joins a subscription, starting it with the current menu; null for an unknown location. */
  async subscribe(request: MenuRequest): Promise<MenuSubscription | null> {
    const snapshot = await this.#catalog.get(this.locationId);
    if (!snapshot) return null;
    this.#consider(snapshot);
    const subscription = new MenuSubscription(this, request);
    this.#subscribers.add(subscription);
    subscription.offer(this.#snapshot!);
    return subscription;
  }

  /** The catalog may have changed: take the new snapshot in (runs coalesced). */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    const run = this.#refreshing = (async () => {
      try {
        do {
          this.#again = false;
          const snapshot = await this.#catalog.get(this.locationId);
          if (snapshot) this.#consider(snapshot);
        } while (this.#again);
      } catch (error) {
        console.error(`menu hub ${this.locationId}: could not read the catalog`, error);
      } finally {
        this.#refreshing = null;
      }
    })();
    return run;
  }

  /** Ends every subscription. */
  close(reason: MenuEndReason): void {
    for (const subscription of [...this.#subscribers]) subscription.end(reason);
  }

  detach(subscription: MenuSubscription): void {
    this.#subscribers.delete(subscription);
  }

  /** Moves to `snapshot` when it is newer than the hub's, and offers it to every subscriber. */
  #consider(snapshot: CatalogSnapshot): void {
    const current = this.#snapshot;
    if (current && (snapshot.versionstamp ?? "") <= (current.versionstamp ?? "")) return;
    this.#snapshot = snapshot;
    for (const subscription of [...this.#subscribers]) subscription.offer(snapshot);
  }
}

/** The menu hubs of this process, one per location, made on first use. */
export class MenuHubs {
  #catalog: Catalog;
  #hubs = new Map<string, MenuHub>();
  #stop: () => void;
  #closed = false;

  constructor(catalog: Catalog) {
    this.#catalog = catalog;
    this.#stop = catalog.onChange((locationId) => {
      this.#hubs.get(locationId)?.refresh();
    });
  }

  /**
   * A subscription to a location's menu, started with the current menu; null when there is no
   * such location.
   */
  async subscribe(locationId: string, request: MenuRequest): Promise<MenuSubscription | null> {
    if (this.#closed) throw unavailable("The server is shutting down; reconnect in a moment.");
    let hub = this.#hubs.get(locationId);
    if (!hub) this.#hubs.set(locationId, hub = new MenuHub(this.#catalog, locationId));
    return await hub.subscribe(request);
  }

  /** How many location hubs exist, and their subscriptions in all. */
  stats(): { hubs: number; subscribers: number } {
    let subscribers = 0;
    for (const hub of this.#hubs.values()) subscribers += hub.subscriberCount;
    return { hubs: this.#hubs.size, subscribers };
  }

  /** Resolves once every hub has taken in the catalog as it is now (for tests and shutdown). */
  async sync(): Promise<void> {
    await Promise.all([...this.#hubs.values()].map((hub) => hub.refresh()));
  }

  /** Ends every subscription with "shutdown" and stops following the catalog. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop();
    for (const hub of this.#hubs.values()) hub.close("shutdown");
    this.#hubs.clear();
  }
}
