-- SeatServe analytics mirror: the tables the mirror writes from the change feed.
-- Times are timestamptz (UTC); money is integer minor units with the order's currency.
-- Catalog rows (locations, menu_items, tables) carry the feed position of the change they are as
-- of (`<versionstamp>-<index>`, zero-padded, so positions compare as text); orders carry their
-- `version`. A write never replaces a row with an older one, so replaying the feed is harmless.

-- Where the mirror is in each location's change feed: the last change applied. Written in the same
-- transaction as the rows of the changes up to it.
CREATE TABLE mirror_cursors (
  location_id   text PRIMARY KEY,
  versionstamp  text,
  change_index  integer,
  -- When the cursor was last advanced (null: never).
  advanced_at   timestamptz,
  -- +1 on every advance: what a writer checks to advance it (processes racing on one cursor).
  generation    bigint NOT NULL DEFAULT 0
);

CREATE TABLE locations (
  id                text PRIMARY KEY,
  slug              text NOT NULL,
  name              text NOT NULL,
  currency          text NOT NULL,
  default_language  text NOT NULL DEFAULT 'en',
  created_at        timestamptz NOT NULL,
  feed_position     text NOT NULL DEFAULT ''
);

CREATE TABLE menu_items (
  id             text PRIMARY KEY,
  location_id    text NOT NULL,
  name           text NOT NULL,
  description    text NOT NULL DEFAULT '',
  category       text NOT NULL,
  price_cents    integer NOT NULL,
  available      boolean NOT NULL,
  allergens      jsonb NOT NULL DEFAULT '[]',
  dietary        jsonb NOT NULL DEFAULT '[]',
  station        text NOT NULL DEFAULT 'kitchen',
  option_groups  jsonb NOT NULL DEFAULT '[]',
  deleted        boolean NOT NULL DEFAULT false,
  feed_position  text NOT NULL DEFAULT ''
);
CREATE INDEX menu_items_location ON menu_items (location_id);

-- Tables of a location. Their QR tokens are credentials and are not mirrored.
CREATE TABLE tables (
  id           text PRIMARY KEY,
  location_id  text NOT NULL,
  number       integer NOT NULL,
  seats        integer NOT NULL,
  status       text NOT NULL,
  deleted      boolean NOT NULL DEFAULT false,
  feed_position  text NOT NULL DEFAULT ''
);
CREATE INDEX tables_location ON tables (location_id);

-- One row per order, as of its highest version seen.
CREATE TABLE orders (
  id            text PRIMARY KEY,
  location_id   text NOT NULL,
  table_id      text NOT NULL,
  table_number  integer NOT NULL,
  visit_id      text,
  status        text NOT NULL,
  version       integer NOT NULL,
  total_cents   bigint NOT NULL,
  currency      text NOT NULL,
  note          text NOT NULL DEFAULT '',
  line_count    integer NOT NULL,
  item_count    integer NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE INDEX orders_location_created ON orders (location_id, created_at);

-- One row per order line; `line_no` is its index in the order (0-based).
CREATE TABLE order_lines (
  order_id          text NOT NULL,
  line_no           integer NOT NULL,
  order_version     integer NOT NULL,
  location_id       text NOT NULL,
  menu_item_id      text NOT NULL,
  name              text NOT NULL,
  quantity          integer NOT NULL,
  unit_price_cents  bigint NOT NULL,
  line_total_cents  bigint NOT NULL,
  note              text NOT NULL DEFAULT '',
  options           jsonb NOT NULL DEFAULT '[]',
  station           text NOT NULL DEFAULT 'kitchen',
  ready_at          timestamptz,
  PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_location ON order_lines (location_id);

-- One row per entry of an order's history; `seq` is its index (0 = the pending entry).
CREATE TABLE order_status_changes (
  order_id     text NOT NULL,
  seq          integer NOT NULL,
  location_id  text NOT NULL,
  status       text NOT NULL,
  at           timestamptz NOT NULL,
  by           text NOT NULL,
  PRIMARY KEY (order_id, seq)
);
CREATE INDEX order_status_changes_location_at ON order_status_changes (location_id, at);

-- Table visits (a table's bill: from its first order until closed).
CREATE TABLE table_visits (
  id           text PRIMARY KEY,
  location_id  text NOT NULL,
  table_id     text NOT NULL,
  status       text NOT NULL,
  opened_at    timestamptz NOT NULL,
  closed_at    timestamptz,
  total_cents  bigint NOT NULL DEFAULT 0,
  currency     text,
  order_ids    jsonb NOT NULL DEFAULT '[]',
  version      integer NOT NULL DEFAULT 1
);
CREATE INDEX table_visits_location_opened ON table_visits (location_id, opened_at);

CREATE TABLE service_requests (
  id           text PRIMARY KEY,
  location_id  text NOT NULL,
  table_id     text NOT NULL,
  kind         text NOT NULL,
  note         text NOT NULL DEFAULT '',
  status       text NOT NULL,
  created_at   timestamptz NOT NULL,
  acked_at     timestamptz,
  acked_by     text,
  version      integer NOT NULL DEFAULT 1
);
CREATE INDEX service_requests_location_created ON service_requests (location_id, created_at);

CREATE TABLE audit_entries (
  id           text PRIMARY KEY,
  location_id  text NOT NULL,
  at           timestamptz NOT NULL,
  actor_type   text NOT NULL,
  actor_id     text NOT NULL,
  actor_role   text,
  actor_label  text,
  actor_email  text,
  action       text NOT NULL,
  target_type  text,
  target_id    text,
  before       jsonb,
  after        jsonb,
  request_id   text
);
CREATE INDEX audit_entries_location_at ON audit_entries (location_id, at);
