-- +goose Up
-- The instances page lists the metrics each instance's latest ping reported
-- failed (-1). The values' one index is by key, so finding a ping's values
-- read every value of every week; failed values are about one in a hundred,
-- and an index of them alone, by ping, costs a ping's insert little. Each
-- week's partition gets its part of the index, and so does every partition
-- made later.
CREATE INDEX metric_key_values_failed ON metric_key_values (ping_id) WHERE value = -1;

-- +goose Down
DROP INDEX metric_key_values_failed;
