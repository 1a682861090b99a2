/**
 * The Postgres mirror as a `FeedSink`: its cursor lives in Postgres (`mirror_cursors`, one row
 * per location), and each batch of feed entries is applied in one Postgres transaction that
 * checks the cursor it read, writes the rows of the batch with one multi-row upsert per table,
 * and advances the cursor.
 *
 * Orders are upserted only over an older `version` (a counter that survives a restore, which
 * versionstamps do not), so a replay never moves a row backwards; history rows are keyed by
 * (order id, index) and only ever inserted, so a replay never duplicates one. Catalog rows carry
 * the feed position they are as of, compared the same way. The rows are built in Postgres from
 * one JSON parameter per statement (`jsonb_array_elements`), so a batch of 2,000 orders is a
 * handful of statements whatever its lines and history.
 *
 * Service requests (over an older version only), closed table visits (with their orders'
 * `visit_id`) and each location's settings are mirrored too. The sink is tolerant of what the
 * feed will carry later: a change type it does not know is skipped (logged once), and fields a line or item may lack default (`station` 'kitchen',
 * `options` and `optionGroups` '[]').
 */
import type postgres from "postgres";
import type { FeedSink, SinkBatch, SinkCursor } from "../feed/consumer.ts";
import { type FeedChange, type FeedPosition, newestPosition } from "../feed/feed.ts";
import { getLocation } from "../catalog/locations.ts";
import { listMenuItems } from "../catalog/menu.ts";
import { listTables } from "../catalog/tables.ts";
import { auditPrefix, ordersPrefix } from "../kv/keys.ts";
import type { Location, MenuItem, Order, Table } from "../schemas.ts";
import type { ServiceRequest } from "../floor/requests.ts";
import type { Settings } from "../kitchen/settings.ts";
import type { Visit } from "../visits/visit.ts";
import type { AuditEntry } from "../audit/entry.ts";

/** A Postgres client or a transaction of one. */
type Sql = postgres.Sql | postgres.TransactionSql;

/** Orders per statement when repairing from the store. */
const REPAIR_CHUNK = 1000;

/** Change types already reported as skipped, so each is logged once per process. */
const skippedTypes = new Set<string>();

/** Options of the sink. */
export interface MirrorSinkOptions {
  /** Called after each batch applied, with its changes (for the lag meter). */
  onApplied?: (locationId: string, batch: SinkBatch) => void;
  /** Called with each cursor read (another process may have moved it). */
  onCursor?: (locationId: string, cursor: SinkCursor) => void;
}

/** The sink that writes the feed into Postgres. */
export function mirrorSink(
  kv: Deno.Kv,
  sql: postgres.Sql,
  options: MirrorSinkOptions = {},
): FeedSink {
  return {
    name: "postgres mirror",
    async readCursor(locationId): Promise<SinkCursor> {
      const cursor = await readMirrorCursor(sql, locationId);
      options.onCursor?.(locationId, cursor);
      return cursor;
    },
    async apply(locationId, batch): Promise<boolean> {
      const applied = await sql.begin(async (tx) => {
        await tx`INSERT INTO mirror_cursors (location_id) VALUES (${locationId})
                 ON CONFLICT DO NOTHING`;
        const [row] = await tx<{ generation: string }[]>`
          SELECT generation FROM mirror_cursors WHERE location_id = ${locationId} FOR UPDATE`;
        if (Number(row.generation) !== (batch.read.check ?? 0)) return false;
        await writeChanges(tx, locationId, batch.changes);
        await tx`
          UPDATE mirror_cursors
          SET versionstamp = ${batch.next?.versionstamp ?? null},
              change_index = ${batch.next?.index ?? null},
              advanced_at = ${new Date(batch.now)},
              generation = generation + 1
          WHERE location_id = ${locationId}`;
        return true;
      });
      if (applied) options.onApplied?.(locationId, batch);
      return applied;
    },
    async repair(locationId): Promise<void> {
      // Every order, not only those since `sinceMs`: an old order moved while the feed was not
      // read would be missed otherwise, and this runs only after a long outage.
      await repairLocation(kv, sql, locationId);
    },
  };
}

