/**
 * The first schema. Kept as a string module (not a .sql file) so `tsc -b` puts it in dist/ with the
 * code that runs it. Rules for every migration: no DEFAULT now() (time is injected: the runtime
 * writes every timestamp from its Clock); timestamptz, never timestamp; SQL that PostgreSQL 15 and
 * PGlite both run; never edit a migration once merged (the runner refuses a changed checksum):
 * add the next one.
 */
export const sql = `
-- A person. Merging an anonymous visitor into a known customer keeps the visitor's row, pointing
-- at the survivor, so ids seen earlier still resolve.
CREATE TABLE customers (
  customer_id uuid PRIMARY KEY,
  profile     jsonb NOT NULL DEFAULT '{}'::jsonb,
  merged_into uuid REFERENCES customers (customer_id),
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  CHECK (merged_into IS DISTINCT FROM customer_id)
);
CREATE INDEX customers_merged_into ON customers (merged_into) WHERE merged_into IS NOT NULL;

-- Identity keys (email, loyalty card, anonymous id …): each value belongs to one customer.
CREATE TABLE identities (
  kind        text NOT NULL,
  value       text NOT NULL,
  customer_id uuid NOT NULL REFERENCES customers (customer_id),
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (kind, value)
);
CREATE INDEX identities_customer ON identities (customer_id);

-- Accepted events, stored once per message_id (a re-sent event is a no-op, not a duplicate).
CREATE TABLE events (
  event_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id  text NOT NULL UNIQUE,
  customer_id uuid NOT NULL REFERENCES customers (customer_id),
  name        text NOT NULL,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  properties  jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX events_customer_time ON events (customer_id, occurred_at);
CREATE INDEX events_customer_name_time ON events (customer_id, name, occurred_at);

-- Events that failed validation: kept with the reason, never silently dropped. The payload is the
-- text as received, which may not even be JSON.
CREATE TABLE rejected_events (
  rejected_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at timestamptz NOT NULL,
  message_id  text,
  reason      text NOT NULL,
  errors      jsonb NOT NULL DEFAULT '[]'::jsonb,
  payload     text NOT NULL
);
CREATE INDEX rejected_events_received ON rejected_events (received_at);

-- A customer's passage through one journey version. Every step is a compare-and-set on version;
-- a wait is wake_at (claimed by the promoter with FOR UPDATE SKIP LOCKED), not a sleeping job.
CREATE TABLE enrollments (
  id              uuid PRIMARY KEY,
  journey         text NOT NULL,
  journey_version text NOT NULL,
  customer_id     uuid NOT NULL REFERENCES customers (customer_id),
  correlation_key text NOT NULL DEFAULT '',
  state           text NOT NULL CHECK (state IN ('active', 'waiting', 'completed', 'exited', 'failed')),
  node            text,
  context         jsonb NOT NULL DEFAULT '{}'::jsonb,
  version         integer NOT NULL DEFAULT 0,
  wake_at         timestamptz,
  entered_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  ended_at        timestamptz,
  end_reason      text,
  CHECK ((ended_at IS NULL) = (state IN ('active', 'waiting')))
);
CREATE INDEX enrollments_due ON enrollments (wake_at) WHERE wake_at IS NOT NULL;
CREATE UNIQUE INDEX enrollments_one_active ON enrollments (journey, customer_id, correlation_key)
  WHERE ended_at IS NULL;
CREATE INDEX enrollments_customer_active ON enrollments (customer_id) WHERE ended_at IS NULL;

-- What each enrollment did and why: written in the transaction of the step it explains.
CREATE TABLE enrollment_traces (
  trace_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  enrollment_id      uuid NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
  enrollment_version integer NOT NULL,
  at                 timestamptz NOT NULL,
  node               text,
  kind               text NOT NULL,
  detail             jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX enrollment_traces_enrollment ON enrollment_traces (enrollment_id, trace_id);

-- Messages decided by a step, written in that step's transaction. send_id is
-- uuidv5(journey_version, enrollment, node) and goes to the provider as its idempotency key;
-- delivery claims a row with a lease and a fencing token: pending -> sending -> sent | failed | unknown.
CREATE TABLE outbox (
  send_id             uuid PRIMARY KEY,
  enrollment_id       uuid NOT NULL REFERENCES enrollments (id),
  customer_id         uuid NOT NULL REFERENCES customers (customer_id),
  node                text NOT NULL,
  channel             text NOT NULL,
  payload             jsonb NOT NULL,
  status              text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unknown')),
  created_at          timestamptz NOT NULL,
  deliver_after       timestamptz NOT NULL,
  lease_until         timestamptz,
  fencing_token       bigint NOT NULL DEFAULT 0,
  attempts            integer NOT NULL DEFAULT 0,
  last_error          text,
  provider_message_id text,
  sent_at             timestamptz,
  UNIQUE (enrollment_id, node)
);
CREATE INDEX outbox_pending ON outbox (deliver_after) WHERE status = 'pending';
CREATE INDEX outbox_leased ON outbox (lease_until) WHERE status = 'sending';

-- Static lists, filled by journeys, imports or the API.
CREATE TABLE list_members (
  list        text NOT NULL,
  customer_id uuid NOT NULL REFERENCES customers (customer_id),
  added_at    timestamptz NOT NULL,
  PRIMARY KEY (list, customer_id)
);
CREATE INDEX list_members_customer ON list_members (customer_id);

-- Dynamic segments: a row while the customer is in.
CREATE TABLE segment_members (
  segment     text NOT NULL,
  customer_id uuid NOT NULL REFERENCES customers (customer_id),
  entered_at  timestamptz NOT NULL,
  PRIMARY KEY (segment, customer_id)
);
CREATE INDEX segment_members_customer ON segment_members (customer_id);

-- Scores: value as of as_of; a decaying score is worth value * 0.5^((now - as_of) / half-life) later.
CREATE TABLE scores (
  score       text NOT NULL,
  customer_id uuid NOT NULL REFERENCES customers (customer_id),
  value       double precision NOT NULL,
  as_of       timestamptz NOT NULL,
  PRIMARY KEY (score, customer_id)
);
CREATE INDEX scores_customer ON scores (customer_id);
`;
