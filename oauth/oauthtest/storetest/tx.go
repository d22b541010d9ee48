package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

func testInTxCommit(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	err := s.InTx(ctx, func(ctx context.Context, tx oauth.Store) error {
		if err := tx.CreateClient(ctx, newClient("c1", base())); err != nil {
			return err
		}
		// The transaction sees its own writes.
		_, err := tx.GetClient(ctx, "c1")
		return err
	})
	must(t, "InTx", err)
	if _, err := s.GetClient(ctx, "c1"); err != nil {
		t.Errorf("GetClient after commit: %v", err)
	}
}

func testInTxRollback(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	errBoom := errors.New("boom")
	err := s.InTx(ctx, func(ctx context.Context, tx oauth.Store) error {
		if err := tx.CreateClient(ctx, newClient("c1", base())); err != nil {
			return err
		}
		if err := tx.CreateGrant(ctx, newGrant("g1", "u1", "c1", base())); err != nil {
			return err
		}
		return errBoom
	})
	wantErr(t, "InTx", err, errBoom)
	_, err = s.GetClient(ctx, "c1")
	wantErr(t, "GetClient after rollback", err, oauth.ErrNotFound)
	_, err = s.GetGrant(ctx, "g1")
	wantErr(t, "GetGrant after rollback", err, oauth.ErrNotFound)

	// A store error inside the transaction keeps its sentinel.
	must(t, "CreateRoute", s.CreateRoute(ctx, newRoute("files", base())))
	err = s.InTx(ctx, func(ctx context.Context, tx oauth.Store) error {
		return tx.CreateRoute(ctx, newRoute("files", base()))
	})
	wantErr(t, "InTx with a conflict", err, oauth.ErrConflict)
}

func testInTxNested(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	errOuter := errors.New("outer fails")
	err := s.InTx(ctx, func(ctx context.Context, tx oauth.Store) error {
		if err := tx.CreateClient(ctx, newClient("c1", base())); err != nil {
			return err
		}
		err := tx.InTx(ctx, func(ctx context.Context, inner oauth.Store) error {
			return inner.CreateClient(ctx, newClient("c2", base()))
		})
		if err != nil {
			return err
		}
		return errOuter
	})
	wantErr(t, "InTx", err, errOuter)
	for _, id := range []string{"c1", "c2"} {
		_, err := s.GetClient(ctx, id)
		wantErr(t, "GetClient "+id+" after the outer rollback", err, oauth.ErrNotFound)
	}
}

func testInTxRedeemRollsBack(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	must(t, "CreateCode", s.CreateCode(ctx, newCode("h1")))
	errBoom := errors.New("issuing failed")
	err := s.InTx(ctx, func(ctx context.Context, tx oauth.Store) error {
		if _, err := tx.RedeemCode(ctx, "h1", base()); err != nil {
			return err
		}
		return errBoom
	})
	wantErr(t, "InTx", err, errBoom)
	// The rolled-back redemption left the code unused.
	_, err = s.RedeemCode(ctx, "h1", base().Add(time.Second))
	wantErr(t, "RedeemCode after rollback", err, nil)
}
