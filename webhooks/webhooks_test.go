package webhooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kairos"
	"kairos/appointments"
	"kairos/fixture"
	"kairos/mail"
	"kairos/webhooks"
)

// clock is a settable clock safe for the delivery goroutines.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.ns.Store(t.UnixNano()); return c }
func (c *clock) Now() time.Time   { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) {
	c.ns.Add(int64(d))
}

var t0 = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

type env struct {
	*fixture.World
	clock *clock
	wh    *webhooks.Service
	appts *appointments.Service
	admin *kairos.Actor // OF A's account manager
	rdv   *kairos.Actor
}

func newEnv(t *testing.T) *env {
	t.Helper()
	acc := fixture.MustAccounts(t)
	w := fixture.MustWorld(t, acc)
	c := newClock(t0)
	e := &env{World: w, clock: c}
	e.wh = &webhooks.Service{DB: acc.DB, Clock: c.Now, AllowPrivate: true, BaseURL: "http://kairos.test"}
	e.appts = &appointments.Service{DB: acc.DB, Clock: c.Now, BaseURL: "http://kairos.test", Organizer: "Kairos <ne-pas-repondre@kairos.test>"}
	e.admin = w.Users[kairos.RoleOFAdmin].Actor()
	e.rdv = fixture.MustUser(t, acc, w.OFA, kairos.RoleOFUser, "rdv@a.example", kairos.HabRDV).Actor()
	return e
}

func (e *env) ctx() context.Context { return kairos.WithActor(context.Background(), e.rdv) }

// pump dispatches the outbox and sends what is due, as the worker does.
func (e *env) pump(t *testing.T) int {
	t.Helper()
	if _, err := e.wh.Dispatch(context.Background()); err != nil {
		t.Fatal(err)
	}
	n, err := e.wh.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) newAppointment(t *testing.T, title string) int64 {
	t.Helper()
	a, err := e.appts.Create(e.ctx(), e.rdv, appointments.Input{Kind: appointments.KindCollectif, Title: title, Date: "2026-06-10",
		Start: "09:30", End: "11:00", Place: "12 rue des Lois, 31000 Toulouse", Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func (e *env) update(t *testing.T, id int64, capacity int) {
	t.Helper()
	_, err := e.appts.Update(e.ctx(), e.rdv, id, appointments.Input{Kind: appointments.KindCollectif, Title: fmt.Sprintf("Réunion %d", id), Date: "2026-06-10",
		Start: "09:30", End: "11:00", Place: "12 rue des Lois, 31000 Toulouse", Capacity: capacity})
	if err != nil {
		t.Fatal(err)
	}
}

// receipt is one request the receiver got.
type receipt struct {
	ID     string
	Body   string
	Event  webhooks.Event
	Status int // what the receiver answered
}

// receiver is a real HTTP server on loopback that verifies signatures and
// can go down (its port closed) and come back on the same port.
type receiver struct {
	t      *testing.T
	secret string
	clock  *clock
	addr   string
	srv    *httptest.Server
	mu     sync.Mutex
	got    []receipt
	fail   func(id string, n int) bool // answer 500 to the n-th receipt (1-based) of id
	count  map[string]int
	badSig int
}

func newReceiver(t *testing.T, c *clock) *receiver {
	r := &receiver{t: t, clock: c, count: map[string]int{}}
	r.start("127.0.0.1:0")
	t.Cleanup(func() { r.srv.Close() })
	return r
}

func (r *receiver) start(addr string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = l.Addr().String()
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.srv.Listener.Close()
	r.srv.Listener = l
	r.srv.Start()
}

func (r *receiver) down() { r.srv.Close() }
func (r *receiver) up()   { r.start(r.addr) }
func (r *receiver) url() string {
	return "http://" + r.addr + "/kairos/webhooks"
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := webhooks.Verify(r.secret, req.Header, body, r.clock.Now(), 5*time.Minute); err != nil {
		r.badSig++
		http.Error(w, "signature invalide", http.StatusUnauthorized)
		return
	}
	var ev webhooks.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		r.t.Errorf("body is not an event: %v", err)
	}
	id := req.Header.Get("webhook-id")
	if id != ev.ID {
		r.t.Errorf("webhook-id %s, body id %s", id, ev.ID)
	}
	r.count[id]++
	status := http.StatusNoContent
	if r.fail != nil && r.fail(id, r.count[id]) {
		status = http.StatusInternalServerError
	}
	r.got = append(r.got, receipt{ID: id, Body: string(body), Event: ev, Status: status})
	w.WriteHeader(status)
}

func (r *receiver) receipts() []receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receipt(nil), r.got...)
}

