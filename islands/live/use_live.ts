/**
 * The hook a live staff island is built on: the board (orders and requests) from the server's
 * render, kept current by the kitchen stream (stream.ts) from the render's position on; the
 * connection's state; and the taps, sent at once when online, else queued in the outbox and
 * sent in order once the stream is back. A refused tap (409: changed elsewhere) leaves a notice
 * on its ticket and changes nothing.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import {
  applyEvent,
  type Board,
  fromSnapshot,
  type LiveOrder,
  withOrder,
  withRequest,
} from "./board.ts";
import type { ServiceRequest } from "../../lib/floor/requests.ts";
import { connectLive, type LiveState } from "./stream.ts";
import {
  type QueuedTap,
  readOutbox,
  sendTap,
  type Tap,
  type TapContext,
  tapTarget,
  writeOutbox,
} from "./outbox.ts";

/** What the server rendered the screen from: the board as of the feed position `cursor`. */
export interface LiveStart {
  orders: LiveOrder[];
  requests?: ServiceRequest[];
  cursor: string | null;
  /** When the server read it (ms since the epoch). */
  at: number;
}

/** A tap the server refused, shown on its ticket until dismissed. */
export interface TapNotice {
  tap: Tap;
  status: number;
  code: string;
  message: string;
}

const RETRY_MS = 3_000;

/** The live board of a screen. */
export function useLive(
  props: { streamUrl: string; start: LiveStart; context: TapContext; outboxKey: string },
) {
  const [board, setBoard] = useState<Board>(() => fromSnapshot(props.start));
  const [state, setState] = useState<LiveState>({
    online: false,
    heardAt: props.start.at,
    signedOut: false,
    connected: false,
  });
  const [queued, setQueued] = useState<QueuedTap[]>([]);
  const [notices, setNotices] = useState<Record<string, TapNotice>>({});
  const outbox = useRef<QueuedTap[]>([]);
  const online = useRef(false);
  const flushing = useRef(false);
  const retry = useRef<ReturnType<typeof setTimeout> | null>(null);

  const keep = (taps: QueuedTap[]) => {
    outbox.current = taps;
    writeOutbox(props.outboxKey, taps);
    setQueued(taps);
  };

  async function flush() {
    if (flushing.current) return;
    flushing.current = true;
    try {
      while (online.current && outbox.current.length) {
        const tap = outbox.current[0];
        const result = await sendTap(tap, props.context);
        if (result.kind === "unsent") {
          if (retry.current === null) {
            retry.current = setTimeout(() => {
              retry.current = null;
              flush();
            }, RETRY_MS);
          }
          return;
        }
        keep(outbox.current.filter((t) => t.id !== tap.id));
        const target = tapTarget(tap);
        if (result.kind === "done") {
          if (result.order) setBoard((b) => withOrder(b, result.order!));
          if (result.request) setBoard((b) => withRequest(b, result.request!));
          setNotices(({ [target]: _, ...rest }) => rest);
        } else if (!(tap.kind === "ack" && result.code === "already_acknowledged")) {
          const { status, code, message } = result;
          setNotices((all) => ({ ...all, [target]: { tap, status, code, message } }));
        }
      }
    } finally {
      flushing.current = false;
    }
  }

  useEffect(() => {
    keep(readOutbox(props.outboxKey));
    const connection = connectLive({
      url: props.streamUrl,
      lastEventId: props.start.cursor,
      onEvent(event) {
        let data: unknown;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        setBoard((b) => applyEvent(b, event.event, data));
      },
      onState(next) {
        // Staleness counts from the render until the stream first answers.
        if (!next.connected) next = { ...next, heardAt: props.start.at };
        const cameBack = next.online && !online.current;
        online.current = next.online;
        setState(next);
        if (cameBack) flush();
      },
    });
    return () => connection.close();
  }, [props.streamUrl]);

  /** Makes a tap: sent now when online, else when the stream is back. */
  function tap(made: Tap) {
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    keep([...outbox.current, { ...made, id, at: Date.now() }]);
    setNotices(({ [tapTarget(made)]: _, ...rest }) => rest);
    flush();
  }

  /** Forgets the notice on `target`. */
  function dismiss(target: string) {
    setNotices(({ [target]: _, ...rest }) => rest);
  }

  return { board, state, queued, notices, tap, dismiss };
}
