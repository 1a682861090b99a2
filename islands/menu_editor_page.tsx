/**
 * The admin menu editor's island: the location's items by category as stored (unavailable ones
 * and options included), a one-tap availability switch for each item and option, the item form
 * (create, edit, delete with a confirmation), and the menu stream, so an 86 made on another
 * screen shows up here at once. Every change goes through the typed client with the session's
 * CSRF token.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { apiClient } from "../lib/client/api.ts";
import { fill, formatDelta, formatPrice } from "../lib/pages/format.ts";
import { menuMessages } from "../lib/pages/menu_messages.ts";
import type { StaffPageSession } from "../lib/pages/staff_session.ts";
import type { MenuItem } from "../lib/schemas.ts";
import { bodyOf, draftOf, editBody, type ItemDraft, newDraft } from "./menu_editor/draft.ts";
import { ItemForm, type Problem } from "./menu_editor/item_form.tsx";

const api = apiClient();

/** What the server gives the island. */
export interface MenuEditorProps {
  session: StaffPageSession;
  /** The location's languages, its default first. */
  languages: string[];
  /** The allergen codes an item may declare. */
  allergens: string[];
  items: MenuItem[];
}

type Refusal = { message: string; details: Problem[] };
type ApiError = { error?: { message?: string; details?: Problem[] } } | undefined;

