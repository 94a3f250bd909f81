-- +goose Up
-- A metric's weekly stats, kept once computed: a metric's page reads its
-- values of every instance of every week (100,000 rows for 1,000 instances
-- over two years), and a week's stats change only when a ping of it is
-- stored. pings, min_id and max_id are the stamp of the week's pings the
-- stats were computed from (PingWeekStamps); when the week's stamp differs,
-- its rows are computed again. split is '' for all instances, 'version' or
-- 'tier', and grp the version or tier; median is NULL when no instance
-- reported a value.
CREATE TABLE metric_weeks (
    key_path  TEXT NOT NULL,
    source    TEXT NOT NULL,
    week      TEXT NOT NULL,
    split     TEXT NOT NULL,
    grp       TEXT NOT NULL,
    total     REAL NOT NULL,
    median    REAL,
    instances INTEGER NOT NULL,
    failed    INTEGER NOT NULL,
    pings     INTEGER NOT NULL,
    min_id    INTEGER NOT NULL,
    max_id    INTEGER NOT NULL,
    PRIMARY KEY (key_path, source, week, split, grp)
) WITHOUT ROWID;

-- No index on pings (source, week, id) here, unlike PostgreSQL: with it,
-- SQLite's planner joins the catalogue's totals from the wrong side
-- (minutes on the demo's data), and an SQLite warehouse is small enough
-- to count its pings' weeks from the table.

-- +goose Down
DROP TABLE metric_weeks;
