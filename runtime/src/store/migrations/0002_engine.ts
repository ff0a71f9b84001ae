/**
 * What the engine, ingestion and delivery need beyond the first schema (same rules as 0001: no
 * DEFAULT now(), timestamptz, SQL both PostgreSQL 15 and PGlite run).
 */
export const sql = `
-- Per-customer ordered evaluation: an event is applied to segments, scores and journeys once, by
-- the evaluate job that holds the customer's row lock, in event_id order. Internal events
-- ('$identify' for a profile change) share the stream so that order covers them too.
ALTER TABLE events ADD COLUMN evaluated boolean NOT NULL DEFAULT false;
ALTER TABLE events ADD COLUMN context jsonb NOT NULL DEFAULT '{}'::jsonb;
CREATE INDEX events_unevaluated ON events (customer_id, event_id) WHERE NOT evaluated;

-- Where a rejected event came from (api, import) and, for an import, the file and line.
ALTER TABLE rejected_events ADD COLUMN source text NOT NULL DEFAULT 'api';
ALTER TABLE rejected_events ADD COLUMN location text;

-- The catalogue (objects of the schema: products, stores ...), one row per (type, key).
CREATE TABLE objects (
  type       text NOT NULL,
  key        text NOT NULL,
  data       jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (type, key)
);

-- Every published version of every journey, by its IR hash: an enrollment runs on the version
-- it entered (pinned), so old versions stay loadable while enrollments still use them.
CREATE TABLE journey_versions (
  journey      text NOT NULL,
  version      text NOT NULL,
  ir           jsonb NOT NULL,
  published_at timestamptz NOT NULL,
  PRIMARY KEY (journey, version)
);
CREATE TABLE journeys (
  journey         text PRIMARY KEY,
  current_version text NOT NULL,
  updated_at      timestamptz NOT NULL
);

-- How far the schedule and date triggers have been evaluated, per journey version.
CREATE TABLE trigger_clock (
  journey    text NOT NULL,
  version    text NOT NULL,
  ran_until  timestamptz NOT NULL,
  PRIMARY KEY (journey, version)
);

-- An experiment's winner, once picked by the goal.
CREATE TABLE experiment_winners (
  journey    text NOT NULL,
  version    text NOT NULL,
  node       text NOT NULL,
  arm        text NOT NULL,
  decided_at timestamptz NOT NULL,
  detail     jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (journey, version, node)
);

-- Goals reached, and the promoter's lease on a due wait (it re-queues a wake-up whose lease ran out).
ALTER TABLE enrollments ADD COLUMN goal_at timestamptz;
ALTER TABLE enrollments ADD COLUMN queued_until timestamptz;

-- In-app messages: written with the outbox row, served to the customer's app by the API.
CREATE TABLE in_app_messages (
  send_id      uuid PRIMARY KEY REFERENCES outbox (send_id),
  customer_id  uuid NOT NULL REFERENCES customers (customer_id),
  content      jsonb NOT NULL,
  created_at   timestamptz NOT NULL,
  seen_at      timestamptz,
  dismissed_at timestamptz
);
CREATE INDEX in_app_messages_customer ON in_app_messages (customer_id, created_at);
`;