/** A location's mirror cursor as stored (`check` is its generation). */
export async function readMirrorCursor(sql: Sql, locationId: string): Promise<SinkCursor> {
  const [row] = await sql<
    {
      versionstamp: string | null;
      change_index: number | null;
      advanced_at: Date | null;
      generation: string;
    }[]
  >`SELECT versionstamp, change_index, advanced_at, generation
    FROM mirror_cursors WHERE location_id = ${locationId}`;
  if (!row) return { position: null, at: null, check: 0 };
  return {
    position: row.versionstamp === null
      ? null
      : { versionstamp: row.versionstamp, index: row.change_index ?? 0 },
    at: row.advanced_at?.getTime() ?? null,
    check: Number(row.generation),
  };
}

/** Forgets a location's cursor, so the next catch-up repairs from the store and replays the feed. */
export async function resetMirrorCursor(sql: Sql, locationId: string): Promise<void> {
  await sql`DELETE FROM mirror_cursors WHERE location_id = ${locationId}`;
}

/** A feed position as text that sorts as the feed does. */
export function positionText(position: FeedPosition | null): string {
  return position ? `${position.versionstamp}-${String(position.index).padStart(4, "0")}` : "";
}

/** Options of a repair. */
export interface RepairOptions {
  /** Called after each chunk of orders written, with how many so far. */
  onOrders?: (written: number) => void;
}

/**
 * Brings a location's rows up to the store: its catalog as it is now (items and tables no longer
 * there are marked deleted) and every order, each upserted over an older version only.
 */
export async function repairLocation(
  kv: Deno.Kv,
  sql: postgres.Sql,
  locationId: string,
  options: RepairOptions = {},
): Promise<void> {
  // Read the feed's head before the catalog: changes after it replay over this state.
  const position = positionText(await newestPosition(kv, locationId));
  const location = await getLocation(kv, locationId);
  const items = await listMenuItems(kv, locationId);
  const tables = await listTables(kv, locationId);
  await sql.begin(async (tx) => {
    if (location) await upsertLocations(tx, [{ location, position }]);
    await upsertMenuItems(
      tx,
      items.map((item) => ({ item, locationId, deleted: false, position })),
    );
    await upsertTables(tx, tables.map((table) => ({ table, deleted: false, position })));
    const itemIds = items.map((i) => i.id);
    const tableIds = tables.map((t) => t.id);
    await tx`UPDATE menu_items SET deleted = true, feed_position = ${position}
             WHERE location_id = ${locationId} AND NOT deleted AND feed_position <= ${position}
               AND NOT (id = ANY(${itemIds}::text[]))`;
    await tx`UPDATE tables SET deleted = true, feed_position = ${position}
             WHERE location_id = ${locationId} AND NOT deleted AND feed_position <= ${position}
               AND NOT (id = ANY(${tableIds}::text[]))`;
  });
  const decoder = new TextDecoder();
  let chunk: string[] = [];
  let written = 0;
  const flush = async () => {
    if (!chunk.length) return;
    await upsertOrdersJson(sql, `[${chunk.join(",")}]`);
    written += chunk.length;
    chunk = [];
    options.onOrders?.(written);
  };
  for await (
    const entry of kv.list<Uint8Array>({ prefix: ordersPrefix(locationId) }, { batchSize: 500 })
  ) {
    // The stored bytes are the order's JSON: no need to parse and encode it again.
    chunk.push(decoder.decode(entry.value));
    if (chunk.length >= REPAIR_CHUNK) await flush();
  }
  await flush();
  // The audit entries the store still holds (the feed's copies of older ones have expired).
  let audits: AuditEntry[] = [];
  for await (
    const entry of kv.list<AuditEntry>({ prefix: auditPrefix(locationId) }, { batchSize: 500 })
  ) {
    audits.push(entry.value);
    if (audits.length >= REPAIR_CHUNK) {
      await insertAuditEntries(sql, audits);
      audits = [];
    }
  }
  if (audits.length) await insertAuditEntries(sql, audits);
}

