/**
 * The texts of the admin analytics page (`/admin/analytics`, islands/analytics_page.tsx), in
 * English and German.
 */

const en = {
  title: "Analytics",
  range: "Period",
  from: "From",
  to: "To (included)",
  show: "Show",
  loading: "Loading…",
  rangeNote: "Days in UTC. Figures trail the orders by a few seconds.",
  mirrorOff:
    "Analytics need the Postgres mirror. Set DATABASE_URL and restart the server to turn it on; ordering works without it.",
  mirrorDown: "The analytics database does not answer right now; try again shortly.",
  invalidDays: "Pick a start and an end date.",
  failed: "The figures could not be read: {reason}",
  totals: "Totals",
  orders: "Orders",
  revenue: "Revenue",
  averageOrder: "Average order",
  noData: "No orders in this period.",
  chartNote: "Chart of the table below.",
  revenueByDay: "Revenue by day",
  revenueByHour: "Revenue by hour",
  day: "Day",
  hour: "Hour (UTC)",
  items: "Items sold",
  item: "Item",
  quantity: "Quantity",
  stageTimes: "Stage times",
  stage: "Stage",
  count: "Orders",
  p50: "Median (p50)",
  p90: "p90",
  pendingToQueued: "Accepted (pending → queued)",
  queuedToReady: "Prepared (queued → ready)",
  readyToDelivered: "Served (ready → delivered)",
  cancellations: "Cancellations",
  cancelled: "Cancelled",
  cancelledValue: "Value cancelled",
  cancelRate: "Share cancelled",
  fromPending: "Before acceptance",
  fromQueued: "After acceptance",
  otherCancel: "Later",
  tables: "Orders per table",
  table: "Table",
  tableN: "Table {n}",
  minutes: "{n} min",
  seconds: "{n} s",
  none: "–",
};

/** The analytics page's message keys. */
export type AnalyticsMessages = typeof en;

const de: AnalyticsMessages = {
  title: "Auswertungen",
  range: "Zeitraum",
  from: "Von",
  to: "Bis (einschließlich)",
  show: "Anzeigen",
  loading: "Lädt…",
  rangeNote: "Tage in UTC. Die Zahlen folgen den Bestellungen mit wenigen Sekunden Abstand.",
  mirrorOff:
    "Auswertungen brauchen den Postgres-Spiegel. Setzen Sie DATABASE_URL und starten Sie den Server neu; Bestellungen gehen auch ohne.",
  mirrorDown: "Die Auswertungsdatenbank antwortet gerade nicht; bitte gleich noch einmal.",
  invalidDays: "Wählen Sie ein Start- und ein Enddatum.",
  failed: "Die Zahlen konnten nicht gelesen werden: {reason}",
  totals: "Summen",
  orders: "Bestellungen",
  revenue: "Umsatz",
  averageOrder: "Durchschnittliche Bestellung",
  noData: "Keine Bestellungen in diesem Zeitraum.",
  chartNote: "Diagramm der Tabelle darunter.",
  revenueByDay: "Umsatz pro Tag",
  revenueByHour: "Umsatz pro Stunde",
  day: "Tag",
  hour: "Stunde (UTC)",
  items: "Verkaufte Artikel",
  item: "Artikel",
  quantity: "Menge",
  stageTimes: "Zeiten je Schritt",
  stage: "Schritt",
  count: "Bestellungen",
  p50: "Median (p50)",
  p90: "p90",
  pendingToQueued: "Angenommen (offen → eingereiht)",
  queuedToReady: "Zubereitet (eingereiht → fertig)",
  readyToDelivered: "Serviert (fertig → geliefert)",
  cancellations: "Stornierungen",
  cancelled: "Storniert",
  cancelledValue: "Stornierter Wert",
  cancelRate: "Anteil storniert",
  fromPending: "Vor der Annahme",
  fromQueued: "Nach der Annahme",
  otherCancel: "Später",
  tables: "Bestellungen pro Tisch",
  table: "Tisch",
  tableN: "Tisch {n}",
  minutes: "{n} Min.",
  seconds: "{n} s",
  none: "–",
};

const catalogues: Record<string, AnalyticsMessages> = { en, de };

/** The analytics page's texts in `lang` (English when there are none in it). */
export function analyticsMessages(lang: string): AnalyticsMessages {
  return catalogues[lang] ?? catalogues[lang.split("-")[0]] ?? en;
}
