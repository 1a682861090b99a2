/**
 * The overview's settings form (GET/PATCH /api/settings): only the fields changed here are
 * sent. The endpoint has no ETag, so before saving the form reads the settings again: a field
 * someone else changed meanwhile that was also changed here is a conflict, shown beside the
 * field with their value and saved only when the manager saves again; a field changed only
 * elsewhere just takes its new value.
 */
import { useState } from "preact/hooks";
import type { Settings } from "../../lib/kitchen/settings.ts";
import { fill } from "../../lib/pages/format.ts";
import { type AdminMessages, adminMessages } from "../../lib/pages/admin_messages.ts";
import type { StaffPageSession } from "../../lib/pages/staff_session.ts";
import { adminClient, problemOf, staffQuery } from "./api.ts";

type Name = keyof Settings;
const NAMES: Name[] = [
  "autoAccept",
  "orderingPaused",
  "pausedMessage",
  "maxOpenOrders",
  "ticketWarnMinutes",
  "ticketLateMinutes",
];
const NUMBERS = new Set<Name>(["maxOpenOrders", "ticketWarnMinutes", "ticketLateMinutes"]);

/** The form's values: numbers as typed. */
type Form = Record<Name, string | boolean>;

function formOf(settings: Settings): Form {
  return Object.fromEntries(
    NAMES.map((name) => [name, NUMBERS.has(name) ? String(settings[name]) : settings[name]]),
  ) as Form;
}

/** A form value as the API takes it (an empty number is sent as is, for the server to refuse). */
function valueOf(name: Name, value: string | boolean): unknown {
  if (!NUMBERS.has(name)) return value;
  return value === "" ? null : Number(value);
}

function shown(m: AdminMessages, value: unknown): string {
  return typeof value === "boolean" ? (value ? m.yes : m.no) : String(value);
}

type Outcome = { kind: "saved" | "error" | "conflict" | "same"; text: string } | null;

export function SettingsForm(props: { session: StaffPageSession; settings: Settings }) {
  const { session } = props;
  const m = adminMessages(session.lang);
  const [baseline, setBaseline] = useState(props.settings);
  const [form, setForm] = useState(formOf(props.settings));
  const [theirs, setTheirs] = useState<Partial<Settings>>({});
  const [saving, setSaving] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const set = (name: Name, value: string | boolean) => setForm({ ...form, [name]: value });

  async function save(event: Event) {
    event.preventDefault();
    const api = adminClient(session);
    const query = staffQuery(session);
    const changed = NAMES.filter((name) => valueOf(name, form[name]) !== baseline[name]);
    if (!changed.length) return setOutcome({ kind: "same", text: m.nothingChanged });
    setSaving(true);
    setOutcome(null);
    try {
      const current = await api.GET("/api/settings", { params: { query } });
      if (!current.data) {
        return setOutcome({
          kind: "error",
          text: fill(m.failed, { reason: problemOf(current.error, current.response) }),
        });
      }
      const now = current.data;
      const conflicts = changed.filter((name) =>
        now[name] !== baseline[name] && now[name] !== valueOf(name, form[name])
      );
      // Fields changed only elsewhere take their new value.
      const next = { ...form };
      for (const name of NAMES) {
        if (!changed.includes(name) && now[name] !== baseline[name]) {
          (next as Record<string, unknown>)[name] = formOf(now)[name];
        }
      }
      if (conflicts.length) {
        setBaseline(now);
        setForm(next);
        setTheirs(Object.fromEntries(conflicts.map((name) => [name, now[name]])));
        return setOutcome({
          kind: "conflict",
          text: fill(m.settingsConflict, { names: conflicts.map((name) => m[name]).join(", ") }),
        });
      }
      const patch = Object.fromEntries(changed.map((name) => [name, valueOf(name, form[name])]));
      const saved = await api.PATCH("/api/settings", {
        params: { query },
        body: patch as Partial<Settings>,
      });
      if (!saved.data) {
        setForm(next);
        return setOutcome({
          kind: "error",
          text: fill(m.failed, { reason: problemOf(saved.error, saved.response) }),
        });
      }
      setBaseline(saved.data);
      setForm(formOf(saved.data));
      setTheirs({});
      setOutcome({ kind: "saved", text: m.saved });
    } catch {
      setOutcome({ kind: "error", text: m.offline });
    } finally {
      setSaving(false);
    }
  }

  const hint = (name: Name) =>
    name in theirs
      ? (
        <p class="conflict-value" id={`${name}-theirs`}>
          {fill(m.theirValue, { value: shown(m, theirs[name]) })}
        </p>
      )
      : null;
  const described = (name: Name, own?: string) =>
    [own, name in theirs ? `${name}-theirs` : undefined].filter(Boolean).join(" ") || undefined;
  const checkbox = (name: "autoAccept" | "orderingPaused", help?: string) => (
    <div class="setting check">
      <input
        id={`setting-${name}`}
        type="checkbox"
        checked={form[name] as boolean}
        onChange={(e) => set(name, (e.target as HTMLInputElement).checked)}
        aria-describedby={described(name, help ? `${name}-help` : undefined)}
      />
      <label for={`setting-${name}`}>{m[name]}</label>
      {help && <p class="hint" id={`${name}-help`}>{help}</p>}
      {hint(name)}
    </div>
  );
  const number = (name: Name, min: number, max: number) => (
    <div class="setting">
      <label for={`setting-${name}`}>{m[name]}</label>
      <input
        id={`setting-${name}`}
        type="number"
        inputMode="numeric"
        min={min}
        max={max}
        step={1}
        value={form[name] as string}
        onInput={(e) => set(name, (e.target as HTMLInputElement).value)}
        aria-describedby={described(name)}
      />
      {hint(name)}
    </div>
  );

  return (
    <section class="settings" aria-labelledby="settings-title">
      <h2 id="settings-title">{m.settings}</h2>
      <form onSubmit={save} noValidate>
        {checkbox("autoAccept", m.autoAcceptHint)}
        {checkbox("orderingPaused")}
        <div class="setting">
          <label for="setting-pausedMessage">{m.pausedMessage}</label>
          <textarea
            id="setting-pausedMessage"
            rows={2}
            maxLength={300}
            value={form.pausedMessage as string}
            onInput={(e) => set("pausedMessage", (e.target as HTMLTextAreaElement).value)}
            aria-describedby={described("pausedMessage")}
          />
          {hint("pausedMessage")}
        </div>
        {number("maxOpenOrders", 0, 10_000)}
        {number("ticketWarnMinutes", 1, 600)}
        {number("ticketLateMinutes", 1, 600)}
        <button type="submit" class="primary" disabled={saving}>
          {saving ? m.saving : m.save}
        </button>
        <p class={`outcome ${outcome?.kind ?? ""}`} role="status">{outcome?.text ?? ""}</p>
      </form>
    </section>
  );
}