/** Writes the rows of a batch of changes: each thing as of its last change in the batch. */
async function writeChanges(
  tx: postgres.TransactionSql,
  locationId: string,
  changes: FeedChange[],
): Promise<void> {
  const orders = new Map<string, Order>();
  const items = new Map<string, ItemRow>();
  const tables = new Map<string, TableRow>();
  const locations = new Map<string, LocationRow>();
  const requests = new Map<string, ServiceRequest>();
  const visits = new Map<string, Visit>();
  let settings: { settings: Settings; position: string } | null = null;
  const audits: AuditEntry[] = [];
  for (const change of changes) {
    const position = positionText(change);
    switch (change.type) {
      case "order": {
        const seen = orders.get(change.order.id);
        if (!seen || seen.version <= change.order.version) {
          orders.set(change.order.id, change.order);
        }
        break;
      }
      case "menu_item":
        items.set(change.item.id, {
          item: change.item,
          locationId,
          deleted: change.deleted,
          position,
        });
        break;
      case "table":
        tables.set(change.table.id, { table: change.table, deleted: change.deleted, position });
        break;
      case "location":
        locations.set(change.location.id, { location: change.location, position });
        break;
      case "service_request": {
        const seen = requests.get(change.request.id);
        if (!seen || seen.version <= change.request.version) {
          requests.set(change.request.id, change.request);
        }
        break;
      }
      case "visit":
        visits.set(change.visit.id, change.visit);
        break;
      case "settings":
        settings = { settings: change.settings, position };
        break;
      case "audit":
        audits.push(change.entry);
        break;
      default: {
        const type = String((change as { type?: unknown }).type);
        if (!skippedTypes.has(type)) {
          skippedTypes.add(type);
          console.warn(`postgres mirror: skipping changes of type "${type}" (not mirrored yet)`);
        }
      }
    }
  }
  if (orders.size) await upsertOrdersJson(tx, JSON.stringify([...orders.values()]));
  if (locations.size) await upsertLocations(tx, [...locations.values()]);
  if (items.size) await upsertMenuItems(tx, [...items.values()]);
  if (tables.size) await upsertTables(tx, [...tables.values()]);
  if (requests.size) await upsertServiceRequests(tx, [...requests.values()]);
  if (visits.size) await upsertVisits(tx, [...visits.values()]);
  if (settings) await upsertSettings(tx, locationId, settings);
  if (audits.length) await insertAuditEntries(tx, audits);
}

/**
 * Inserts audit entries (each written once, under its id, so a replay adds nothing). The
 * location's id is the entry's scope.
 */
async function insertAuditEntries(sql: Sql, entries: AuditEntry[]): Promise<void> {
  await sql.unsafe(
    `INSERT INTO audit_entries (id, location_id, at, actor_type, actor_id, actor_role,
                                actor_label, actor_email, action, target_type, target_id,
                                before, after, request_id)
     SELECT r->>'id', r->>'scope', (r->>'at')::timestamptz, r->'actor'->>'type',
            r->'actor'->>'id', r->'actor'->>'role', r->'actor'->>'label', r->'actor'->>'email',
            r->>'action', r->'target'->>'type', r->'target'->>'id', r->'before', r->'after',
            r->>'requestId'
     FROM jsonb_array_elements($1::text::jsonb) AS t(r)
     ON CONFLICT (id) DO NOTHING`,
    [JSON.stringify(entries)],
    { prepare: true },
  );
}

/** Service requests, each over an older version only. */
async function upsertServiceRequests(sql: Sql, rows: ServiceRequest[]): Promise<void> {
  await sql.unsafe(
    `INSERT INTO service_requests (id, location_id, table_id, table_number, kind, note, status,
                                   created_at, acked_at, acked_by, version)
     SELECT r->>'id', r->>'locationId', r->>'tableId', (r->>'tableNumber')::int, r->>'kind',
            coalesce(r->>'note', ''), r->>'status', (r->>'createdAt')::timestamptz,
            (r->>'acknowledgedAt')::timestamptz, r->>'acknowledgedBy', (r->>'version')::int
     FROM jsonb_array_elements($1::text::jsonb) AS t(r)
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, acked_at = excluded.acked_at,
       acked_by = excluded.acked_by, version = excluded.version
     WHERE service_requests.version < excluded.version`,
    [JSON.stringify(rows)],
    { prepare: true },
  );
}

/**
 * Closed table visits (a visit reaches the feed when it closes: its orders, total and times),
 * and their orders' `visit_id`. A close is final, so a replay writes the same row again.
 */
