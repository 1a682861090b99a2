/**
 * The floor page's texts (`/floor`), English and German, for the server render and the floor
 * island; shared staff words (statuses, the connection line) are in staff_messages.ts.
 */

const en = {
  title: "Floor",
  orders: "orders",
  toAccept: "Waiting for acceptance",
  toRun: "Ready to serve",
  calls: "Calls",
  tables: "Tables",
  nothing: "Nothing waiting.",
  accept: "Accept",
  cancel: "Cancel",
  cancelConfirm: "Tap again to cancel",
  delivered: "Served",
  acknowledge: "On my way",
  kind_call_server: "Call for a server",
  kind_bill: "Asks for the bill",
  kind_water: "Asks for water",
  kind_other: "Request",
  waitingFor: "waiting {age}",
  free: "Free",
  occupied: "Occupied",
  bill: "Bill {total}",
  openOrders: "{n} open order(s)",
  closeTable: "Close table",
  closing: "Closing…",
  closed: "Closed: bill {total}",
  stillOpen: "Cannot close yet: {orders}",
  orderIs: "order #{id} is {status}",
  closeFailed: "Not closed: {reason}",
  offlineClose: "Closing a table needs a connection.",
  seats: "{n} seats",
};

/** The floor page's message keys. */
export type FloorMessages = typeof en;

const de: FloorMessages = {
  title: "Service",
  orders: "Bestellungen",
  toAccept: "Wartet auf Annahme",
  toRun: "Fertig zum Servieren",
  calls: "Rufe",
  tables: "Tische",
  nothing: "Nichts offen.",
  accept: "Annehmen",
  cancel: "Stornieren",
  cancelConfirm: "Zum Stornieren erneut tippen",
  delivered: "Serviert",
  acknowledge: "Komme",
  kind_call_server: "Ruft die Bedienung",
  kind_bill: "Möchte zahlen",
  kind_water: "Möchte Wasser",
  kind_other: "Anliegen",
  waitingFor: "wartet seit {age}",
  free: "Frei",
  occupied: "Besetzt",
  bill: "Rechnung {total}",
  openOrders: "{n} offene Bestellung(en)",
  closeTable: "Tisch abschließen",
  closing: "Wird abgeschlossen…",
  closed: "Abgeschlossen: Rechnung {total}",
  stillOpen: "Noch nicht möglich: {orders}",
  orderIs: "Bestellung #{id} ist {status}",
  closeFailed: "Nicht abgeschlossen: {reason}",
  offlineClose: "Zum Abschließen braucht es eine Verbindung.",
  seats: "{n} Plätze",
};

const catalogues: Record<string, FloorMessages> = { en, de };

/** The floor texts in `lang` (English when there are none in it). */
export function floorMessages(lang: string): FloorMessages {
  return catalogues[lang] ?? catalogues[lang.split("-")[0]] ?? en;
}