func (e *env) subscribe(t *testing.T, a *kairos.Actor, url string, types ...string) (*webhooks.Subscription, string) {
	t.Helper()
	if len(types) == 0 {
		types = []string{"*"}
	}
	sub, secret, err := e.wh.Create(context.Background(), a, webhooks.Input{URL: url, EventTypes: types, Description: "ERP"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	return sub, secret
}

// TestReceiverDownThenBack is the acceptance test: signatures verify; while
// the receiver is down nothing is lost; once it is back every event arrives,
// in order per object, and duplicates carry the same event id.
func TestReceiverDownThenBack(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, e.clock)
	_, rc.secret = e.subscribe(t, e.admin, rc.url())

	ids := []int64{e.newAppointment(t, "Réunion A"), e.newAppointment(t, "Réunion B"), e.newAppointment(t, "Réunion C")}
	e.pump(t)
	if n := len(rc.receipts()); n != 3 {
		t.Fatalf("%d receipts while up, want 3", n)
	}

	rc.down()
	for round := 0; round < 4; round++ {
		for i, id := range ids {
			e.update(t, id, 11+round*3+i)
		}
		e.pump(t) // attempts fail: connection refused
		e.clock.Advance(6 * time.Second)
	}
	extra := e.newAppointment(t, "Réunion D")
	e.update(t, extra, 30)
	for _, d := range []time.Duration{5 * time.Second, 5 * time.Minute} {
		e.pump(t)
		e.clock.Advance(d + time.Second)
	}
	if n := len(rc.receipts()); n != 3 {
		t.Fatalf("%d receipts while down", n)
	}

	// Back, but answering 500 to the first receipt of one event in three:
	// those come again, with the same id.
	rc.mu.Lock()
	rc.fail = func(id string, n int) bool { return n == 1 && id[len(id)-1]%3 == 0 }
	rc.mu.Unlock()
	rc.up()
	for i := 0; i < 12; i++ {
		e.pump(t)
		e.clock.Advance(31 * time.Minute)
	}

	page, err := e.wh.Feed(context.Background(), e.admin, 0, nil, 500)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]webhooks.Event{}
	for _, ev := range page.Events {
		want[ev.ID] = ev
	}
	if len(want) != 3+4*3+2 {
		t.Fatalf("feed has %d events, want %d", len(want), 3+4*3+2)
	}
	got := rc.receipts()
	bodies := map[string]string{}
	accepted := map[string]bool{}
	dups := 0
	lastSeq := map[string]int64{} // object → sequence of the last event received
	for _, r := range got {
		if b, ok := bodies[r.ID]; ok {
			dups++
			if b != r.Body {
				t.Errorf("duplicate of %s with another body", r.ID)
			}
		} else {
			bodies[r.ID] = r.Body
			key := r.Event.Object.Type + ":" + r.Event.Object.ID
			if r.Event.Sequence < lastSeq[key] {
				t.Errorf("%s (sequence %d) received after sequence %d of the same object", r.ID, r.Event.Sequence, lastSeq[key])
			}
			lastSeq[key] = r.Event.Sequence
		}
		if r.Status < 300 {
			accepted[r.ID] = true
		}
		fe, ok := want[r.ID]
		if !ok {
			t.Errorf("received %s, not in the feed", r.ID)
			continue
		}
		fb, _ := json.Marshal(fe)
		if string(fb) != r.Body {
			t.Errorf("webhook body of %s differs from the feed's:\n%s\n%s", r.ID, r.Body, fb)
		}
	}
	for id := range want {
		if !accepted[id] {
			t.Errorf("event %s never delivered", id)
		}
	}
	if dups == 0 {
		t.Error("no duplicate was provoked")
	}
	if rc.badSig != 0 {
		t.Errorf("%d bad signatures", rc.badSig)
	}
	// Nothing left, every delivery logged.
	subs, _ := e.wh.List(context.Background(), e.admin)
	s, err := e.wh.Get(context.Background(), e.admin, subs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Stats.Pending != 0 || s.Stats.Failed != 0 || s.Stats.Delivered != int64(len(want)) || s.State != webhooks.StActive {
		t.Errorf("stats %+v, state %s", s.Stats, s.State)
	}
	ds, _, err := e.wh.Deliveries(context.Background(), e.admin, s.ID, webhooks.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var refused, errored bool
	for _, d := range ds {
		for _, a := range d.Log {
			refused = refused || (a.Status == 0 && a.Error != "")
			errored = errored || a.Status == 500
		}
	}
	if !refused || !errored {
		t.Errorf("log lacks refused connections (%v) or 500 answers (%v)", refused, errored)
	}
}

// TestSignatureVector checks Sign against the Standard Webhooks test vector,
// so that receivers can verify with an existing library.
func TestSignatureVector(t *testing.T) {
	sig, err := webhooks.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if sig != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("signature %s", sig)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,bm9ldmVu "+sig)
	at := time.Unix(1614265330, 0)
	if err := webhooks.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, []byte(`{"test": 2432232314}`), at, time.Minute); err != nil {
		t.Fatal(err)
	}
	if webhooks.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, []byte(`{"test": 2432232315}`), at, time.Minute) == nil {
		t.Fatal("tampered body verified")
	}
	if webhooks.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, []byte(`{"test": 2432232314}`), at.Add(10*time.Minute), time.Minute) == nil {
		t.Fatal("old timestamp verified")
	}
}