async function upsertVisits(sql: Sql, rows: Visit[]): Promise<void> {
  const json = JSON.stringify(rows);
  await sql.unsafe(
    `INSERT INTO table_visits (id, location_id, table_id, table_number, status, opened_at,
                               closed_at, total_cents, currency, order_ids, closed_by)
     SELECT v->>'id', v->>'locationId', v->>'tableId', (v->>'tableNumber')::int, v->>'status',
            (v->>'openedAt')::timestamptz, (v->>'closedAt')::timestamptz,
            (v->>'totalCents')::bigint, v->>'currency', v->'orders', v->>'closedBy'
     FROM jsonb_array_elements($1::text::jsonb) AS t(v)
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, closed_at = excluded.closed_at,
       total_cents = excluded.total_cents, order_ids = excluded.order_ids,
       closed_by = excluded.closed_by, table_number = excluded.table_number`,
    [json],
    { prepare: true },
  );
  await sql.unsafe(
    `UPDATE orders o SET visit_id = v->>'id'
     FROM jsonb_array_elements($1::text::jsonb) AS t(v),
          jsonb_array_elements_text(v->'orders') AS m(order_id)
     WHERE o.id = m.order_id AND o.visit_id IS DISTINCT FROM v->>'id'`,
    [json],
    { prepare: true },
  );
}

/** A location's settings as of the latest change in the batch. */
async function upsertSettings(
  sql: Sql,
  locationId: string,
  row: { settings: Settings; position: string },
): Promise<void> {
  await sql.unsafe(
    `INSERT INTO location_settings (location_id, settings, feed_position)
     VALUES ($1, $2::text::jsonb, $3)
     ON CONFLICT (location_id) DO UPDATE SET settings = excluded.settings,
       feed_position = excluded.feed_position
     WHERE location_settings.feed_position <= excluded.feed_position`,
    [locationId, JSON.stringify(row.settings), row.position],
    { prepare: true },
  );
}

interface ItemRow {
  item: MenuItem;
  locationId: string;
  deleted: boolean;
  position: string;
}
interface TableRow {
  table: Table;
  deleted: boolean;
  position: string;
}
interface LocationRow {
  location: Location;
  position: string;
}

/**
 * Upserts orders, their lines and their history from a JSON array of orders (each order once),
 * in one statement: orders and lines over an older version only, history rows inserted once.
 */
async function upsertOrdersJson(sql: Sql, ordersJson: string): Promise<void> {
  // Prepared: the statement is planned once per connection, not per batch.
  await sql.unsafe(UPSERT_ORDERS, [ordersJson], { prepare: true });
}

const UPSERT_ORDERS = `
WITH input AS MATERIALIZED (
  SELECT o FROM jsonb_array_elements($1::text::jsonb) AS t(o)
), upserted_orders AS (
  INSERT INTO orders (id, location_id, table_id, table_number, visit_id, status, version,
                      total_cents, currency, note, line_count, item_count, created_at, updated_at)
  SELECT o->>'id', o->>'locationId', o->>'tableId', (o->>'tableNumber')::int, o->>'visitId',
         o->>'status', (o->>'version')::int, (o->>'totalCents')::bigint, o->>'currency',
         coalesce(o->>'note', ''), jsonb_array_length(o->'items'),
         (SELECT coalesce(sum((i->>'quantity')::int), 0) FROM jsonb_array_elements(o->'items') i),
         (o->>'createdAt')::timestamptz, (o->>'updatedAt')::timestamptz
  FROM input
  ON CONFLICT (id) DO UPDATE SET
    table_id = excluded.table_id, table_number = excluded.table_number,
    visit_id = coalesce(excluded.visit_id, orders.visit_id), status = excluded.status,
    version = excluded.version,
    total_cents = excluded.total_cents, currency = excluded.currency, note = excluded.note,
    line_count = excluded.line_count, item_count = excluded.item_count,
    updated_at = excluded.updated_at
  WHERE orders.version < excluded.version
  RETURNING 1
), upserted_lines AS (
  INSERT INTO order_lines (order_id, line_no, order_version, location_id, menu_item_id, name,
                           quantity, unit_price_cents, line_total_cents, note, options, station,
                           ready_at)
  SELECT o->>'id', (l.n - 1)::int, (o->>'version')::int, o->>'locationId', l.v->>'menuItemId',
         l.v->>'name', (l.v->>'quantity')::int, (l.v->>'unitPriceCents')::bigint,
         (l.v->>'lineTotalCents')::bigint, coalesce(l.v->>'note', ''),
         coalesce(l.v->'options', '[]'::jsonb), coalesce(l.v->>'station', 'kitchen'),
         (l.v->>'readyAt')::timestamptz
  FROM input, jsonb_array_elements(o->'items') WITH ORDINALITY AS l(v, n)
  ON CONFLICT (order_id, line_no) DO UPDATE SET
    order_version = excluded.order_version, menu_item_id = excluded.menu_item_id,
    name = excluded.name, quantity = excluded.quantity,
    unit_price_cents = excluded.unit_price_cents, line_total_cents = excluded.line_total_cents,
    note = excluded.note, options = excluded.options, station = excluded.station,
    ready_at = excluded.ready_at
  WHERE order_lines.order_version < excluded.order_version
  RETURNING 1
), inserted_history AS (
  INSERT INTO order_status_changes (order_id, seq, location_id, status, at, by)
  SELECT o->>'id', (h.n - 1)::int, o->>'locationId', h.v->>'status', (h.v->>'at')::timestamptz,
         coalesce(h.v->>'by', '')
  FROM input, jsonb_array_elements(o->'history') WITH ORDINALITY AS h(v, n)
  ON CONFLICT (order_id, seq) DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM upserted_orders) AS orders,
       (SELECT count(*) FROM upserted_lines) AS lines,
       (SELECT count(*) FROM inserted_history) AS history`;

