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
    key_path  text NOT NULL,
    source    text NOT NULL,
    week      text NOT NULL,
    split     text NOT NULL,
    grp       text NOT NULL,
    total     double precision NOT NULL,
    median    double precision,
    instances integer NOT NULL,
    failed    integer NOT NULL,
    pings     bigint NOT NULL,
    min_id    bigint NOT NULL,
    max_id    bigint NOT NULL,
    PRIMARY KEY (key_path, source, week, split, grp)
);

-- The stamps of a source's weeks are read before every series: from this
-- index alone, not from the pings' rows.
CREATE INDEX pings_source_week ON pings (source, week, id);

-- A week's values are read by their pings' ids (the weeks that changed
-- since a series was kept): values are stored in the order of their
-- pings, so a block range index on ping_id finds them, at the cost of a
-- summary per 128 pages, not an entry per row. Each range is summarized
-- when it fills (autosummarize), or the newest weeks, unsummarized until
-- a vacuum, would be read whole.
CREATE INDEX metric_key_values_ping_id ON metric_key_values USING brin (ping_id) WITH (autosummarize = on);

-- +goose Down
DROP INDEX metric_key_values_ping_id;
DROP INDEX pings_source_week;
DROP TABLE metric_weeks;
