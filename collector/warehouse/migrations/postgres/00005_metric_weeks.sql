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

-- A metric's values of one week are read when that week changed since its
-- series was kept. The index by key alone finds a metric's values of every
-- week (104,000 for 1,000 instances over two years, each on a page of its
-- own with 2,000 metrics), so the values are partitioned by ISO week
-- (year * 100 + week, which fits where the row had padding): a week is read
-- from its partition, whose index holds a thousand entries of the metric.
-- A partition is created as the first ping of its week arrives; there is
-- no default partition, so that a week's rows are never where its
-- partition cannot be created.
DROP VIEW metric_values;
ALTER TABLE metric_key_values RENAME TO metric_key_values_unpartitioned;
ALTER INDEX metric_key_values_key_id RENAME TO metric_key_values_unpartitioned_key_id;
CREATE TABLE metric_key_values (
    key_id  integer NOT NULL,
    week    integer NOT NULL,
    ping_id bigint NOT NULL,
    value   double precision NOT NULL
) PARTITION BY LIST (week);
CREATE INDEX metric_key_values_key_id ON metric_key_values (key_id);
-- metric_key_values_week makes the partition of a week (year * 100 + week)
-- unless it exists: the one place its name is spelled.
-- +goose StatementBegin
CREATE FUNCTION metric_key_values_week(wk integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE IF NOT EXISTS metric_key_values_%s_w%s PARTITION OF metric_key_values FOR VALUES IN (%s)',
        wk / 100, lpad((wk % 100)::text, 2, '0'), wk);
END
$$;
-- +goose StatementEnd
SELECT metric_key_values_week(wk) FROM (SELECT DISTINCT (substr(week, 1, 4) || substr(week, 7, 2))::integer AS wk FROM pings) weeks;
INSERT INTO metric_key_values (key_id, week, ping_id, value)
    SELECT v.key_id, (substr(p.week, 1, 4) || substr(p.week, 7, 2))::integer, v.ping_id, v.value
    FROM metric_key_values_unpartitioned v JOIN pings p ON p.id = v.ping_id;
DROP TABLE metric_key_values_unpartitioned;

CREATE VIEW metric_values AS
    SELECT v.ping_id, k.key_path, v.value FROM metric_key_values v JOIN metric_keys k ON k.id = v.key_id;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION metric_values_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE wk integer;
BEGIN
    SELECT (substr(week, 1, 4) || substr(week, 7, 2))::integer INTO wk FROM pings WHERE id = NEW.ping_id;
    IF wk IS NULL THEN
        RAISE EXCEPTION 'metric_values: no ping %', NEW.ping_id;
    END IF;
    PERFORM metric_key_values_week(wk);
    INSERT INTO metric_keys (key_path) VALUES (NEW.key_path) ON CONFLICT (key_path) DO NOTHING;
    INSERT INTO metric_key_values (key_id, week, ping_id, value)
        SELECT id, wk, NEW.ping_id, NEW.value FROM metric_keys WHERE key_path = NEW.key_path;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER metric_values_insert INSTEAD OF INSERT ON metric_values
    FOR EACH ROW EXECUTE FUNCTION metric_values_insert();

-- +goose Down
DROP VIEW metric_values;
CREATE TABLE metric_key_values_unpartitioned (
    key_id  integer NOT NULL,
    ping_id bigint NOT NULL,
    value   double precision NOT NULL
);
INSERT INTO metric_key_values_unpartitioned SELECT key_id, ping_id, value FROM metric_key_values;
DROP TABLE metric_key_values;
ALTER TABLE metric_key_values_unpartitioned RENAME TO metric_key_values;
DROP FUNCTION metric_key_values_week(integer);
CREATE INDEX metric_key_values_key_id ON metric_key_values (key_id);
CREATE VIEW metric_values AS
    SELECT v.ping_id, k.key_path, v.value FROM metric_key_values v JOIN metric_keys k ON k.id = v.key_id;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION metric_values_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metric_keys (key_path) VALUES (NEW.key_path) ON CONFLICT (key_path) DO NOTHING;
    INSERT INTO metric_key_values (key_id, ping_id, value)
        SELECT id, NEW.ping_id, NEW.value FROM metric_keys WHERE key_path = NEW.key_path;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER metric_values_insert INSTEAD OF INSERT ON metric_values
    FOR EACH ROW EXECUTE FUNCTION metric_values_insert();
DROP INDEX pings_source_week;
DROP TABLE metric_weeks;