// TestAutoDisable: a receiver failing through every retry (more than 24 h)
// gets its subscription disabled and the account manager an e-mail; once
// re-enabled, a replay delivers the event with its id.
func TestAutoDisable(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, e.clock)
	sub, secret := e.subscribe(t, e.admin, rc.url(), "appointment.create.v1")
	rc.secret = secret
	rc.fail = func(string, int) bool { return true }
	e.newAppointment(t, "Réunion A")
	start := e.clock.Now()
	for i := 0; i < len(webhooks.Retries)+2; i++ {
		e.pump(t)
		if i+1 < len(webhooks.Retries) {
			e.clock.Advance(webhooks.Retries[i+1])
		}
	}
	if span := e.clock.Now().Sub(start); span < 24*time.Hour {
		t.Fatalf("retries span %v, want at least 24 h", span)
	}
	if n := len(rc.receipts()); n != len(webhooks.Retries) {
		t.Fatalf("%d attempts, want %d", n, len(webhooks.Retries))
	}
	s, err := e.wh.Get(context.Background(), e.admin, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != webhooks.StDisabled || !strings.Contains(s.DisabledReason, "automatiquement") || s.Stats.Failed != 1 {
		t.Fatalf("subscription %+v", s)
	}
	ms, _ := mail.List(context.Background(), e.Acc.DB, 100)
	var mailed bool
	for _, m := range ms {
		mailed = mailed || (m.To == e.Users[kairos.RoleOFAdmin].Email && strings.Contains(m.Subject, "désactivé"))
	}
	if !mailed {
		t.Error("no e-mail to the OF's account manager")
	}
	// Disabled: new events are not queued for it.
	e.newAppointment(t, "Réunion B")
	e.pump(t)
	if n := len(rc.receipts()); n != len(webhooks.Retries) {
		t.Fatalf("sent to a disabled subscription")
	}
	rc.fail = nil
	if _, err := e.wh.SetEnabled(context.Background(), e.admin, sub.ID, true); err != nil {
		t.Fatal(err)
	}
	n, err := e.wh.ReplayFailed(context.Background(), e.admin, sub.ID)
	if err != nil || n != 1 {
		t.Fatalf("replay: %d, %v", n, err)
	}
	e.pump(t)
	got := rc.receipts()
	if len(got) != len(webhooks.Retries)+1 || got[len(got)-1].ID != got[0].ID || got[len(got)-1].Status >= 300 {
		t.Fatalf("replay not delivered with the same id: %+v", got[len(got)-1])
	}
	if _, err := e.wh.ReplayFailed(context.Background(), e.admin, sub.ID); kairos.ErrorCode(err) != kairos.EConflict {
		t.Fatalf("second replay of the same failure: %v", err)
	}
}

