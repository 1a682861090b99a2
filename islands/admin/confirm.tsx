/**
 * An inline confirmation for a change that cannot be undone (a new QR code, a removal,
 * revoking a device): the question and two buttons in place of the one that asked, the
 * confirming one focused so Enter or Escape answer it from the keyboard.
 */
import { useLayoutEffect, useRef } from "preact/hooks";

export function Confirm(
  props: { question: string; yes: string; no: string; onYes: () => void; onNo: () => void },
) {
  const yes = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => yes.current?.focus(), []);
  return (
    <div
      class="confirm"
      role="group"
      aria-label={props.question}
      onKeyDown={(e) => e.key === "Escape" && props.onNo()}
    >
      <p>{props.question}</p>
      <button type="button" class="danger" ref={yes} onClick={props.onYes}>{props.yes}</button>
      <button type="button" onClick={props.onNo}>{props.no}</button>
    </div>
  );
}
