package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/oauth"
)

// racers is how many goroutines try to use one code or token at once.
const racers = 10

// race runs use from racers goroutines at once and checks that exactly one
// succeeds and every other one gets ErrAlreadyUsed.
func race(t *testing.T, what string, use func(i int) error) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, racers)
	)
	for i := range racers {
		wg.Go(func() {
			<-start
			errs[i] = use(i)
		})
	}
	close(start)
	wg.Wait()

	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, oauth.ErrAlreadyUsed):
			t.Errorf("%s #%d: got error %v, want nil or ErrAlreadyUsed", what, i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%s by %d goroutines: got %d successes, want exactly 1", what, racers, wins)
	}
}

func testCodeRedeemConcurrent(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	must(t, "CreateCode", s.CreateCode(ctx, newCode("h1")))
	race(t, "RedeemCode", func(i int) error {
		c, err := s.RedeemCode(ctx, "h1", base().Add(time.Duration(i)*time.Second))
		if c == nil && (err == nil || errors.Is(err, oauth.ErrAlreadyUsed)) {
			return errors.New("nil code")
		}
		return err
	})
}

func testRefreshTokenUseConcurrent(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	must(t, "CreateGrant", s.CreateGrant(ctx, newGrant("g1", "u1", "c1", base())))
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, newRefreshToken("r1", "g1")))
	race(t, "UseRefreshToken", func(i int) error {
		rt, err := s.UseRefreshToken(ctx, "r1", base().Add(time.Duration(i)*time.Second))
		if rt == nil && (err == nil || errors.Is(err, oauth.ErrAlreadyUsed)) {
			return errors.New("nil token")
		}
		return err
	})
}

// testCodeRedeemConcurrentInTx races the token endpoint's shape: redeem the
// code and create the grant in one transaction. Exactly one grant results.
func testCodeRedeemConcurrentInTx(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	must(t, "CreateCode", s.CreateCode(ctx, newCode("h1")))
	race(t, "RedeemCode in InTx", func(i int) error {
		return s.InTx(ctx, func(ctx context.Context, tx oauth.Store) error {
			if _, err := tx.RedeemCode(ctx, "h1", base()); err != nil {
				return err
			}
			return tx.CreateGrant(ctx, newGrant(fmt.Sprintf("g%d", i), "u1", "c1", base()))
		})
	})
	grants, err := s.ListGrants(ctx, "", "")
	must(t, "ListGrants", err)
	if len(grants) != 1 {
		t.Errorf("after racing transactions: got %d grants, want 1", len(grants))
	}
}
