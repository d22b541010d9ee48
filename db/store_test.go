package db_test

import (
	"testing"

	"github.com/latchkey/latchkey/db/dbtest"
	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/oauth/oauthtest/storetest"
)

func TestStoreConformanceSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) oauth.Store { return dbtest.SQLite(t) })
}

func TestStoreConformancePostgres(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) oauth.Store { return dbtest.Postgres(t) })
}
