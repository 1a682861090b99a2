/**
 * The texts every staff page shares (sign-in, navigation, refusals), in the languages the pages
 * speak; each staff page adds its own catalogue beside this one. A language without one falls
 * back to English.
 */

const en = {
  brand: "SeatServe",
  nav: "Staff pages",
  page_kitchen: "Kitchen",
  page_floor: "Floor",
  page_admin: "Admin",
  signedInAs: "Signed in as {who} ({role})",
  role_owner: "owner",
  role_manager: "manager",
  role_server: "server",
  role_kitchen: "kitchen",
  signOut: "Sign out",
  signInTitle: "Sign in",
  signInIntro: "This page is for the restaurant's staff.",
  sessionEnded: "Your session has ended. Please sign in again.",
  signInWithAccount: "Sign in with your staff account",
  tokenLegend: "Or open this screen with a device token",
  tokenLabel: "Device or bootstrap token",
  tokenHint:
    "Managers create device tokens on the admin page. The token is not kept in the address.",
  open: "Open",
  forbiddenTitle: "Not for your role",
  forbiddenBody: "Your sign-in ({role}) cannot open this page.",
  goHome: "Go to your page",
  notFoundTitle: "No such restaurant",
  notFoundBody: "The location in this link does not exist or is not yours.",
  adminNav: "Admin sections",
  admin_overview: "Overview",
  admin_tables: "Tables & QR codes",
  admin_menu: "Menu",
  admin_people: "Staff & devices",
  admin_audit: "Audit log",
  admin_analytics: "Analytics",
  // Live screens (islands/live): the connection, staleness and taps waiting to be sent.
  live_online: "Live",
  live_connecting: "Connecting…",
  live_offline: "Offline",
  live_asOf: " · {what} as of {time} ({ago})",
  live_signedOut: "Signed out: open this screen again with its token or sign in.",
  live_queued: "{n} change(s) waiting to be sent",
  live_waiting: "Waiting to be sent",
  ago_now: "just now",
  ago_seconds: "{n} s ago",
  ago_minutes: "{n} min ago",
  changedElsewhere: "Changed elsewhere: now {status}. Nothing was changed here.",
  tapRefused: "Not done: {reason}",
  dismiss: "Dismiss",
  table: "Table {n}",
  status_pending: "Waiting for acceptance",
  status_queued: "Queued",
  status_preparing: "Preparing",
  status_ready: "Ready",
  status_delivered: "Served",
  status_closed: "Closed",
  status_cancelled: "Cancelled",
  orderingPaused: "Ordering from the tables is paused: guests are asked to order from a server.",
};

/** The message keys staff pages share. */
export type StaffMessages = typeof en;

const de: StaffMessages = {
  brand: "SeatServe",
  nav: "Mitarbeiterseiten",
  page_kitchen: "Küche",
  page_floor: "Service",
  page_admin: "Verwaltung",
  signedInAs: "Angemeldet als {who} ({role})",
  role_owner: "Inhaber",
  role_manager: "Leitung",
  role_server: "Service",
  role_kitchen: "Küche",
  signOut: "Abmelden",
  signInTitle: "Anmelden",
  signInIntro: "Diese Seite ist für das Personal des Restaurants.",
  sessionEnded: "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.",
  signInWithAccount: "Mit Ihrem Mitarbeiterkonto anmelden",
  tokenLegend: "Oder diesen Bildschirm mit einem Geräte-Token öffnen",
  tokenLabel: "Geräte- oder Bootstrap-Token",
  tokenHint:
    "Geräte-Tokens erstellt die Leitung auf der Verwaltungsseite. Das Token bleibt nicht in der Adresse.",
  open: "Öffnen",
  forbiddenTitle: "Nicht für Ihre Rolle",
  forbiddenBody: "Ihre Anmeldung ({role}) kann diese Seite nicht öffnen.",
  goHome: "Zu Ihrer Seite",
  notFoundTitle: "Kein solches Restaurant",
  notFoundBody: "Der Standort in diesem Link existiert nicht oder gehört nicht zu Ihnen.",
  adminNav: "Verwaltungsbereiche",
  admin_overview: "Übersicht",
  admin_tables: "Tische & QR-Codes",
  admin_menu: "Speisekarte",
  admin_people: "Personal & Geräte",
  admin_audit: "Protokoll",
  admin_analytics: "Auswertungen",
  live_online: "Live",
  live_connecting: "Verbinde…",
  live_offline: "Offline",
  live_asOf: " · {what} von {time} ({ago})",
  live_signedOut:
    "Abgemeldet: Öffnen Sie diesen Bildschirm erneut mit seinem Token oder melden Sie sich an.",
  live_queued: "{n} Änderung(en) warten auf das Senden",
  live_waiting: "Wartet auf das Senden",
  ago_now: "gerade eben",
  ago_seconds: "vor {n} s",
  ago_minutes: "vor {n} Min.",
  changedElsewhere: "Anderswo geändert: jetzt {status}. Hier wurde nichts geändert.",
  tapRefused: "Nicht erledigt: {reason}",
  dismiss: "Ausblenden",
  table: "Tisch {n}",
  status_pending: "Wartet auf Annahme",
  status_queued: "In der Warteschlange",
  status_preparing: "In Zubereitung",
  status_ready: "Fertig",
  status_delivered: "Serviert",
  status_closed: "Abgeschlossen",
  status_cancelled: "Storniert",
  orderingPaused:
    "Bestellungen an den Tischen sind pausiert: Gäste werden gebeten, beim Service zu bestellen.",
};

const catalogues: Record<string, StaffMessages> = { en, de };

/** The shared staff texts in `lang` (English when there are none in it). */
export function staffMessages(lang: string): StaffMessages {
  return catalogues[lang] ?? catalogues[lang.split("-")[0]] ?? en;
}
