/**
 * The form that creates or edits one menu item: texts, price, category, station, preparation
 * time, the 14 allergens, dietary tags, option groups with their options, and a translation of
 * every text for each of the location's other languages. The server's `details` are shown next
 * to the field of the same path (`data-path`), the rest above the form.
 */
import type { ComponentChildren } from "preact";
import { fill } from "../../lib/pages/format.ts";
import { guestMessages } from "../../lib/pages/guest_messages.ts";
import { menuMessages } from "../../lib/pages/menu_messages.ts";
import {
  fieldOf,
  fieldPaths,
  type GroupDraft,
  type ItemDraft,
  newGroup,
  newOption,
  type OptionDraft,
} from "./draft.ts";

/** A detail from the server (or the editor's own price check). */
export interface Problem {
  path: string;
  message: string;
}

export interface ItemFormProps {
  draft: ItemDraft;
  onChange: (draft: ItemDraft) => void;
  onSave: () => void;
  onCancel: () => void;
  onDelete?: () => void;
  lang: string;
  currency: string;
  /** The location's languages, its default first. */
  languages: readonly string[];
  /** The 14 EU allergen codes (lib/schemas.ts ALLERGENS, sent by the server: no zod here). */
  allergens: readonly string[];
  categories: readonly string[];
  stations: readonly string[];
  saving: boolean;
  /** The refusal's message and its details, when the last save was refused. */
  refusal: { message: string; details: Problem[] } | null;
}

