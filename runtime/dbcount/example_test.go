package dbcount_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/usagekit/usagekit/runtime/dbcount"
)

// Counting rows created between 30 and 2 days ago (a 28d database metric),
// in batches of 10 primary keys.
func ExampleCounter_Run() {
	dir, _ := os.MkdirTemp("", "dbcount")
	defer os.RemoveAll(dir)
	db, _ := sql.Open("sqlite", filepath.Join(dir, "app.db"))
	defer db.Close()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	db.Exec(`CREATE TABLE projects (id integer PRIMARY KEY, visibility_level integer, created_at timestamp)`)
	for i := range 40 { // one project a day
		db.Exec(`INSERT INTO projects VALUES (?, ?, ?)`, i+1, i%3*10, now.AddDate(0, 0, -i))
	}
	c := dbcount.New(db, dbcount.Options{BatchSize: 10})
	v, err := c.Run(context.Background(), dbcount.Query{
		Operation: dbcount.Count,
		Table:     "projects",
		Where:     "visibility_level = 20",
	}, dbcount.Window{From: now.AddDate(0, 0, -30), To: now.AddDate(0, 0, -2)})
	fmt.Println(v, err)
	// Output:
	// 9 <nil>
}
