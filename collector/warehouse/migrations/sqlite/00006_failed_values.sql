-- +goose Up
-- The instances page lists the metrics each instance's latest ping reported
-- failed (-1). The values' primary key is key then ping, so finding a
-- ping's values read every value; failed values are about one in a
-- hundred, and an index of them alone, by ping, costs a ping's insert
-- little.
CREATE INDEX metric_key_values_failed ON metric_key_values (ping_id) WHERE value = -1;

-- +goose Down
DROP INDEX metric_key_values_failed;
