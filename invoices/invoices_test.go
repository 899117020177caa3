package invoices_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"kairos"
	"kairos/adhesion"
	"kairos/einvoice"
	"kairos/fixture"
	"kairos/invoices"
	"kairos/store"
)

var now = time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)

type env struct {
	*fixture.World
	svc *invoices.Service
	ctx context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	acc := fixture.MustAccounts(t)
	clock := &fixture.Clock{T: now}
	acc.Clock = clock.Now
	w := fixture.MustWorld(t, acc)
	return &env{World: w, svc: &invoices.Service{DB: w.DB(), Adhesions: adhesion.New(acc), Clock: clock.Now}, ctx: fixture.Ctx()}
}

// mustAdhesion gives org a validated adhesion with the SIRET 732 829 320 00074.
func (e *env) mustAdhesion(t *testing.T, org int64) {
	t.Helper()
	if _, err := e.DB().Exec(e.ctx, `INSERT INTO adhesions (state, raison_sociale, siret, siren, nda, address, postal_code, city, region,
		rgc_name, rgc_email, token_hash, conditions_at, org_id, convention_number, valid_from, valid_until, submitted_at, updated_at)
		VALUES ('validee', 'Formations & Avenir', '73282932000074', '732829320', '11755012375', '12 rue de l''Échiquier', '75010', 'Paris', '11',
		'RGC', 'rgc@a.example', 'x', ?, ?, ?, ?, ?, ?, ?)`, now, org, fmt.Sprintf("KAI-T-%d", org), now.AddDate(-1, 0, 0), now.AddDate(2, 0, 0), now, now); err != nil {
		t.Fatal(err)
	}
}

var goodInput = invoices.BillingInput{IBAN: "fr76 3000 6000 0112 3456 7890 189", BIC: "agri fr pp", AccountName: "  Formations   et Avenir ", VATID: "FR 44 732829320"}

func TestSetBillingValidatesAndIsAudited(t *testing.T) {
	e := newEnv(t)
	e.mustAdhesion(t, e.OFA)
	rgc := e.Users[kairos.RoleOFAdmin].Actor()
	ctx := kairos.WithActor(e.ctx, rgc)

	_, err := e.svc.SetBilling(ctx, rgc, invoices.BillingInput{IBAN: "FR76 3000 6000 0112 3456 7890 188", BIC: "AGR1FRPP", AccountName: "a\x00b", VATID: "FR45732829320"})
	fields := kairos.FieldErrors(err)
	for _, f := range []string{"iban", "bic", "titulaire", "tva"} {
		if fields[f] == "" {
			t.Errorf("no error on %s: %v", f, fields)
		}
	}
	if !strings.Contains(fields["iban"], "clé") {
		t.Errorf("iban: %q", fields["iban"])
	}
	_, err = e.svc.SetBilling(ctx, rgc, invoices.BillingInput{IBAN: strings.Repeat("FR76", 100), BIC: "AGRIFRPP", AccountName: strings.Repeat("é", 71)})
	if f := kairos.FieldErrors(err); f["iban"] == "" || f["titulaire"] == "" {
		t.Errorf("huge values: %v", f)
	}
	if b, _ := e.svc.Billing(e.ctx, e.OFA); b != nil {
		t.Fatal("invalid details stored")
	}

	b, err := e.svc.SetBilling(ctx, rgc, goodInput)
	if err != nil {
		t.Fatal(err)
	}
	if b.IBAN != "FR7630006000011234567890189" || b.BIC != "AGRIFRPP" || b.AccountName != "Formations et Avenir" || b.VATID != "FR44732829320" {
		t.Fatalf("normalised: %+v", b)
	}
	got, err := e.svc.Billing(e.ctx, e.OFA)
	if err != nil || got == nil || got.IBAN != b.IBAN || !got.UpdatedAt.Equal(now) || got.IBANGroups() != "FR76 3000 6000 0112 3456 7890 189" {
		t.Fatalf("stored: %+v %v", got, err)
	}
	// A second entry replaces the first (no VAT number: allowed).
	in := goodInput
	in.VATID, in.BIC = "", "BNPAFRPPXXX"
	if _, err := e.svc.SetBilling(ctx, rgc, in); err != nil {
		t.Fatal(err)
	}
	if got, _ = e.svc.Billing(e.ctx, e.OFA); got.BIC != "BNPAFRPPXXX" || got.VATID != "" {
		t.Fatalf("replaced: %+v", got)
	}
	var n int
	var after string
	if err := e.DB().QueryRow(e.ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'organisation.billing_details' AND org_id = ?", e.OFA).Scan(&n); err != nil || n != 2 {
		t.Fatalf("audit: %d %v", n, err)
	}
	if err := e.DB().QueryRow(e.ctx, "SELECT after_json FROM audit_log WHERE action = 'organisation.billing_details' AND org_id = ? ORDER BY id DESC LIMIT 1", e.OFA).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(after, "30006000011234567890") || !strings.Contains(after, "FR76") {
		t.Errorf("audit shows the IBAN: %s", after)
	}
}

