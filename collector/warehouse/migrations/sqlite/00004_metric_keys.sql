-- +goose Up
-- Key paths get integer ids, kept once in metric_keys (and cached by the
-- collector: a row is never changed or deleted), so that a value row is
-- (key_id, ping_id, value), as on PostgreSQL. The view metric_values keeps
-- the rows as they read before, (ping_id, key_path, value), for every query
-- and tool; a row inserted into it is stored under its key's id.
CREATE TABLE metric_keys (
    id       INTEGER PRIMARY KEY,
    key_path TEXT NOT NULL UNIQUE
);

-- Every number of a ping, by key; -1 is a metric that failed.
CREATE TABLE metric_key_values (
    key_id  INTEGER NOT NULL,
    ping_id INTEGER NOT NULL REFERENCES pings (id) ON DELETE CASCADE,
    value   REAL NOT NULL,
    PRIMARY KEY (key_id, ping_id)
) WITHOUT ROWID;

INSERT INTO metric_keys (key_path) SELECT DISTINCT key_path FROM metric_values ORDER BY key_path;
INSERT INTO metric_key_values (key_id, ping_id, value)
    SELECT k.id, v.ping_id, v.value FROM metric_values v JOIN metric_keys k ON k.key_path = v.key_path;
DROP TABLE metric_values;

CREATE VIEW metric_values AS
    SELECT v.ping_id AS ping_id, k.key_path AS key_path, v.value AS value
    FROM metric_key_values v JOIN metric_keys k ON k.id = v.key_id;

-- +goose StatementBegin
CREATE TRIGGER metric_values_insert INSTEAD OF INSERT ON metric_values
BEGIN
    INSERT INTO metric_keys (key_path) VALUES (NEW.key_path) ON CONFLICT (key_path) DO NOTHING;
    INSERT INTO metric_key_values (key_id, ping_id, value)
        SELECT id, NEW.ping_id, NEW.value FROM metric_keys WHERE key_path = NEW.key_path;
END;
-- +goose StatementEnd

-- +goose Down
CREATE TABLE metric_values_table (
    ping_id  INTEGER NOT NULL REFERENCES pings (id) ON DELETE CASCADE,
    key_path TEXT NOT NULL,
    value    REAL NOT NULL,
    PRIMARY KEY (key_path, ping_id)
) WITHOUT ROWID;
INSERT INTO metric_values_table SELECT ping_id, key_path, value FROM metric_values;
DROP VIEW metric_values;
DROP TABLE metric_key_values;
DROP TABLE metric_keys;
ALTER TABLE metric_values_table RENAME TO metric_values;
