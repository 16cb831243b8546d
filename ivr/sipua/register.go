package sipua

import (
	"context"
	"sync"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/sipgo/sip"
)

// registration is a trunk's REGISTER state.
type registration struct {
	registrar sip.Uri

	mu         sync.Mutex
	registered bool
	count      int // successful REGISTERs, refreshes included
	lastErr    error
}

// RegistrationState is what a trunk's registration has done so far.
type RegistrationState struct {
	Registered bool  // the last REGISTER succeeded
	Count      int   // successful REGISTERs, refreshes included
	LastError  error // of the last failed REGISTER, nil after a success
}

// Registration reports trunk's registration ("" is the default trunk);
// ok is false when the trunk does not register.
func (u *UA) Registration(trunk string) (RegistrationState, bool) {
	tr := u.trunks[trunk]
	if tr == nil || tr.reg == nil {
		return RegistrationState{}, false
	}
	r := tr.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	return RegistrationState{Registered: r.registered, Count: r.count, LastError: r.lastErr}, true
}

// Registration back-off after a failed REGISTER: doubling from
// registerRetryMin up to registerRetryMax.
const (
	registerRetryMin = time.Second
	registerRetryMax = time.Minute
	registerTimeout  = 32 * time.Second // RFC 3261 Timer F
)

// register keeps tr registered until ctx is done, then unregisters.
func (u *UA) register(ctx context.Context, tr *trunk) {
	defer u.regWG.Done()
	r := tr.reg
	aor := r.registrar
	aor.User = tr.Username
	log := u.log.With("trunk", tr.Name, "registrar", r.registrar.String())
	var rt *diago.RegisterTransaction
	retry := registerRetryMin
	for ctx.Err() == nil {
		var err error
		if rt == nil {
			rt, err = u.dg.RegisterTransaction(ctx, aor, diago.RegisterOptions{
				Username: tr.Username, Password: tr.Password, Expiry: tr.Expires,
			})
		}
		if err == nil {
			// A fresh challenge for every REGISTER: a registrar may not
			// take a nonce again.
			rt.Origin.RemoveHeader("Authorization")
			rt.Origin.RemoveHeader("Proxy-Authorization")
			qctx, cancel := context.WithTimeout(ctx, registerTimeout)
			err = rt.Qualify(qctx)
			cancel()
		}
		r.mu.Lock()
		r.registered = err == nil
		r.lastErr = err
		if err == nil {
			r.count++
		}
		r.mu.Unlock()
		var wait time.Duration
		if err == nil {
			log.Debug("registered", "expires", tr.Expires)
			retry = registerRetryMin
			// Refresh at half the lifetime, leaving time for a retry
			// before the registration lapses.
			wait = tr.Expires / 2
			if wait < registerRetryMin {
				wait = registerRetryMin
			}
		} else {
			if ctx.Err() != nil {
				break
			}
			log.Warn("REGISTER failed", "err", err, "retry_in", retry)
			wait = retry
			retry = min(retry*2, registerRetryMax)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	// A refresh cut short by shutdown leaves the registration standing:
	// remove it whenever one was made.
	r.mu.Lock()
	was := r.count > 0
	r.registered = false
	r.mu.Unlock()
	if rt == nil || !was {
		return
	}
	uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rt.Origin.RemoveHeader("Authorization")
	rt.Origin.RemoveHeader("Proxy-Authorization")
	if err := rt.Unregister(uctx); err != nil {
		log.Warn("unregister", "err", err)
	}
}
