/**
 * The guest page's island: the menu (filtered by allergens and diets, greyed out live as items
 * are 86'd, from the menu stream), an item sheet for options, quantity and a note, the cart, and
 * placing the order once (an idempotency key kept with the cart's body, so a double tap or a
 * retry after a network failure orders once); then the live tracker of the table's orders.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import type { Menu, MenuViewItem } from "../lib/schemas.ts";
import { fill, formatPrice } from "../lib/pages/format.ts";
import { guestMessages } from "../lib/pages/guest_messages.ts";
import {
  addLine,
  cartCount,
  type CartLine,
  cartTotal,
  itemsById,
  MAX_ORDER_NOTE,
  orderBody,
  setQuantity,
  unavailableReason,
  unitPrice,
  visibleItems,
} from "./guest/cart.ts";
import { ItemSheet } from "./guest/item_sheet.tsx";
import { type PlacedOrder, Tracker } from "./guest/tracker.tsx";
import { TableHelp } from "./guest/table_help.tsx";
import { newKey, readStored, writeStored } from "./guest/storage.ts";
import { apiClient } from "../lib/client/api.ts";

const api = apiClient();

/** What the server gives the island. */
export interface GuestPageProps {
  menu: Menu;
  tableToken: string;
  tableNumber: number;
  /** The filters the page was opened with (`?exclude=`, `?diet=`). */
  avoid: string[];
  diets: string[];
}

/** Diets first in this order when the menu has them; others after, as the menu names them. */
const DIET_ORDER = ["vegetarian", "vegan", "gluten-free", "dairy-free"];

