/**
 * The kitchen display's texts (`/kitchen`), English and German, for the server render and the
 * kitchen island; shared staff words (statuses, the connection line) are in staff_messages.ts.
 */

const en = {
  title: "Kitchen",
  tickets: "tickets",
  stations: "Stations",
  expo: "Expo (all stations)",
  column_pending: "Waiting for acceptance",
  column_queued: "Queued",
  column_preparing: "Preparing",
  column_ready: "Ready",
  noTickets: "No tickets.",
  age: "Age {age}",
  start: "Start",
  markReady: "Ready",
  recall: "Recall",
  allergens: "Allergens",
  allergensUnknown: "Allergens: check the menu",
  otherStations: "+{n} line(s) for other stations",
  note: "Note",
  orderNote: "Order note",
  soundOn: "Sound on",
  soundOff: "Sound off",
  newTicket: "New ticket: table {n}",
  estimate: "Due {time}",
};

/** The kitchen display's message keys. */
export type KitchenMessages = typeof en;

const de: KitchenMessages = {
  title: "Küche",
  tickets: "Bons",
  stations: "Stationen",
  expo: "Pass (alle Stationen)",
  column_pending: "Wartet auf Annahme",
  column_queued: "Warteschlange",
  column_preparing: "In Zubereitung",
  column_ready: "Fertig",
  noTickets: "Keine Bons.",
  age: "Alter {age}",
  start: "Beginnen",
  markReady: "Fertig",
  recall: "Zurückholen",
  allergens: "Allergene",
  allergensUnknown: "Allergene: siehe Speisekarte",
  otherStations: "+{n} Position(en) anderer Stationen",
  note: "Hinweis",
  orderNote: "Hinweis zur Bestellung",
  soundOn: "Ton an",
  soundOff: "Ton aus",
  newTicket: "Neuer Bon: Tisch {n}",
  estimate: "Fällig {time}",
};

const catalogues: Record<string, KitchenMessages> = { en, de };

/** The kitchen texts in `lang` (English when there are none in it). */
export function kitchenMessages(lang: string): KitchenMessages {
  return catalogues[lang] ?? catalogues[lang.split("-")[0]] ?? en;
}