export function ItemForm(props: ItemFormProps) {
  const { draft, lang, currency } = props;
  const m = menuMessages(lang);
  const g = guestMessages(lang);
  const fields = fieldPaths(draft, props.languages);
  const problems = new Map<string, string[]>();
  const listed: Problem[] = [];
  for (const detail of props.refusal?.details ?? []) {
    const at = fieldOf(detail.path, fields);
    if (at) problems.set(at, [...(problems.get(at) ?? []), detail.message]);
    else listed.push(detail);
  }
  const set = (patch: Partial<ItemDraft>) => props.onChange({ ...draft, ...patch });
  const setGroup = (i: number, patch: Partial<GroupDraft>) =>
    set({ groups: draft.groups.map((group, k) => k === i ? { ...group, ...patch } : group) });
  const setOption = (i: number, j: number, patch: Partial<OptionDraft>) =>
    setGroup(i, {
      options: draft.groups[i].options.map((o, k) => k === j ? { ...o, ...patch } : o),
    });
  const idOf = (path: string) => `f-${path.replaceAll(".", "-")}`;
  const errorOf = (path: string) =>
    problems.has(path)
      ? (
        <p class="field-error" id={`${idOf(path)}-error`}>
          {problems.get(path)!.join(" ")}
        </p>
      )
      : null;
  const described = (path: string, hint?: boolean) =>
    [hint ? `${idOf(path)}-hint` : "", problems.has(path) ? `${idOf(path)}-error` : ""]
      .filter(Boolean).join(" ") || undefined;
  const text = (
    path: string,
    label: string,
    value: string,
    onInput: (value: string) => void,
    extra: { hint?: string; multiline?: boolean; inputMode?: string; list?: string } = {},
  ) => (
    <div class="field" data-path={path}>
      <label for={idOf(path)}>{label}</label>
      {extra.multiline
        ? (
          <textarea
            id={idOf(path)}
            value={value}
            aria-invalid={problems.has(path) ? "true" : undefined}
            aria-describedby={described(path, !!extra.hint)}
            onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)}
          />
        )
        : (
          <input
            id={idOf(path)}
            type="text"
            value={value}
            inputMode={extra.inputMode as "decimal" | undefined}
            list={extra.list}
            aria-invalid={problems.has(path) ? "true" : undefined}
            aria-describedby={described(path, !!extra.hint)}
            onInput={(e) => onInput((e.target as HTMLInputElement).value)}
          />
        )}
      {extra.hint && <p class="hint" id={`${idOf(path)}-hint`}>{extra.hint}</p>}
      {errorOf(path)}
    </div>
  );
  const check = (path: string, label: string, checked: boolean, onChange: (v: boolean) => void) => (
    <label class="check" data-path={path}>
      <input
        type="checkbox"
        checked={checked}
        onChange={(e) => onChange((e.target as HTMLInputElement).checked)}
      />
      <span>{label}</span>
    </label>
  );
  const fieldset = (path: string, legend: string, children: ComponentChildren, cls = "") => (
    <fieldset class={cls} data-path={path}>
      <legend>{legend}</legend>
      {children}
      {errorOf(path)}
    </fieldset>
  );
  const toggle = (list: string[], value: string, on: boolean) =>
    on ? [...list.filter((v) => v !== value), value] : list.filter((v) => v !== value);
  const others = props.languages.slice(1);
  const languageName = (code: string) => {
    try {
      return new Intl.DisplayNames([lang], { type: "language" }).of(code) ?? code;
    } catch {
      return code;
    }
  };
  const title = draft.id ? fill(m.formEdit, { name: draft.name }) : m.formNew;

  return (
    <form
      class="item-form"
      noValidate
      aria-labelledby="item-form-title"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSave();
      }}
    >
      <h2 id="item-form-title" tabIndex={-1}>{title}</h2>
      {props.refusal && (
        <div class="form-refusal" role="alert">
          <p>
            <strong>{m.invalid}</strong> {props.refusal.message}
          </p>
          {listed.length > 0 && (
            <ul>
              {listed.map((p) => (
                <li key={p.path}>{fill(m.fieldError, { field: p.path, message: p.message })}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div class="form-grid">
        {text("name", m.name, draft.name, (name) => set({ name }))}
        {text("priceCents", fill(m.price, { currency }), draft.price, (price) => set({ price }), {
          hint: m.priceHint,
          inputMode: "decimal",
        })}
        {text("category", m.category, draft.category, (category) => set({ category }), {
          list: "menu-categories",
        })}
        {text("station", m.stationField, draft.station, (station) => set({ station }), {
          hint: m.stationHint,
          list: "menu-stations",
        })}
        {text(
          "prepMinutes",
          m.prepMinutes,
          draft.prepMinutes,
          (prepMinutes) => set({ prepMinutes }),
          { hint: m.prepHint, inputMode: "numeric" },
        )}
        {text("dietary", m.dietary, draft.dietary, (dietary) => set({ dietary }), {
          hint: m.dietaryHint,
        })}
      </div>
      {text(
        "description",
        m.description,
        draft.description,
        (description) => set({ description }),
        { multiline: true },
      )}
      <datalist id="menu-categories">
        {props.categories.map((c) => <option key={c} value={c} />)}
      </datalist>
      <datalist id="menu-stations">
        {props.stations.map((s) => <option key={s} value={s} />)}
      </datalist>
      {check("available", m.itemAvailable, draft.available, (available) => set({ available }))}
      {fieldset(
        "allergens",
        m.allergens,
        <div class="checks">
          {props.allergens.map((code) => (
            <label class="check" key={code}>
              <input
                type="checkbox"
                name="allergen"
                value={code}
                checked={draft.allergens.includes(code)}
                onChange={(e) =>
                  set({
                    allergens: toggle(
                      draft.allergens,
                      code,
                      (e.target as HTMLInputElement).checked,
                    ),
                  })}
              />
              <span>{g[`allergen_${code}` as keyof typeof g] ?? code}</span>
            </label>
          ))}
        </div>,
        "allergen-checks",
      )}

      {fieldset(
        "optionGroups",
        m.groups,
        <>
          {draft.groups.map((group, i) =>
            fieldset(
              `optionGroups.${i}`,
              fill(m.group, { n: i + 1 }),
              <>
                <div class="form-grid">
                  {text(
                    `optionGroups.${i}.name`,
                    m.groupName,
                    group.name,
                    (name) => setGroup(i, { name }),
                  )}
                  {text(`optionGroups.${i}.min`, m.min, group.min, (min) => setGroup(i, { min }), {
                    inputMode: "numeric",
                  })}
                  {text(`optionGroups.${i}.max`, m.max, group.max, (max) => setGroup(i, { max }), {
                    inputMode: "numeric",
                  })}
                </div>
                <ol class="option-rows" data-path={`optionGroups.${i}.options`}>
                  {group.options.map((option, j) => (
                    <li class="option-row" key={j}>
                      {text(
                        `optionGroups.${i}.options.${j}.name`,
                        `${fill(m.option, { n: j + 1 })}: ${m.optionName}`,
                        option.name,
                        (name) => setOption(i, j, { name }),
                      )}
                      {text(
                        `optionGroups.${i}.options.${j}.priceDeltaCents`,
                        fill(m.delta, { currency }),
                        option.delta,
                        (delta) => setOption(i, j, { delta }),
                        { inputMode: "decimal" },
                      )}
                      {check(
                        `optionGroups.${i}.options.${j}.available`,
                        m.optionAvailable,
                        option.available,
                        (available) => setOption(i, j, { available }),
                      )}
                      <button
                        type="button"
                        class="remove-option"
                        onClick={() =>
                          setGroup(i, { options: group.options.filter((_, k) => k !== j) })}
                      >
                        {fill(m.removeOption, { n: j + 1 })}
                      </button>
                    </li>
                  ))}
                </ol>
                {errorOf(`optionGroups.${i}.options`)}
                <div class="form-actions">
                  <button
                    type="button"
                    class="add-option"
                    onClick={() => setGroup(i, { options: [...group.options, newOption()] })}
                  >
                    {m.addOption}
                  </button>
                  <button
                    type="button"
                    class="remove-group"
                    onClick={() => set({ groups: draft.groups.filter((_, k) => k !== i) })}
                  >
                    {m.removeGroup}
                  </button>
                </div>
              </>,
              "group-editor",
            )
          )}
          <button
            type="button"
            class="add-group"
            onClick={() => set({ groups: [...draft.groups, newGroup()] })}
          >
            {m.addGroup}
          </button>
        </>,
        "groups-editor",
      )}

      {others.length > 0 && (
        <fieldset class="translations">
          <legend>{m.translations}</legend>
          <p class="hint">
            {fill(m.translationsHint, { lang: languageName(props.languages[0]) })}
          </p>
          {others.map((code) => {
            const t = draft.translations[code] ?? { name: "", description: "", category: "" };
            const setT = (patch: Partial<typeof t>) =>
              set({ translations: { ...draft.translations, [code]: { ...t, ...patch } } });
            return (
              <fieldset key={code} class="translation" data-lang={code}>
                <legend>
                  {fill(m.translationOf, { language: languageName(code), lang: code })}
                </legend>
                <div class="form-grid">
                  {text(
                    `translations.${code}.name`,
                    m.name,
                    t.name,
                    (name) => setT({ name }),
                  )}
                  {text(
                    `translations.${code}.category`,
                    m.category,
                    t.category,
                    (category) => setT({ category }),
                  )}
                </div>
                {text(
                  `translations.${code}.description`,
                  m.description,
                  t.description,
                  (description) => setT({ description }),
                  { multiline: true },
                )}
                {draft.groups.map((group, i) => (
                  <div class="form-grid" key={i}>
                    {text(
                      `optionGroups.${i}.translations.${code}.name`,
                      fill(m.groupNameIn, { n: i + 1 }),
                      group.names[code] ?? "",
                      (name) => setGroup(i, { names: { ...group.names, [code]: name } }),
                    )}
                    {group.options.map((option, j) =>
                      text(
                        `optionGroups.${i}.options.${j}.translations.${code}.name`,
                        fill(m.optionNameIn, { n: i + 1, o: j + 1 }),
                        option.names[code] ?? "",
                        (name) => setOption(i, j, { names: { ...option.names, [code]: name } }),
                      )
                    )}
                  </div>
                ))}
              </fieldset>
            );
          })}
        </fieldset>
      )}

      <div class="form-actions">
        <button type="submit" class="primary save" disabled={props.saving}>
          {props.saving ? m.saving : m.save}
        </button>
        <button type="button" class="cancel" onClick={props.onCancel}>{m.cancel}</button>
        {props.onDelete && (
          <button type="button" class="danger delete" onClick={props.onDelete}>
            {m.delete}
          </button>
        )}
      </div>
    </form>
  );
}
