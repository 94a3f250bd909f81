-- +goose Up
-- Times are TEXT in one fixed format, 2006-01-02T15:04:05.000000Z (UTC), so
-- that comparing them as text compares them as times.

-- Instances that sent pings, with the facts of their latest ping.
CREATE TABLE instances (
    uuid       TEXT PRIMARY KEY,
    hostname   TEXT NOT NULL DEFAULT '',
    version    TEXT NOT NULL DEFAULT '',
    edition    TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);

-- One row per ping received (or computed in the warehouse for the SaaS
-- instance: source 'warehouse'); a ping is one per uuid and recorded_at.
CREATE TABLE pings (
    id          INTEGER PRIMARY KEY,
    uuid        TEXT NOT NULL REFERENCES instances (uuid),
    recorded_at TEXT NOT NULL,
    week        TEXT NOT NULL,
    received_at TEXT NOT NULL,
    version     TEXT NOT NULL DEFAULT '',
    edition     TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT 'ping',
    payload     TEXT NOT NULL,
    problems    TEXT NOT NULL DEFAULT '[]',
    UNIQUE (uuid, recorded_at)
);
CREATE INDEX pings_week ON pings (week);

-- Every number of a ping, by key_path; -1 is a metric that failed.
CREATE TABLE metric_values (
    ping_id  INTEGER NOT NULL REFERENCES pings (id) ON DELETE CASCADE,
    key_path TEXT NOT NULL,
    value    REAL NOT NULL,
    PRIMARY KEY (ping_id, key_path)
) WITHOUT ROWID;
CREATE INDEX metric_values_key_path ON metric_values (key_path, ping_id);

-- The metadata an instance sends after its ping: per metric, its time and
-- error.
CREATE TABLE ping_metadata (
    uuid        TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    metadata    TEXT NOT NULL,
    PRIMARY KEY (uuid, recorded_at)
);

-- The error reports of pings that could not be delivered.
CREATE TABLE ping_errors (
    id          INTEGER PRIMARY KEY,
    uuid        TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    version     TEXT NOT NULL DEFAULT '',
    elapsed     REAL NOT NULL DEFAULT 0,
    message     TEXT NOT NULL DEFAULT ''
);

-- Event records; a record's id is a UUIDv7, kept once.
CREATE TABLE records (
    id           TEXT PRIMARY KEY,
    occurred_at  TEXT NOT NULL,
    event        TEXT NOT NULL,
    user_id      TEXT,
    project_id   TEXT,
    namespace_id TEXT,
    properties   TEXT NOT NULL DEFAULT '{}',
    context      TEXT NOT NULL DEFAULT '{}',
    received_at  TEXT NOT NULL
);
CREATE INDEX records_event ON records (event, occurred_at);

-- +goose Down
DROP TABLE records;
DROP TABLE ping_errors;
DROP TABLE ping_metadata;
DROP TABLE metric_values;
DROP TABLE pings;
DROP TABLE instances;