// TestAudience: an organisation receives (webhooks and feed) only events
// about objects it may see.
func TestAudience(t *testing.T) {
	e := newEnv(t)
	ctx := fixture.Ctx()
	de := e.Users[kairos.RoleDemandeur]
	cons := e.Users[kairos.RoleConseiller]
	if err := e.appts.SetDemandeur(ctx, de.ID, "FT000001", e.Agence, cons.ID); err != nil {
		t.Fatal(err)
	}
	agenceB := fixture.MustOrg(t, e.Acc, kairos.OrgFTAgence, "Agence B")
	keyActor := func(org int64) *kairos.Actor {
		_, tok, err := e.Acc.CreateAPIKey(fixture.Ctx(), kairos.System, org, "Logiciel")
		if err != nil {
			t.Fatal(err)
		}
		a, err := e.Acc.APIKeyActor(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	rcs := map[string]*receiver{}
	actors := map[string]*kairos.Actor{"ofA": e.admin, "ofB": e.OFBAdmin.Actor(), "agence": keyActor(e.Agence), "agenceB": keyActor(agenceB), "dr": keyActor(e.DR)}
	for name, a := range actors {
		rc := newReceiver(t, e.clock)
		_, rc.secret = e.subscribe(t, a, rc.url())
		rcs[name] = rc
	}
	id := e.newAppointment(t, "Réunion A")
	if _, err := e.appts.Register(kairos.WithActor(context.Background(), cons.Actor()), cons.Actor(), id, de.ID); err != nil {
		t.Fatal(err)
	}
	e.pump(t)
	types := func(name string) []string {
		var out []string
		for _, r := range rcs[name].receipts() {
			out = append(out, r.Event.Type)
		}
		sort.Strings(out) // different objects: no order between them
		return out
	}
	if got := types("ofA"); strings.Join(got, ",") != "appointment.create.v1,appointment.register.v1" {
		t.Errorf("OF A got %v", got)
	}
	if got := types("agence"); strings.Join(got, ",") != "appointment.register.v1" {
		t.Errorf("the job seeker's agence got %v", got)
	}
	for _, name := range []string{"ofB", "agenceB", "dr"} {
		if got := types(name); len(got) != 0 {
			t.Errorf("%s got %v", name, got)
		}
		p, err := e.wh.Feed(context.Background(), actors[name], 0, nil, 100)
		if err != nil || len(p.Events) != 0 {
			t.Errorf("%s feed: %v %v", name, p, err)
		}
	}
	// Another organisation's subscription is not found.
	subs, _ := e.wh.List(context.Background(), e.admin)
	if _, err := e.wh.Get(context.Background(), actors["ofB"], subs[0].ID); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Errorf("OF B reads OF A's subscription: %v", err)
	}
	if _, err := e.wh.Replay(context.Background(), actors["ofB"], subs[0].ID, 1); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Errorf("OF B replays OF A's delivery: %v", err)
	}
	// An OF user without the account manager's role cannot manage webhooks.
	if _, _, err := e.wh.Create(context.Background(), e.rdv, webhooks.Input{URL: "https://erp.example.fr/h", EventTypes: []string{"*"}}); kairos.ErrorCode(err) != kairos.EForbidden {
		t.Errorf("OF user creates a subscription: %v", err)
	}
}

