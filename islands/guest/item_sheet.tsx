/**
 * The item sheet: an item's option groups with their rules (a single choice as radio buttons,
 * several as check boxes, 86'd options disabled), quantity and a note, and the line's price as
 * chosen. "Add" is enabled only when every group's rule is met.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { MenuViewItem } from "../../lib/schemas.ts";
import { fill, formatDelta, formatPrice } from "../../lib/pages/format.ts";
import { guestMessages } from "../../lib/pages/guest_messages.ts";
import { type CartLine, choiceFits, MAX_LINE_NOTE, MAX_QUANTITY } from "./cart.ts";
import { newKey } from "./storage.ts";

export interface ItemSheetProps {
  item: MenuViewItem;
  currency: string;
  lang: string;
  onAdd: (line: CartLine) => void;
  onClose: () => void;
}

export function ItemSheet({ item, currency, lang, onAdd, onClose }: ItemSheetProps) {
  const m = guestMessages(lang);
  // Required single choices start on their first available option.
  const [chosen, setChosen] = useState<string[]>(() =>
    item.optionGroups.flatMap((g) =>
      g.min === 1 && g.max === 1 ? g.options.filter((o) => o.available).slice(0, 1) : []
    ).map((o) => o.id)
  );
  const [quantity, setQuantityValue] = useState(1);
  const [note, setNote] = useState("");
  const dialog = useRef<HTMLElement>(null);
  useEffect(() => {
    dialog.current?.querySelector<HTMLElement>("input, textarea, button")?.focus();
  }, []);

  const price = (cents: number) => formatPrice(cents, currency, lang);
  let unit = item.priceCents;
  for (const group of item.optionGroups) {
    for (const option of group.options) {
      if (chosen.includes(option.id)) unit += option.priceDeltaCents;
    }
  }
  const fits = choiceFits(item, chosen) && item.available &&
    item.optionGroups.every((g) => g.options.every((o) => o.available || !chosen.includes(o.id)));

  function pick(groupId: string, optionId: string, single: boolean) {
    const group = item.optionGroups.find((g) => g.id === groupId)!;
    const inGroup = new Set(group.options.map((o) => o.id));
    setChosen((all) => {
      if (single) return [...all.filter((id) => !inGroup.has(id)), optionId];
      if (all.includes(optionId)) return all.filter((id) => id !== optionId);
      const count = all.filter((id) => inGroup.has(id)).length;
      return count >= group.max ? all : [...all, optionId];
    });
  }

  function rule(min: number, max: number): string {
    if (min === max) return fill(m.chooseExactly, { n: min });
    if (min === 0) return fill(m.chooseUpTo, { n: max });
    if (max >= 99) return fill(m.chooseAtLeast, { n: min });
    return fill(m.chooseBetween, { min, max });
  }

  // Options in menu order, as the server stores them.
  const ordered = item.optionGroups.flatMap((g) => g.options.map((o) => o.id))
    .filter((id) => chosen.includes(id));

  return (
    <div class="sheet-backdrop" onClick={onClose}>
      <section
        ref={dialog}
        class="sheet"
        role="dialog"
        aria-modal="true"
        aria-labelledby="sheet-title"
        onClick={(event) => event.stopPropagation()}
        onKeyDown={(event) => event.key === "Escape" && onClose()}
      >
        <header>
          <h2 id="sheet-title">{item.name}</h2>
          <button type="button" class="close" onClick={onClose}>{m.close}</button>
        </header>
        {item.description && <p class="description">{item.description}</p>}
        {item.optionGroups.map((group) => {
          const single = group.max === 1;
          return (
            <fieldset class="group" key={group.id}>
              <legend>
                {group.name}{" "}
                <span class="rule">
                  {group.min > 0 ? m.required : m.optional} · {rule(group.min, group.max)}
                </span>
              </legend>
              {group.options.map((option) => (
                <label class={option.available ? "option" : "option unavailable"} key={option.id}>
                  <input
                    type={single ? "radio" : "checkbox"}
                    name={`group-${group.id}`}
                    value={option.id}
                    disabled={!option.available}
                    checked={chosen.includes(option.id)}
                    onChange={() =>
                      pick(group.id, option.id, single)}
                  />
                  <span class="option-name">{option.name}</span>
                  <span class="option-price">
                    {option.available
                      ? formatDelta(option.priceDeltaCents, currency, lang)
                      : m.soldOut}
                  </span>
                </label>
              ))}
            </fieldset>
          );
        })}
        <label class="field">
          {m.note}
          <textarea
            maxLength={MAX_LINE_NOTE}
            placeholder={m.notePlaceholder}
            value={note}
            onInput={(event) => setNote((event.target as HTMLTextAreaElement).value)}
          />
        </label>
        <div class="stepper" role="group" aria-label={m.quantity}>
          <button
            type="button"
            aria-label={m.decrease}
            disabled={quantity <= 1}
            onClick={() => setQuantityValue(quantity - 1)}
          >
            −
          </button>
          <span>{quantity}</span>
          <button
            type="button"
            aria-label={m.increase}
            disabled={quantity >= MAX_QUANTITY}
            onClick={() => setQuantityValue(quantity + 1)}
          >
            +
          </button>
        </div>
        <button
          type="button"
          class="primary"
          disabled={!fits}
          onClick={() =>
            onAdd({
              key: newKey(),
              itemId: item.id,
              optionIds: ordered,
              quantity,
              note: note.trim(),
            })}
        >
          {item.available ? fill(m.addToOrder, { price: price(unit * quantity) }) : m.soldOut}
        </button>
      </section>
    </div>
  );
}
