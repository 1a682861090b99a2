-- Kitchen and floor operations (issue 11): what the feed's new change kinds need besides the
-- `table_visits` and `service_requests` tables of 001.

-- A visit's close, and who closed it; `visit_id` of orders is filled from the close.
ALTER TABLE table_visits ADD COLUMN IF NOT EXISTS table_number integer;
ALTER TABLE table_visits ADD COLUMN IF NOT EXISTS closed_by text;
CREATE INDEX IF NOT EXISTS orders_visit ON orders (visit_id);

-- The table's number when the request was made.
ALTER TABLE service_requests ADD COLUMN IF NOT EXISTS table_number integer;

-- Each location's settings as of the feed position they were changed at.
CREATE TABLE IF NOT EXISTS location_settings (
  location_id    text PRIMARY KEY,
  settings       jsonb NOT NULL,
  feed_position  text NOT NULL DEFAULT ''
);
