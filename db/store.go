package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/latchkey/latchkey/oauth"
)

// ErrNULByte is returned (wrapped) when a value to store contains a NUL byte,
// which Postgres text cannot hold and bun cannot quote. Callers validate
// input first; this is the last line of defence.
var ErrNULByte = errors.New("string contains a NUL byte")

// Postgres SQLSTATE codes mapped to oauth sentinels.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// Store implements oauth.Store on a bun database or transaction.
type Store struct {
	db   bun.IDB // the database, or the transaction this Store is bound to
	root *bun.DB
}

// New returns a Store on db. Run migrations.Migrate first.
func New(db *bun.DB) *Store {
	return &Store{db: db, root: db}
}

var _ oauth.Store = (*Store)(nil)

// InTx runs fn in one transaction with a Store bound to it. fn's error rolls
// the transaction back and is returned as is. Inside a transaction, InTx
// runs fn on the same transaction.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx oauth.Store) error) error {
	if _, ok := s.db.(bun.Tx); ok {
		return fn(ctx, s)
	}
	return s.root.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return fn(ctx, &Store{db: tx, root: s.root})
	})
}

// Ping reports whether the database is reachable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.root.PingContext(ctx); err != nil {
		return fmt.Errorf("db: ping: %w", err)
	}
	return nil
}

// wrapErr is the one place that maps driver errors to the oauth sentinels:
// no rows becomes oauth.ErrNotFound, a unique violation oauth.ErrConflict, a
// foreign-key violation (a missing parent row) oauth.ErrNotFound. The result
// reads "db: <op>: <cause>" and keeps both the sentinel and the driver error
// reachable through errors.Is and errors.As.
func wrapErr(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	op := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("db: %s: %w", op, oauth.ErrNotFound)
	case isUniqueViolation(err):
		return fmt.Errorf("db: %s: %w: %w", op, oauth.ErrConflict, err)
	case isForeignKeyViolation(err):
		return fmt.Errorf("db: %s: %w: %w", op, oauth.ErrNotFound, err)
	}
	return fmt.Errorf("db: %s: %w", op, err)
}

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == pgUniqueViolation
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func isForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == pgForeignKeyViolation
	}
	return false
}

// checkAffected turns an UPDATE or DELETE that matched no row into
// oauth.ErrNotFound. Both SQLite and Postgres count matched rows, even when
// the new values equal the old ones.
func checkAffected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// checkNUL rejects values that bun cannot store; see ErrNULByte.
func checkNUL(values ...string) error {
	for _, v := range values {
		if strings.IndexByte(v, 0) >= 0 {
			return ErrNULByte
		}
	}
	return nil
}

// checkNULLists is checkNUL for list fields. JSON encoding escapes NUL, but
// such a value is never legitimate, so it is rejected the same way.
func checkNULLists(lists ...[]string) error {
	for _, l := range lists {
		if err := checkNUL(l...); err != nil {
			return err
		}
	}
	return nil
}

// validKey returns sql.ErrNoRows (so oauth.ErrNotFound) for a lookup key
// with a NUL byte: no stored row can have one, and bun cannot quote it.
func validKey(keys ...string) error {
	if checkNUL(keys...) != nil {
		return sql.ErrNoRows
	}
	return nil
}

// short returns a prefix of a code or token hash, enough to correlate log
// lines without putting the whole hash in an error message.
func short(hash string) string {
	if len(hash) > 8 {
		return hash[:8] + "…"
	}
	return hash
}
