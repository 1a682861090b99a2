/**
 * The table's bill and its calls for help: the open visit's running total (`GET /api/visit`,
 * fetched again whenever one of the table's orders changes) and "call a server" / "ask for the
 * bill" (`POST /api/service-requests`), both through the typed client.
 */
import { useEffect, useState } from "preact/hooks";
import { apiClient } from "../../lib/client/api.ts";
import { fill, formatPrice } from "../../lib/pages/format.ts";
import { guestMessages } from "../../lib/pages/guest_messages.ts";

const api = apiClient();

export function TableHelp(
  props: { tableToken: string; lang: string; currency: string; refresh: string },
) {
  const m = guestMessages(props.lang);
  const [total, setTotal] = useState<number | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  useEffect(() => {
    let stale = false;
    api.GET("/api/visit", { params: { query: { table: props.tableToken } } }).then(({ data }) => {
      if (!stale) setTotal(data?.status === "open" ? data.totalCents : null);
    }).catch(() => {});
    return () => stale = true;
  }, [props.tableToken, props.refresh]);

  async function ask(kind: "call_server" | "bill") {
    if (sending) return;
    setSending(true);
    try {
      const { response, error } = await api.POST("/api/service-requests", {
        body: { tableToken: props.tableToken, kind },
      });
      const reason = (error as { error?: { message?: string } } | undefined)?.error?.message;
      setStatus(
        response.status === 201
          ? m.requestSent
          : fill(m.requestFailed, { reason: reason ?? response.statusText }),
      );
    } catch {
      setStatus(m.offline);
    } finally {
      setSending(false);
    }
  }

  return (
    <section class="help" aria-labelledby="help-title">
      {total !== null && (
        <p class="bill">
          <span>{m.bill}</span>
          <strong data-bill-total={total}>
            {m.billTotal}: {formatPrice(total, props.currency, props.lang)}
          </strong>
        </p>
      )}
      <h2 id="help-title">{m.help}</h2>
      <div class="help-buttons">
        <button type="button" disabled={sending} onClick={() => ask("call_server")}>
          {m.callServer}
        </button>
        <button type="button" disabled={sending} onClick={() => ask("bill")}>{m.askBill}</button>
      </div>
      {status && <p class="help-status" role="status">{status}</p>}
    </section>
  );
}