// TestOutboundSafety: without AllowPrivate, loopback and private addresses
// are refused (at subscription and at connection), and redirects are not
// followed.
func TestOutboundSafety(t *testing.T) {
	for _, u := range []string{"http://erp.example.fr/h", "https://127.0.0.1/h", "https://10.1.2.3/h", "https://[::1]/h", "https://169.254.169.254/latest",
		"https://localhost/h", "https://user:pw@erp.example.fr/h", "ftp://erp.example.fr", "https://erp.example.fr/h#x", "https://100.64.0.1/", "https://intranet/h"} {
		if _, msg := webhooks.CheckURL(u, false); msg == "" {
			t.Errorf("%s accepted", u)
		}
	}
	if got, msg := webhooks.CheckURL(" https://ERP.example.fr/kairos?x=1 ", false); msg != "" || got != "https://erp.example.fr/kairos?x=1" {
		t.Errorf("valid URL: %q %q", got, msg)
	}
	// The connection-time check, whatever the name resolves to.
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, err := webhooks.NewClient(false).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err == nil || !strings.Contains(err.Error(), "interdite") || hits.Load() != 0 {
		t.Errorf("loopback reached: %v", err)
	}
	// No redirect followed: a 302 is a failed attempt, the target gets nothing.
	e := newEnv(t)
	rc := newReceiver(t, e.clock)
	var target atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { target.Add(1) }))
	defer other.Close()
	redir := httptest.NewServer(http.RedirectHandler(other.URL, http.StatusFound))
	defer redir.Close()
	sub, _ := e.subscribe(t, e.admin, redir.URL)
	e.newAppointment(t, "Réunion")
	e.pump(t)
	ds, _, _ := e.wh.Deliveries(context.Background(), e.admin, sub.ID, webhooks.DeliveryFilter{})
	if len(ds) != 1 || ds[0].State != "pending" || ds[0].LastStatus != 302 || !strings.Contains(ds[0].LastError, "redirection") || target.Load() != 0 {
		t.Errorf("redirect: %+v, target hit %d", ds, target.Load())
	}
	_ = rc
}

// TestRotation: after a rotation both secrets sign for a day, then only the new one.
func TestRotation(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, e.clock)
	sub, old := e.subscribe(t, e.admin, rc.url())
	_, fresh, err := e.wh.Rotate(context.Background(), e.admin, sub.ID)
	if err != nil || fresh == old {
		t.Fatal(err)
	}
	rc.secret = old
	e.newAppointment(t, "Réunion A")
	e.pump(t)
	rc.secret = fresh
	e.newAppointment(t, "Réunion B")
	e.pump(t)
	e.clock.Advance(webhooks.RotationOverlap + time.Minute)
	rc.secret = old
	e.newAppointment(t, "Réunion C")
	e.pump(t) // refused by the receiver: the old secret no longer signs
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) != 2 || rc.badSig != 1 {
		t.Fatalf("%d accepted, %d bad signatures", len(rc.got), rc.badSig)
	}
}

// TestValidation: bad input gets French field errors.
func TestValidation(t *testing.T) {
	e := newEnv(t)
	_, _, err := e.wh.Create(context.Background(), e.admin, webhooks.Input{URL: "pas une url", EventTypes: []string{"enrolment.vole.v1"}, Description: strings.Repeat("x", 300)})
	f := kairos.FieldErrors(err)
	if f["url"] == "" || f["event_types"] == "" || f["description"] == "" {
		t.Fatalf("errors %v", f)
	}
	if _, err := webhooks.ParseCursor("abc"); kairos.ErrorCode(err) != kairos.EInvalid {
		t.Fatal("bad cursor accepted")
	}
}