async function upsertLocations(sql: Sql, rows: LocationRow[]): Promise<void> {
  if (!rows.length) return;
  await sql.unsafe(
    `INSERT INTO locations (id, slug, name, currency, default_language, created_at, feed_position)
     SELECT r->'l'->>'id', r->'l'->>'slug', r->'l'->>'name', r->'l'->>'currency',
            coalesce(r->'l'->>'defaultLanguage', 'en'), (r->'l'->>'createdAt')::timestamptz,
            r->>'p'
     FROM jsonb_array_elements($1::text::jsonb) AS t(r)
     ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, name = excluded.name,
       currency = excluded.currency, default_language = excluded.default_language,
       created_at = excluded.created_at, feed_position = excluded.feed_position
     WHERE locations.feed_position <= excluded.feed_position`,
    [JSON.stringify(rows.map((r) => ({ l: r.location, p: r.position })))],
    { prepare: true },
  );
}

async function upsertMenuItems(sql: Sql, rows: ItemRow[]): Promise<void> {
  if (!rows.length) return;
  await sql.unsafe(
    `INSERT INTO menu_items (id, location_id, name, description, category, price_cents, available,
                             allergens, dietary, station, option_groups, deleted, feed_position)
     SELECT r->'i'->>'id', r->>'loc', r->'i'->>'name', coalesce(r->'i'->>'description', ''),
            r->'i'->>'category', (r->'i'->>'priceCents')::int, (r->'i'->>'available')::boolean,
            coalesce(r->'i'->'allergens', '[]'::jsonb), coalesce(r->'i'->'dietary', '[]'::jsonb),
            coalesce(r->'i'->>'station', 'kitchen'), coalesce(r->'i'->'optionGroups', '[]'::jsonb),
            (r->>'d')::boolean, r->>'p'
     FROM jsonb_array_elements($1::text::jsonb) AS t(r)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
       category = excluded.category, price_cents = excluded.price_cents,
       available = excluded.available, allergens = excluded.allergens,
       dietary = excluded.dietary, station = excluded.station,
       option_groups = excluded.option_groups, deleted = excluded.deleted,
       feed_position = excluded.feed_position
     WHERE menu_items.feed_position <= excluded.feed_position`,
    [JSON.stringify(
      rows.map((r) => ({ i: r.item, loc: r.locationId, d: r.deleted, p: r.position })),
    )],
    { prepare: true },
  );
}

async function upsertTables(sql: Sql, rows: TableRow[]): Promise<void> {
  if (!rows.length) return;
  // The QR token is a credential: it stays out of the mirror.
  const json = rows.map((r) => ({
    id: r.table.id,
    loc: r.table.locationId,
    number: r.table.number,
    seats: r.table.seats,
    status: r.table.status,
    d: r.deleted,
    p: r.position,
  }));
  await sql.unsafe(
    `INSERT INTO tables (id, location_id, number, seats, status, deleted, feed_position)
     SELECT r->>'id', r->>'loc', (r->>'number')::int, (r->>'seats')::int, r->>'status',
            (r->>'d')::boolean, r->>'p'
     FROM jsonb_array_elements($1::text::jsonb) AS t(r)
     ON CONFLICT (id) DO UPDATE SET location_id = excluded.location_id, number = excluded.number,
       seats = excluded.seats, status = excluded.status, deleted = excluded.deleted,
       feed_position = excluded.feed_position
     WHERE tables.feed_position <= excluded.feed_position`,
    [JSON.stringify(json)],
    { prepare: true },
  );
}
