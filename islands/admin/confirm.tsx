/**
 * A button for a change that cannot be undone (a new QR code, a removal, revoking a device):
 * pressed, it is replaced by the question and two buttons, the confirming one focused so
 * Enter or Escape answer it from the keyboard; cancelled, the focus comes back to the button.
 */
import { useLayoutEffect, useRef, useState } from "preact/hooks";

export function ConfirmButton(
  props: {
    /** The button's text, its class, and its accessible name when the text alone is vague. */
    label: string;
    class: string;
    name?: string;
    disabled?: boolean;
    question: string;
    yes: string;
    no: string;
    onConfirm: () => void;
  },
) {
  const [asking, setAsking] = useState(false);
  const [back, setBack] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const yes = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => {
    if (asking) yes.current?.focus();
    else if (back) {
      button.current?.focus();
      setBack(false);
    }
  }, [asking]);
  const cancel = () => {
    setBack(true);
    setAsking(false);
  };

  if (!asking) {
    return (
      <button
        type="button"
        ref={button}
        class={props.class}
        disabled={props.disabled}
        aria-label={props.name}
        onClick={() => setAsking(true)}
      >
        {props.label}
      </button>
    );
  }
  return (
    <div
      class="confirm"
      role="group"
      aria-label={props.question}
      onKeyDown={(e) => e.key === "Escape" && cancel()}
    >
      <p>{props.question}</p>
      <button
        type="button"
        class="danger"
        ref={yes}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {props.yes}
      </button>
      <button type="button" onClick={cancel}>{props.no}</button>
    </div>
  );
}
