-- Analytics views. Row-level views (sold_lines, sold_options, order_stage_times,
-- station_stage_times, visit_times) keep each row's time, so a query can take any time range;
-- the *_by_day and *_by_hour views aggregate them per location. Days and hours are UTC.
-- Revenue counts every order that was not cancelled, by the time it was placed.

CREATE VIEW sold_lines AS
SELECT l.location_id, l.order_id, o.created_at, o.table_id, o.table_number, l.line_no,
       l.menu_item_id, l.name, l.quantity, l.unit_price_cents, l.line_total_cents, l.options,
       l.station, o.currency
FROM order_lines l
JOIN orders o ON o.id = l.order_id
WHERE o.status <> 'cancelled';

CREATE VIEW sold_options AS
SELECT s.location_id, s.order_id, s.created_at, s.line_no, s.menu_item_id,
       opt->>'groupId' AS group_id, opt->>'group' AS group_name,
       opt->>'optionId' AS option_id, opt->>'name' AS option_name,
       s.quantity, (coalesce((opt->>'priceDeltaCents')::bigint, 0) * s.quantity) AS revenue_cents,
       s.currency
FROM sold_lines s
CROSS JOIN LATERAL jsonb_array_elements(s.options) AS opt;

CREATE VIEW revenue_by_hour AS
SELECT location_id, date_trunc('hour', created_at) AS hour, currency,
       count(*) AS orders, sum(total_cents) AS revenue_cents
FROM orders
WHERE status <> 'cancelled'
GROUP BY location_id, date_trunc('hour', created_at), currency;

CREATE VIEW revenue_by_day AS
SELECT location_id, (date_trunc('day', hour))::date AS day, currency,
       sum(orders)::bigint AS orders, sum(revenue_cents)::bigint AS revenue_cents
FROM revenue_by_hour
GROUP BY location_id, date_trunc('day', hour), currency;

CREATE VIEW item_sales_by_day AS
SELECT location_id, (date_trunc('day', created_at))::date AS day, menu_item_id, name,
       sum(quantity)::bigint AS quantity, sum(line_total_cents)::bigint AS revenue_cents,
       count(DISTINCT order_id) AS orders
FROM sold_lines
GROUP BY location_id, date_trunc('day', created_at), menu_item_id, name;

CREATE VIEW option_sales_by_day AS
SELECT location_id, (date_trunc('day', created_at))::date AS day, group_id, group_name,
       option_id, option_name, sum(quantity)::bigint AS quantity,
       sum(revenue_cents)::bigint AS revenue_cents
FROM sold_options
GROUP BY location_id, date_trunc('day', created_at), group_id, group_name, option_id,
         option_name;

-- One row per order: when it first reached each stage and the seconds between stages (null when
-- it has not reached both). After a recall (ready -> preparing) the last `ready` counts.
CREATE VIEW order_stage_times AS
SELECT o.id AS order_id, o.location_id, o.created_at, o.status, o.table_id,
       h.pending_at, h.queued_at, h.ready_at, h.delivered_at, h.cancelled_at,
       extract(epoch FROM h.queued_at - h.pending_at)::double precision AS pending_to_queued_s,
       extract(epoch FROM h.ready_at - h.queued_at)::double precision AS queued_to_ready_s,
       extract(epoch FROM h.delivered_at - h.ready_at)::double precision AS ready_to_delivered_s
FROM orders o
CROSS JOIN LATERAL (
  SELECT min(at) FILTER (WHERE status = 'pending') AS pending_at,
         min(at) FILTER (WHERE status = 'queued') AS queued_at,
         max(at) FILTER (WHERE status = 'ready') AS ready_at,
         min(at) FILTER (WHERE status = 'delivered') AS delivered_at,
         min(at) FILTER (WHERE status = 'cancelled') AS cancelled_at
  FROM order_status_changes s
  WHERE s.order_id = o.id
) h;

