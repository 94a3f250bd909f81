-- +goose Up
-- The PostgreSQL migration of this version keeps pings' payloads as json
-- rather than jsonb; SQLite stores JSON as text either way.
SELECT 1;

-- +goose Down
SELECT 1;
