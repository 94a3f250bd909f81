package warehouse

import (
	"strconv"
	"strings"
	"time"
)

// sqliteTime is how SQLite columns hold times: one fixed-width format in
// UTC, so that comparing the text compares the times.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// dialect is what differs between PostgreSQL and SQLite in the SQL the
// warehouse writes.
type dialect struct {
	name string
	// ph is the n-th placeholder (1-based).
	ph func(n int) string
	// ts is a time as a query argument; scanTS reads one back.
	ts     func(t time.Time) any
	scanTS func(v any) (time.Time, error)
	// jsonArg is a JSON document as a query argument for a JSON column.
	jsonArg func(b []byte) any
	// The SQL of property key (a placeholder) of the properties column:
	// propText its value as text, propNum as a number; propIs the
	// condition that it is a JSON value of type typ ("string" or
	// "number"), propBool that it is the boolean val (a placeholder of
	// "true" or "false").
	propText func(key string) string
	propNum  func(key string) string
	propIs   func(key, typ string) string
	propBool func(key, val string) string
	// countDistinct counts the distinct values of a text expression.
	countDistinct func(expr string) string
}

var dialects = map[string]dialect{
	Postgres: {
		name:   Postgres,
		ph:     func(n int) string { return "$" + strconv.Itoa(n) },
		ts:     func(t time.Time) any { return t.UTC() },
		scanTS: scanTime,
		// The bytes themselves: pgx sends them as the JSON text, with no
		// copy to a string (a ping's payload is some 40 kB).
		jsonArg: func(b []byte) any { return b },
		// Keys are cast: -> and ->> also take an integer, and a bare
		// parameter would leave PostgreSQL to guess which.
		propText: func(key string) string { return "(properties ->> CAST(" + key + " AS text))" },
		propNum:  func(key string) string { return "(properties ->> CAST(" + key + " AS text))::double precision" },
		propIs: func(key, typ string) string {
			return "jsonb_typeof(properties -> CAST(" + key + " AS text)) = '" + typ + "'"
		},
		propBool: func(key, val string) string {
			return "properties -> CAST(" + key + " AS text) = CAST(" + val + " AS jsonb)"
		},
		// Distinct 64-bit hashes of the values, not the values: pseudonyms
		// are 64 characters, and sorting millions of them is most of a
		// metric's time; two of a million users share a hash with a
		// chance of 3 in 100 million.
		countDistinct: func(expr string) string { return "COUNT(DISTINCT hashtextextended(" + expr + ", 0))" },
	},
	SQLite: {
		name:     SQLite,
		ph:       func(int) string { return "?" },
		ts:       func(t time.Time) any { return t.UTC().Format(sqliteTime) },
		scanTS:   scanTime,
		jsonArg:  func(b []byte) any { return string(b) },
		propText: func(key string) string { return "json_extract(properties, " + key + ")" },
		propNum:  func(key string) string { return "json_extract(properties, " + key + ")" },
		propIs: func(key, typ string) string {
			if typ == "number" {
				return "json_type(properties, " + key + ") IN ('integer', 'real')"
			}
			return "json_type(properties, " + key + ") = 'text'"
		},
		propBool:      func(key, val string) string { return "json_type(properties, " + key + ") = " + val },
		countDistinct: func(expr string) string { return "COUNT(DISTINCT " + expr + ")" },
	},
}

// propKey is the argument naming property name for the dialect's JSON
// functions: the key itself on PostgreSQL, a JSON path on SQLite.
func (d dialect) propKey(name string) string {
	if d.name == SQLite {
		return `$."` + strings.ReplaceAll(name, `"`, `\"`) + `"`
	}
	return name
}

// scanTime reads a time column: a time.Time (PostgreSQL) or the fixed text
// format (SQLite).
func scanTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case string:
		return time.Parse(sqliteTime, x)
	case []byte:
		return time.Parse(sqliteTime, string(x))
	}
	return time.Time{}, errBadTime
}
