-- +goose Up
-- Pings arrive by the thousand a minute, 2,000 values each, and only the
-- warehouse writes them, a ping and its values in one transaction:
-- - the raw payload is read back whole, never queried inside, so json
--   (the text as sent, checked) rather than jsonb (taken apart on write);
-- - the values' foreign key to their ping checked every row by a trigger,
--   2,000 lookups a ping, to guard what the one writer guarantees already.
ALTER TABLE pings ALTER COLUMN payload TYPE json USING payload::json;
ALTER TABLE metric_values DROP CONSTRAINT metric_values_ping_id_fkey;

-- +goose Down
ALTER TABLE metric_values ADD CONSTRAINT metric_values_ping_id_fkey FOREIGN KEY (ping_id) REFERENCES pings (id) ON DELETE CASCADE;
ALTER TABLE pings ALTER COLUMN payload TYPE jsonb USING payload::jsonb;