func TestSetBillingOnlyByTheAccountManagerOfItsOwnOF(t *testing.T) {
	e := newEnv(t)
	e.mustAdhesion(t, e.OFA)
	for _, r := range []kairos.Role{kairos.RoleOFUser, kairos.RoleConseiller, kairos.RoleFTComptable, kairos.RoleAdmin, kairos.RoleDemandeur} {
		a := e.Users[r].Actor()
		if _, err := e.svc.SetBilling(kairos.WithActor(e.ctx, a), a, goodInput); kairos.ErrorCode(err) != kairos.EForbidden {
			t.Errorf("%s: %v", r, err)
		}
	}
	// OF B's manager writes OF B's details, never OF A's; its SIRET is not
	// OF A's, so OF A's VAT number is refused.
	if _, err := e.DB().Exec(e.ctx, "UPDATE organisations SET siret = '12345678200010' WHERE id = ?", e.OFB); err != nil {
		t.Fatal(err)
	}
	b := e.OFBAdmin.Actor()
	if _, err := e.svc.SetBilling(kairos.WithActor(e.ctx, b), b, goodInput); !strings.Contains(kairos.FieldErrors(err)["tva"], "SIREN") {
		t.Errorf("OF B with OF A's VAT number: %v", err)
	}
	in := goodInput
	in.VATID = ""
	if _, err := e.svc.SetBilling(kairos.WithActor(e.ctx, b), b, in); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.Billing(e.ctx, e.OFA); got != nil {
		t.Error("OF B's entry reached OF A")
	}
}

func TestSellerParty(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.svc.Seller(e.ctx, e.OFA); kairos.ErrorCode(err) != kairos.EConflict {
		t.Fatalf("no adhesion: %v", err)
	}
	e.mustAdhesion(t, e.OFA)
	_, _, err := e.svc.Seller(e.ctx, e.OFA)
	if kairos.ErrorCode(err) != kairos.EConflict || !strings.Contains(kairos.ErrorMessage(err), "Mon organisme") {
		t.Fatalf("no billing details: %v", err)
	}
	rgc := e.Users[kairos.RoleOFAdmin].Actor()
	if _, err := e.svc.SetBilling(kairos.WithActor(e.ctx, rgc), rgc, goodInput); err != nil {
		t.Fatal(err)
	}
	p, b, err := e.svc.Seller(e.ctx, e.OFA)
	if err != nil {
		t.Fatal(err)
	}
	want := einvoice.Party{Name: "Formations & Avenir", SIRET: "73282932000074", NDA: "11755012375", VATID: "FR44732829320",
		Address: einvoice.Address{Line1: "12 rue de l'Échiquier", PostalCode: "75010", City: "Paris", Country: "FR"}}
	if p != want || b.IBAN != "FR7630006000011234567890189" {
		t.Fatalf("seller %+v %+v", p, b)
	}
}

// TestNumberSequenceConcurrent issues 20 documents of one OF at once, each
// in its own transaction: the numbers are 1…20, no gap, no duplicate (run
// it on PostgreSQL with KAIROS_TEST_DATABASE_URL).
func TestNumberSequenceConcurrent(t *testing.T) {
	e := newEnv(t)
	nums := allocateConcurrently(t, e, 20, func(int) bool { return false })
	want := make([]string, 20)
	for i := range want {
		want[i] = invoices.FormatNumber(invoices.SeriesInvoice, 2026, int64(i+1))
	}
	if !slices.Equal(nums, want) {
		t.Fatalf("numbers %v, want %v", nums, want)
	}
}

// TestNumberSequenceRollbackLeavesNoGap: among 20 concurrent issues, every
// third fails after taking its number (its transaction rolls back); the
// committed ones are still 1…14, consecutive.
func TestNumberSequenceRollbackLeavesNoGap(t *testing.T) {
	e := newEnv(t)
	nums := allocateConcurrently(t, e, 20, func(i int) bool { return i%3 == 0 })
	if len(nums) != 13 {
		t.Fatalf("%d committed, want 13: %v", len(nums), nums)
	}
	for i, n := range nums {
		if want := invoices.FormatNumber(invoices.SeriesInvoice, 2026, int64(i+1)); n != want {
			t.Fatalf("numbers %v: gap at %d", nums, i+1)
		}
	}
}

var errFailedIssue = errors.New("issue failed")

// allocateConcurrently runs n transactions at once, each allocating a number
// of OF A; fail(i) makes the i-th roll back. It returns the committed numbers, sorted.
func allocateConcurrently(t *testing.T, e *env, n int, fail func(int) bool) []string {
	t.Helper()
	var (
		mu   sync.Mutex
		nums []string
		wg   sync.WaitGroup
		errs = make(chan error, n)
	)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var num string
			err := e.DB().Tx(e.ctx, func(tx *store.Tx) error {
				var err error
				num, err = invoices.AllocateNumber(e.ctx, tx, e.OFA, invoices.SeriesInvoice, 2026)
				if err != nil {
					return err
				}
				if fail(i) {
					return errFailedIssue
				}
				return nil
			})
			switch {
			case errors.Is(err, errFailedIssue):
			case err != nil:
				errs <- err
			default:
				mu.Lock()
				nums = append(nums, num)
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	slices.Sort(nums)
	return nums
}

func TestNumberSequencesAreSeparate(t *testing.T) {
	e := newEnv(t)
	take := func(org int64, s invoices.Series, year int) string {
		var num string
		if err := e.DB().Tx(e.ctx, func(tx *store.Tx) error {
			var err error
			num, err = invoices.AllocateNumber(e.ctx, tx, org, s, year)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return num
	}
	got := []string{
		take(e.OFA, invoices.SeriesInvoice, 2026), take(e.OFA, invoices.SeriesInvoice, 2026),
		take(e.OFB, invoices.SeriesInvoice, 2026), take(e.OFA, invoices.SeriesCreditNote, 2026),
		take(e.OFA, invoices.SeriesInvoice, 2027), take(e.OFA, invoices.SeriesInvoice, 2026),
	}
	want := []string{"FA-2026-00001", "FA-2026-00002", "FA-2026-00001", "AV-2026-00001", "FA-2027-00001", "FA-2026-00003"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if err := e.DB().Tx(e.ctx, func(tx *store.Tx) error {
		_, err := invoices.AllocateNumber(e.ctx, tx, e.OFA, "XX", 2026)
		return err
	}); err == nil {
		t.Error("unknown series accepted")
	}
}
