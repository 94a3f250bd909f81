-- +goose Up
-- Instances that sent pings, with the facts of their latest ping.
CREATE TABLE instances (
    uuid       text PRIMARY KEY,
    hostname   text NOT NULL DEFAULT '',
    version    text NOT NULL DEFAULT '',
    edition    text NOT NULL DEFAULT '',
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL
);

-- One row per ping received (or computed in the warehouse for the SaaS
-- instance: source 'warehouse'); a ping is one per uuid and recorded_at.
CREATE TABLE pings (
    id          bigserial PRIMARY KEY,
    uuid        text NOT NULL REFERENCES instances (uuid),
    recorded_at timestamptz NOT NULL,
    week        text NOT NULL,
    received_at timestamptz NOT NULL,
    version     text NOT NULL DEFAULT '',
    edition     text NOT NULL DEFAULT '',
    source      text NOT NULL DEFAULT 'ping',
    payload     jsonb NOT NULL,
    problems    jsonb NOT NULL DEFAULT '[]',
    UNIQUE (uuid, recorded_at)
);
CREATE INDEX pings_week ON pings (week);

-- Every number of a ping, by key_path; -1 is a metric that failed.
CREATE TABLE metric_values (
    ping_id  bigint NOT NULL REFERENCES pings (id) ON DELETE CASCADE,
    key_path text NOT NULL,
    value    double precision NOT NULL,
    PRIMARY KEY (ping_id, key_path)
);
CREATE INDEX metric_values_key_path ON metric_values (key_path, ping_id);

-- The metadata an instance sends after its ping: per metric, its time and
-- error.
CREATE TABLE ping_metadata (
    uuid        text NOT NULL,
    recorded_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    metadata    jsonb NOT NULL,
    PRIMARY KEY (uuid, recorded_at)
);

-- The error reports of pings that could not be delivered.
CREATE TABLE ping_errors (
    id          bigserial PRIMARY KEY,
    uuid        text NOT NULL,
    recorded_at text NOT NULL,
    received_at timestamptz NOT NULL,
    version     text NOT NULL DEFAULT '',
    elapsed     double precision NOT NULL DEFAULT 0,
    message     text NOT NULL DEFAULT ''
);

-- Event records, partitioned by ISO week (weekly partitions are created as
-- records arrive; the default partition holds what no week took). A record's
-- id is a UUIDv7 and its occurred_at never changes, so (id, occurred_at)
-- keeps each record once.
CREATE TABLE records (
    id           uuid NOT NULL,
    occurred_at  timestamptz NOT NULL,
    event        text NOT NULL,
    user_id      text,
    project_id   text,
    namespace_id text,
    properties   jsonb NOT NULL DEFAULT '{}',
    context      jsonb NOT NULL DEFAULT '{}',
    received_at  timestamptz NOT NULL,
    PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE TABLE records_default PARTITION OF records DEFAULT;
CREATE INDEX records_event ON records (event, occurred_at);

-- +goose Down
DROP TABLE records;
DROP TABLE ping_errors;
DROP TABLE ping_metadata;
DROP TABLE metric_values;
DROP TABLE pings;
DROP TABLE instances;