export default function GuestPage(props: GuestPageProps) {
  const [menu, setMenu] = useState(props.menu);
  const [lines, setLines] = useState<CartLine[]>([]);
  const [orderNote, setOrderNote] = useState("");
  const [avoid, setAvoid] = useState(props.avoid);
  const [diets, setDiets] = useState(props.diets);
  const [sheet, setSheet] = useState<MenuViewItem | null>(null);
  const [cartOpen, setCartOpen] = useState(false);
  const [placing, setPlacing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [orders, setOrders] = useState<PlacedOrder[]>([]);
  // Bumped whenever one of the table's orders changes: the bill is read again.
  const [billVersion, setBillVersion] = useState(0);
  const lang = menu.lang;
  const m = guestMessages(lang);
  const items = useMemo(() => itemsById(menu), [menu]);
  const price = (cents: number) => formatPrice(cents, menu.location.currency, lang);
  const storageKey = `seatserve:${props.tableToken}`;

  // The cart and the placed orders survive a reload and the phone sleeping.
  useEffect(() => {
    const stored = readStored(storageKey);
    if (stored.lines.length) setLines(stored.lines);
    if (stored.note) setOrderNote(stored.note);
    setOrders(stored.orders);
  }, []);
  useEffect(() => {
    const stored = readStored(storageKey);
    writeStored(storageKey, { ...stored, lines, note: orderNote, orders });
  }, [lines, orderNote, orders]);

  // The menu as it changes: an 86'd item greys out at once.
  useEffect(() => {
    const url = `/api/menu/stream?table=${encodeURIComponent(props.tableToken)}&lang=${lang}`;
    const stream = new EventSource(url);
    stream.addEventListener("menu", (event) => setMenu(JSON.parse((event as MessageEvent).data)));
    return () => stream.close();
  }, [props.tableToken, lang]);

  // The filters in the address, so a shared or reloaded page keeps them.
  useEffect(() => {
    const url = new URL(location.href);
    for (const [name, values] of [["exclude", avoid], ["diet", diets]] as const) {
      if (values.length) url.searchParams.set(name, values.join(","));
      else url.searchParams.delete(name);
    }
    history.replaceState(null, "", url);
  }, [avoid, diets]);

  const shown = visibleItems(menu, avoid, diets);
  const blocked = lines.map((line) => unavailableReason(line, items)).filter(Boolean) as string[];
  const total = cartTotal(lines, items);
  const count = cartCount(lines);

  async function place() {
    if (placing || !lines.length || blocked.length) return;
    const body = JSON.stringify(orderBody(props.tableToken, lines, orderNote));
    const stored = readStored(storageKey);
    // The same body keeps its key: a retry after a lost answer returns the order placed then.
    const key = stored.pending?.body === body ? stored.pending.key : newKey();
    writeStored(storageKey, { ...stored, pending: { key, body } });
    setPlacing(true);
    setError(null);
    try {
      const { data, error, response } = await api.POST("/api/orders", {
        body: JSON.parse(body),
        headers: { "idempotency-key": key },
      });
      const answer = data ?? null;
      if (answer && response.status === 201) {
        const placed = { id: answer.id, token: answer.orderToken, order: answer };
        setOrders((all) => [placed, ...all.filter((o) => o.id !== placed.id)]);
        setLines([]);
        setOrderNote("");
        setCartOpen(false);
        writeStored(storageKey, { ...readStored(storageKey), pending: null });
        document.getElementById("orders")?.scrollIntoView({ behavior: "smooth" });
      } else {
        if (response.status !== 429 && response.status < 500) {
          writeStored(storageKey, { ...readStored(storageKey), pending: null });
        }
        const reason = (error as { error?: { message?: string } } | undefined)?.error?.message;
        setError(fill(m.orderFailed, { reason: reason ?? response.statusText }));
      }
    } catch {
      setError(m.offline);
    } finally {
      setPlacing(false);
    }
  }

  const toggle = (list: string[], value: string) =>
    list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
  const allergens = [...new Set(menu.items.flatMap((i) => i.allergens))].sort();
  const rank = (tag: string) => (DIET_ORDER.indexOf(tag) + 1 || 99);
  const dietTags = [...new Set(menu.items.flatMap((i) => i.dietary))]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

  return (
    <div class="guest">
      <details class="filters">
        <summary>
          {m.filters}
          {avoid.length + diets.length ? ` (${avoid.length + diets.length})` : ""}
        </summary>
        <fieldset>
          <legend>{m.avoid}</legend>
          {allergens.map((code) => (
            <label class="chip" key={code}>
              <input
                type="checkbox"
                checked={avoid.includes(code)}
                onChange={() => setAvoid(toggle(avoid, code))}
              />
              {m[`allergen_${code}` as keyof typeof m] ?? code}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>{m.diet}</legend>
          {dietTags.map((tag) => (
            <label class="chip" key={tag}>
              <input
                type="checkbox"
                checked={diets.includes(tag)}
                onChange={() => setDiets(toggle(diets, tag))}
              />
              {m[`diet_${tag}` as keyof typeof m] ?? tag}
            </label>
          ))}
        </fieldset>
      </details>

      <nav class="categories" aria-label={m.filters}>
        {menu.categories.map((category, i) => (
          <a href={`#category-${i}`} key={category.name}>{category.name}</a>
        ))}
      </nav>

      {shown.length === 0 && <p class="empty">{m.noItems}</p>}
      {menu.categories.map((category, i) => {
        const inCategory = shown.filter((item) => category.itemIds.includes(item.id));
        if (!inCategory.length) return null;
        return (
          <section id={`category-${i}`} key={category.name} aria-labelledby={`heading-${i}`}>
            <h2 id={`heading-${i}`}>{category.name}</h2>
            <ul class="items">
              {inCategory.map((item) => (
                <li
                  key={item.id}
                  class={item.available ? "item" : "item unavailable"}
                  data-item={item.id}
                >
                  <div class="item-text">
                    <h3>{item.name}</h3>
                    {item.description && <p class="description">{item.description}</p>}
                    <p class="tags">
                      {item.dietary.map((tag) => (
                        <span class="diet" key={tag}>
                          {m[`diet_${tag}` as keyof typeof m] ?? tag}
                        </span>
                      ))}
                      {item.allergens.map((code) => (
                        <span class="allergen" key={code}>
                          {m[`allergen_${code}` as keyof typeof m] ?? code}
                        </span>
                      ))}
                    </p>
                  </div>
                  <div class="item-buy">
                    <span class="price">{price(item.priceCents)}</span>
                    {item.available
                      ? (
                        <button
                          type="button"
                          class="add"
                          aria-label={`${m.add}: ${item.name}`}
                          onClick={() => setSheet(item)}
                        >
                          {m.add}
                        </button>
                      )
                      : <span class="sold-out">{m.soldOut}</span>}
                  </div>
                </li>
              ))}
            </ul>
          </section>
        );
      })}

      {sheet && (
        <ItemSheet
          item={items.get(sheet.id) ?? sheet}
          currency={menu.location.currency}
          lang={lang}
          onClose={() => setSheet(null)}
          onAdd={(line) => {
            setLines((all) => addLine(all, line));
            setSheet(null);
          }}
        />
      )}

      <Tracker
        orders={orders}
        lang={lang}
        currency={menu.location.currency}
        onChange={() => setBillVersion((n) => n + 1)}
      />
      <TableHelp
        tableToken={props.tableToken}
        lang={lang}
        currency={menu.location.currency}
        refresh={`${orders.length}.${billVersion}`}
      />

      {count > 0 && !cartOpen && (
        <button
          type="button"
          class="cart-bar"
          onClick={() => setCartOpen(true)}
        >
          <span>{count === 1 ? m.item : fill(m.items, { n: count })}</span>
          <span>{m.viewOrder}</span>
          <span>{price(total)}</span>
        </button>
      )}

      {cartOpen && (
        <div class="sheet-backdrop" onClick={() => setCartOpen(false)}>
          <section
            class="sheet cart"
            role="dialog"
            aria-modal="true"
            aria-labelledby="cart-title"
            onClick={(event) => event.stopPropagation()}
            onKeyDown={(event) => event.key === "Escape" && setCartOpen(false)}
          >
            <header>
              <h2 id="cart-title">{m.yourOrder}</h2>
              <button type="button" class="close" onClick={() => setCartOpen(false)}>
                {m.close}
              </button>
            </header>
            {lines.length === 0 && <p>{m.emptyCart}</p>}
            <ul class="lines">
              {lines.map((line) => {
                const item = items.get(line.itemId);
                const reason = unavailableReason(line, items);
                const options = item?.optionGroups.flatMap((g) => g.options)
                  .filter((o) => line.optionIds.includes(o.id)) ?? [];
                return (
                  <li key={line.key} class={reason ? "line unavailable" : "line"}>
                    <div>
                      <strong>{item?.name ?? "?"}</strong>
                      {options.length > 0 && (
                        <span class="line-options">{options.map((o) => o.name).join(", ")}</span>
                      )}
                      {line.note && <span class="line-note">“{line.note}”</span>}
                    </div>
                    <div class="stepper">
                      <button
                        type="button"
                        aria-label={`${m.decrease}: ${item?.name}`}
                        onClick={() =>
                          setLines((all) => setQuantity(all, line.key, line.quantity - 1))}
                      >
                        −
                      </button>
                      <span aria-label={m.quantity}>{line.quantity}</span>
                      <button
                        type="button"
                        aria-label={`${m.increase}: ${item?.name}`}
                        onClick={() =>
                          setLines((all) => setQuantity(all, line.key, line.quantity + 1))}
                      >
                        +
                      </button>
                    </div>
                    <span class="price">
                      {price((unitPrice(line, items) ?? 0) * line.quantity)}
                    </span>
                    {reason && (
                      <span class="warning" role="alert">
                        {fill(m.unavailableInCart, { name: reason })}
                      </span>
                    )}
                  </li>
                );
              })}
            </ul>
            <label class="field">
              {m.orderNote}
              <textarea
                maxLength={MAX_ORDER_NOTE}
                value={orderNote}
                onInput={(event) => setOrderNote((event.target as HTMLTextAreaElement).value)}
              />
            </label>
            {error && <p class="error" role="alert">{error}</p>}
            <button
              type="button"
              class="primary place"
              disabled={placing || !lines.length || blocked.length > 0}
              onClick={place}
            >
              {placing ? m.placing : fill(m.placeOrder, { price: price(total) })}
            </button>
          </section>
        </div>
      )}
    </div>
  );
}