export default function MenuEditorPage(props: MenuEditorProps) {
  const { session } = props;
  const lang = session.lang;
  const currency = session.location.currency;
  const m = menuMessages(lang);
  const [items, setItems] = useState(props.items);
  const [draft, setDraft] = useState<ItemDraft | null>(null);
  // The form as it was opened, to tell what the manager changed from what others changed since.
  const [opened, setOpened] = useState<ItemDraft | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [saving, setSaving] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [status, setStatus] = useState("");
  const [live, setLive] = useState<boolean | null>(null);
  const [hydrated, setHydrated] = useState(false);
  const formRef = useRef<HTMLDivElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  // The button that opened the form gets the focus back when it closes.
  const opener = useRef<HTMLElement | null>(null);
  const query = session.locationQuery ? { location: session.locationQuery } : {};
  const headers = session.csrfToken ? { "x-csrf-token": session.csrfToken } : undefined;
  const price = (cents: number) => formatPrice(cents, currency, lang);
  // Reads may come back out of order: only the latest one is shown.
  const reads = useRef(0);
  const reasonOf = (error: ApiError, response: Response) =>
    error?.error?.message ?? response.statusText;

  async function reload() {
    const n = ++reads.current;
    const { data } = await api.GET("/api/menu/items", { params: { query } });
    if (data && n === reads.current) setItems(data.items);
  }

  // Another screen's change (an 86 in the kitchen, an edit elsewhere) comes in on the menu
  // stream; the stored items are read again then.
  useEffect(() => {
    const stream = new EventSource(
      `/api/menu/stream?location=${encodeURIComponent(session.location.slug)}`,
    );
    stream.addEventListener("menu", () => {
      setLive(true);
      reload();
    });
    stream.onerror = () => setLive(false);
    setHydrated(true);
    return () => stream.close();
  }, []);

  useEffect(() => {
    if (draft) formRef.current?.querySelector("h2")?.focus();
    else if (opener.current) {
      const back = opener.current.isConnected
        ? opener.current
        : document.querySelector<HTMLElement>(".menu-editor .new-item");
      opener.current = null;
      back?.focus();
    }
  }, [draft?.id, draft === null]);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  const replace = (item: MenuItem) =>
    setItems((all) => all.map((i) => i.id === item.id ? item : i));

  async function setItemAvailable(item: MenuItem, available: boolean) {
    const { data, error, response } = await api.PATCH("/api/menu/items/{id}", {
      params: { path: { id: item.id }, query },
      body: { available },
      headers,
    });
    if (data) {
      replace(data);
      setStatus(
        fill(m.switched, { name: data.name, state: available ? m.available : m.unavailable }),
      );
    } else setStatus(fill(m.failed, { reason: reasonOf(error as ApiError, response) }));
  }

  async function setOptionAvailable(item: MenuItem, optionId: string, available: boolean) {
    const { data, error, response } = await api.PATCH(
      "/api/menu/items/{id}/options/{optionId}",
      { params: { path: { id: item.id, optionId }, query }, body: { available }, headers },
    );
    if (data) {
      replace(data);
      const option = data.optionGroups.flatMap((g) => g.options).find((o) => o.id === optionId);
      setStatus(
        fill(m.switched, {
          name: option?.name ?? "",
          state: available ? m.available : m.unavailable,
        }),
      );
    } else setStatus(fill(m.failed, { reason: reasonOf(error as ApiError, response) }));
  }

  function open(next: ItemDraft | null) {
    if (next && !draft) opener.current = document.activeElement as HTMLElement | null;
    setDraft(next);
    setOpened(next);
    setRefusal(null);
    setConfirming(false);
  }

  async function save() {
    if (!draft || saving) return;
    const bodyOptions = { currency, languages: props.languages, notAPrice: m.notAPrice };
    const made = bodyOf(draft, bodyOptions);
    if (!made.body) {
      setRefusal({ message: m.notAPrice, details: made.errors });
      return;
    }
    // An edit sends only what the form changed (draft.ts editBody): what others changed meanwhile
    // in the other fields stays.
    const openedBody = draft.id && opened ? bodyOf(opened, bodyOptions).body : null;
    const edit = draft.id
      ? (openedBody
        ? editBody(made.body, openedBody, {
          draft,
          opened: opened!,
          live: items.find((i) => i.id === draft.id),
        })
        : made.body)
      : null;
    if (draft.id && !edit) {
      setDraft(null);
      setRefusal(null);
      setStatus(fill(m.unchanged, { name: draft.name }));
      return;
    }
    setSaving(true);
    try {
      // The body is built from the form's strings (draft.ts); the server validates it.
      const answer = draft.id
        ? await api.PATCH("/api/menu/items/{id}", {
          params: { path: { id: draft.id }, query },
          body: edit as never,
          headers,
        })
        : await api.POST("/api/menu/items", {
          params: { query },
          body: made.body as never,
          headers,
        });
      if (answer.data) {
        const saved = answer.data;
        setItems((all) =>
          all.some((i) => i.id === saved.id)
            ? all.map((i) => i.id === saved.id ? saved : i)
            : [...all, saved]
        );
        setDraft(null);
        setRefusal(null);
        setStatus(fill(m.saved, { name: saved.name }));
      } else {
        const error = answer.error as ApiError;
        setRefusal({
          message: reasonOf(error, answer.response),
          details: error?.error?.details ?? [],
        });
      }
    } catch {
      setRefusal({ message: m.offline, details: [] });
    } finally {
      setSaving(false);
    }
  }

  async function remove() {
    if (!draft?.id) return;
    const { error, response } = await api.DELETE("/api/menu/items/{id}", {
      params: { path: { id: draft.id }, query },
      headers,
    });
    if (response.status === 204) {
      const name = draft.name;
      setItems((all) => all.filter((i) => i.id !== draft.id));
      setDraft(null);
      setConfirming(false);
      setStatus(fill(m.deleted, { name }));
    } else {
      setConfirming(false);
      setRefusal({ message: reasonOf(error as ApiError, response), details: [] });
    }
  }

  const categories = [...new Set(items.map((i) => i.category))];
  const stations = [...new Set(["kitchen", ...items.map((i) => i.station)])];
  // A switch named by its visible word and the item ("Available: Vegan bowl"), pressed while
  // the item or option is available; an 86'd one also carries a badge beside its name.
  const switchButton = (
    label: string,
    available: boolean,
    onToggle: () => void,
    kind: "item" | "option",
  ) => (
    <button
      type="button"
      class={`switch ${available ? "on" : "off"}`}
      data-switch={kind}
      aria-pressed={available ? "true" : "false"}
      onClick={onToggle}
    >
      <span class="knob" aria-hidden="true" />
      <span>{m.available}</span>
      <span class="visually-hidden">: {label}</span>
    </button>
  );
  const badge = (available: boolean) =>
    available ? null : <span class="badge-86">{m.unavailable}</span>;

  return (
    <div
      class={`menu-editor${draft ? " editing" : ""}`}
      data-hydrated={hydrated ? "true" : undefined}
    >
      <div class="menu-editor-bar">
        <p class="intro">{m.intro}</p>
        <button type="button" class="primary new-item" onClick={() => open(newDraft())}>
          {m.newItem}
        </button>
      </div>
      <p class="menu-status" role="status">
        {status}
        {live === false && <span class="offline-note">{m.offline}</span>}
      </p>
      <div class="menu-editor-body">
        {draft && (
          <div class="item-form-panel" ref={formRef}>
            <ItemForm
              draft={draft}
              onChange={setDraft}
              onSave={save}
              onCancel={() => open(null)}
              onDelete={draft.id ? () => setConfirming(true) : undefined}
              lang={lang}
              currency={currency}
              languages={props.languages}
              allergens={props.allergens}
              categories={categories}
              stations={stations}
              saving={saving}
              refusal={refusal}
            />
            {confirming && (
              <div class="confirm" role="alertdialog" aria-labelledby="confirm-text">
                <p id="confirm-text">{fill(m.confirmDelete, { name: draft.name })}</p>
                <div class="form-actions">
                  <button type="button" class="danger confirm-yes" onClick={remove}>
                    {m.confirmYes}
                  </button>
                  <button
                    type="button"
                    class="confirm-no"
                    ref={confirmRef}
                    onClick={() => setConfirming(false)}
                  >
                    {m.confirmNo}
                  </button>
                </div>
              </div>
            )}
          </div>
        )}
        <div class="menu-list">
          {items.length === 0 && <p>{m.noItems}</p>}
          {categories.map((category) => (
            <section key={category} class="menu-category">
              <h2>{category}</h2>
              <ul>
                {items.filter((i) => i.category === category).map((item) => (
                  <li
                    key={item.id}
                    class={`menu-row${item.available ? "" : " unavailable"}`}
                    data-item={item.id}
                  >
                    <div class="row-main">
                      <div class="row-text">
                        <h3>{item.name}</h3>
                        <p class="row-facts">
                          <span class="price">{price(item.priceCents)}</span>
                          <span>{fill(m.station, { station: item.station })}</span>
                          {badge(item.available)}
                        </p>
                      </div>
                      {switchButton(
                        item.name,
                        item.available,
                        () => setItemAvailable(item, !item.available),
                        "item",
                      )}
                      <button
                        type="button"
                        class="edit"
                        aria-label={fill(m.editOf, { name: item.name })}
                        onClick={() => open(draftOf(item, currency, lang))}
                      >
                        {m.edit}
                      </button>
                    </div>
                    {item.optionGroups.length > 0 && (
                      <ul class="row-options" aria-label={`${item.name}: ${m.options}`}>
                        {item.optionGroups.flatMap((group) =>
                          group.options.map((option) => (
                            <li
                              key={option.id}
                              data-option={option.id}
                              class={option.available ? "" : "unavailable"}
                            >
                              <span class="option-label">
                                {group.name}: {option.name}
                                {option.priceDeltaCents !== 0 &&
                                  ` (${formatDelta(option.priceDeltaCents, currency, lang)})`}
                                {badge(option.available)}
                              </span>
                              {switchButton(
                                `${item.name}, ${option.name}`,
                                option.available,
                                () => setOptionAvailable(item, option.id, !option.available),
                                "option",
                              )}
                            </li>
                          ))
                        )}
                      </ul>
                    )}
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </div>
      </div>
    </div>
  );
}
