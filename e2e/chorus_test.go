package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"kairos"
	"kairos/calendar"
	"kairos/chorus"
	"kairos/einvoice"
	"kairos/einvoice/einvoicetest"
)

// TestChorusSandboxCommand runs `kairos chorus-sandbox` (the real binary,
// on the real clock, one state every 150 ms, the Factur-X XSD) and drives
// it with the client: a Factur-X deposit is integrated and paid; an
// invalid one is rejected with ERR_XSD_001.
func TestChorusSandboxCommand(t *testing.T) {
	dir := einvoicetest.Need(t)
	addr := freePort(t)
	logs := &syncBuffer{}
	cmd := exec.Command(binary, "chorus-sandbox", "--addr", addr, "--step", "150ms", "--schema", filepath.Join(dir, "facturx-1.09/en16931/Factur-X_EN16931.xsd"))
	cmd.Env = append(baseEnv(""), "KAIROS_CHORUS_CLIENT_ID=e2e", "KAIROS_CHORUS_CLIENT_SECRET=e2e-secret", "KAIROS_CHORUS_LOGIN=TECH_e2e@cpro.fr", "KAIROS_CHORUS_PASSWORD=e2e-mdp")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("chorus-sandbox did not exit cleanly: %v\n%s", err, logs)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Errorf("chorus-sandbox did not stop\n%s", logs)
		}
	})
	base := "http://" + addr
	c := chorus.NewClient(chorus.SandboxConfig(base, "e2e", "e2e-secret", "TECH_e2e@cpro.fr", "e2e-mdp"), kairos.SystemClock)
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := c.RechercherStructure(ctx, chorus.FranceTravail.IdentifiantStructure); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("sandbox not answering: %v\n%s", err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "KAIROS_CHORUS_API_URL="+base) {
		t.Errorf("the command does not print its configuration:\n%s", logs)
	}

	lines, _ := einvoice.PrepareLines([]einvoice.HoursItem{{Label: "Formation — mars 2026", QuarterHours: 400}}, 1250, 0, "DEV-1")
	inv := &einvoice.Invoice{Number: "FA-2026-00001", TypeCode: einvoice.TypeInvoice,
		IssueDate: calendar.NewDate(2026, time.June, 2), DueDate: calendar.NewDate(2026, time.July, 2),
		Seller:         einvoice.Party{Name: "OF", SIRET: "73282932000074", VATID: "FR44732829320", Address: einvoice.Address{Country: "FR"}},
		Buyer:          einvoice.Party{Name: "France Travail", SIRET: chorus.FranceTravail.IdentifiantStructure, Address: einvoice.Address{Country: "FR"}},
		BuyerReference: "FT-SERV", OrderReference: "DEV-1", IBAN: "FR7630006000011234567890189", Lines: lines}
	inv.Compute()
	at := time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)
	good, err := einvoice.PDF(inv, einvoice.XML(inv), at)
	if err != nil {
		t.Fatal(err)
	}
	inv.Number = "FA-2026-00002"
	bad, _ := einvoice.PDF(inv, []byte(strings.Replace(string(einvoice.XML(inv)), "<ram:TypeCode>380</ram:TypeCode>", "", 1)), at)

	okFlux, err := c.DeposerFlux(ctx, "FA-2026-00001.pdf", good)
	if err != nil {
		t.Fatal(err)
	}
	badFlux, err := c.DeposerFlux(ctx, "FA-2026-00002.pdf", bad)
	if err != nil {
		t.Fatal(err)
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		end := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(end) {
				t.Fatalf("%s: not reached\n%s", what, logs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait("rejection", func() bool {
		cr, err := c.ConsulterCRDetaille(ctx, badFlux.NumeroFluxDepot)
		return err == nil && cr.EtatCourantDepotFlux == chorus.FluxRejete && len(cr.ListeErreurTechnique) == 1 && cr.ListeErreurTechnique[0].CodeErreur == "ERR_XSD_001"
	})
	var id int64
	wait("integration", func() bool {
		l, err := c.RechercherFournisseur(ctx, chorus.RechercherFournisseurRequest{NumeroFluxDepot: okFlux.NumeroFluxDepot})
		if err == nil && len(l) == 1 {
			id = l[0].IdentifiantFactureCPP
		}
		return id != 0
	})
	wait("mise en paiement", func() bool {
		h, err := c.ConsulterHistorique(ctx, id)
		return err == nil && h.StatutCourantCode == chorus.StMiseEnPaiement && len(h.HistoriquesDesStatuts.HistoStatut) == 5
	})
}
