package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

// maxCachedKeys bounds the key ids a warehouse keeps in memory: a
// definitions' worth of key paths many times over, while senders making up
// key paths cannot grow it without end (theirs are looked up each time).
const maxCachedKeys = 100_000

// keyCache holds the ids of key paths in metric_keys. An id, once
// committed, never changes, so a cached one stays right.
type keyCache struct {
	mu  sync.RWMutex
	ids map[string]int32
}

// keyIDs sets the id of every value of pings, from the cache or else
// from metric_keys, adding there the key paths it lacks. New keys are
// committed on their own, before the pings that use them: a ping's
// transaction that rolls back then leaves a key without values, never a
// cached id without its key.
func (w *Warehouse) keyIDs(ctx context.Context, pings []parsedPing) error {
	var missing []string
	w.keys.mu.RLock()
	for i := range pings {
		v := pings[i].values
		v.ids = v.ids[:0]
		for j := range v.vals {
			id, ok := w.keys.ids[string(v.path(j))] // the conversion, in a lookup, copies nothing
			if !ok {
				missing = append(missing, v.keyPath(j))
			}
			v.ids = append(v.ids, id) // 0, no id, when missing
		}
	}
	w.keys.mu.RUnlock()
	if len(missing) == 0 {
		return nil
	}
	// Sorted, so that collectors adding the same keys at once take their
	// locks in one order.
	slices.Sort(missing)
	missing = slices.Compact(missing)
	found, err := w.addKeys(ctx, missing)
	if err != nil {
		return err
	}
	for i := range pings {
		v := pings[i].values
		for j, id := range v.ids {
			if id == 0 {
				var ok bool
				if v.ids[j], ok = found[string(v.path(j))]; !ok {
					return fmt.Errorf("warehouse: key path %q has no id after adding it", v.path(j))
				}
			}
		}
	}
	w.keys.mu.Lock()
	defer w.keys.mu.Unlock()
	if w.keys.ids == nil {
		w.keys.ids = make(map[string]int32, len(found))
	}
	for k, id := range found {
		if len(w.keys.ids) >= maxCachedKeys {
			break
		}
		w.keys.ids[k] = id
	}
	return nil
}

// addKeys adds key paths (sorted, each once) to metric_keys, as far as
// they are not there already, and returns the ids of all of them.
func (w *Warehouse) addKeys(ctx context.Context, paths []string) (map[string]int32, error) {
	// PostgreSQL takes the paths as one array; SQLite as one JSON array,
	// which json_each unpacks, so that any number fits one statement.
	var arg any = paths
	insert := `INSERT INTO metric_keys (key_path) SELECT k FROM unnest($1::text[]) AS u(k) ORDER BY k ON CONFLICT (key_path) DO NOTHING`
	query := `SELECT id, key_path FROM metric_keys WHERE key_path = ANY($1::text[])`
	if w.d.name == SQLite {
		doc, err := json.Marshal(paths)
		if err != nil {
			return nil, fmt.Errorf("warehouse: encoding key paths: %w", err)
		}
		arg = string(doc)
		// WHERE true: without it SQLite would read ON CONFLICT as part of
		// the SELECT's join.
		insert = `INSERT INTO metric_keys (key_path) SELECT value FROM json_each(?) WHERE true ORDER BY value ON CONFLICT (key_path) DO NOTHING`
		query = `SELECT id, key_path FROM metric_keys WHERE key_path IN (SELECT value FROM json_each(?))`
	}
	if _, err := w.db.ExecContext(ctx, insert, arg); err != nil {
		return nil, fmt.Errorf("warehouse: adding %d key paths: %w", len(paths), err)
	}
	// A statement of its own: it sees the keys that other collectors
	// committed while this one's insert skipped them.
	rows, err := w.db.QueryContext(ctx, query, arg)
	if err != nil {
		return nil, fmt.Errorf("warehouse: reading key ids: %w", err)
	}
	defer rows.Close()
	ids := make(map[string]int32, len(paths))
	for rows.Next() {
		var id int32
		var k string
		if err := rows.Scan(&id, &k); err != nil {
			return nil, fmt.Errorf("warehouse: reading key ids: %w", err)
		}
		ids[k] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: reading key ids: %w", err)
	}
	return ids, nil
}