-- One row per order and station: queued until that station's lines were ready (the last line's
-- `ready_at` when every line of the station has one, else the order's `ready`).
CREATE VIEW station_stage_times AS
SELECT l.order_id, l.location_id, l.station, t.created_at,
       extract(epoch FROM (
         CASE WHEN count(l.ready_at) = count(*) THEN max(l.ready_at) ELSE t.ready_at END
       ) - t.queued_at)::double precision AS queued_to_ready_s
FROM order_lines l
JOIN order_stage_times t ON t.order_id = l.order_id
WHERE t.queued_at IS NOT NULL AND t.status <> 'cancelled'
GROUP BY l.order_id, l.location_id, l.station, t.created_at, t.ready_at, t.queued_at;

CREATE VIEW stage_times_by_day AS
SELECT location_id, (date_trunc('day', created_at))::date AS day, stage,
       count(seconds) AS orders,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS p50_s,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) AS p90_s
FROM order_stage_times
CROSS JOIN LATERAL (VALUES ('pending_to_queued', pending_to_queued_s),
                           ('queued_to_ready', queued_to_ready_s),
                           ('ready_to_delivered', ready_to_delivered_s)) AS v(stage, seconds)
WHERE seconds IS NOT NULL
GROUP BY location_id, date_trunc('day', created_at), stage;

CREATE VIEW station_times_by_day AS
SELECT location_id, (date_trunc('day', created_at))::date AS day, station,
       count(queued_to_ready_s) AS orders,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY queued_to_ready_s) AS p50_s,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY queued_to_ready_s) AS p90_s
FROM station_stage_times
WHERE queued_to_ready_s IS NOT NULL
GROUP BY location_id, date_trunc('day', created_at), station;

-- One row per closed table visit: how long it lasted and what it spent.
CREATE VIEW visit_times AS
SELECT v.id AS visit_id, v.location_id, v.table_id, t.number AS table_number, v.opened_at,
       v.closed_at, extract(epoch FROM v.closed_at - v.opened_at)::double precision / 60
         AS visit_minutes,
       v.total_cents, v.currency, jsonb_array_length(v.order_ids) AS orders
FROM table_visits v
LEFT JOIN tables t ON t.id = v.table_id
WHERE v.closed_at IS NOT NULL;

CREATE VIEW table_turnover_by_day AS
SELECT location_id, (date_trunc('day', opened_at))::date AS day, table_id, table_number,
       count(*) AS visits, avg(visit_minutes)::double precision AS avg_visit_minutes,
       avg(total_cents)::double precision AS spend_per_visit_cents
FROM visit_times
GROUP BY location_id, date_trunc('day', opened_at), table_id, table_number;

CREATE VIEW orders_by_table_by_day AS
SELECT location_id, (date_trunc('day', created_at))::date AS day, table_id, table_number,
       count(*) AS orders, sum(total_cents)::bigint AS revenue_cents
FROM orders
WHERE status <> 'cancelled'
GROUP BY location_id, date_trunc('day', created_at), table_id, table_number;

-- Cancelled orders per day, with the status each was cancelled from.
CREATE VIEW cancellations_by_day AS
SELECT o.location_id, (date_trunc('day', o.created_at))::date AS day,
       count(*) AS orders,
       count(*) FILTER (WHERE o.status = 'cancelled') AS cancelled,
       coalesce(sum(o.total_cents) FILTER (WHERE o.status = 'cancelled'), 0)::bigint
         AS cancelled_cents,
       count(*) FILTER (WHERE o.status = 'cancelled' AND c.from_status = 'pending')
         AS cancelled_from_pending,
       count(*) FILTER (WHERE o.status = 'cancelled' AND c.from_status = 'queued')
         AS cancelled_from_queued
FROM orders o
LEFT JOIN LATERAL (
  SELECT p.status AS from_status
  FROM order_status_changes x
  JOIN order_status_changes p ON p.order_id = x.order_id AND p.seq = x.seq - 1
  WHERE x.order_id = o.id AND x.status = 'cancelled'
  LIMIT 1
) c ON o.status = 'cancelled'
GROUP BY o.location_id, date_trunc('day', o.created_at);
