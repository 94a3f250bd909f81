-- +goose Up
-- Metric values are read by key path (a metric's series over the pings)
-- and written 2,000 a ping: one index, keyed for the reads, halves the
-- work of every write.
DROP INDEX metric_values_key_path;
ALTER TABLE metric_values DROP CONSTRAINT metric_values_pkey;
ALTER TABLE metric_values ADD PRIMARY KEY (key_path, ping_id);

-- +goose Down
ALTER TABLE metric_values DROP CONSTRAINT metric_values_pkey;
ALTER TABLE metric_values ADD PRIMARY KEY (ping_id, key_path);
CREATE INDEX metric_values_key_path ON metric_values (key_path, ping_id);
