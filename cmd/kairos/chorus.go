package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"kairos"
	"kairos/assessments"
	"kairos/chorus"
	"kairos/config"
	"kairos/invoices"
	"kairos/store"
)

// chorusSandbox runs the local Chorus Pro qualification server until ctx
// ends. It accepts the credentials of the KAIROS_CHORUS_* variables (or
// fixed demo ones), so that a Kairos pointed at it with
// KAIROS_CHORUS_API_URL=http://127.0.0.1:8090 and
// KAIROS_CHORUS_OAUTH_URL=http://127.0.0.1:8090/api/oauth/token talks to it
// as to the real platform.
func chorusSandbox(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("chorus-sandbox", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:8090", "adresse d'écoute")
	scenario := fs.String("scenario", chorus.ScenarioPaid, "scénario par défaut : "+strings.Join(chorus.Scenarios, ", "))
	schema := fs.String("schema", "", "XSD Factur-X EN 16931 contre lequel vérifier les dépôts (xmllint) ; vide : XML bien formé seulement")
	step := fs.Duration("step", time.Hour, "durée entre deux états d'une facture")
	var ibans ibanFlags
	fs.Var(&ibans, "iban", "SIRET:IBAN d'un compte enregistré par un fournisseur (répétable) ; ses factures payées à un autre compte sont rejetées")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("usage : kairos chorus-sandbox [--addr %s] [--scenario %s] [--schema XSD] [--step 1h] [--iban SIRET:IBAN] : %w", "127.0.0.1:8090", chorus.ScenarioPaid, err)
	}
	if !slices.Contains(chorus.Scenarios, *scenario) {
		return fmt.Errorf("--scenario : %q inconnu (%s)", *scenario, strings.Join(chorus.Scenarios, ", "))
	}
	if *step <= 0 {
		return errors.New("--step doit être positif")
	}
	sb := &chorus.Sandbox{Clock: kairos.SystemClock, Scenario: *scenario, SchemaPath: *schema, Step: *step, BankAccounts: ibans.m,
		ClientID: or(cfg.ChorusClientID, "kairos-sandbox"), ClientSecret: or(cfg.ChorusClientSecret, "kairos-sandbox-secret"),
		Login: or(cfg.ChorusLogin, "TECH_1_kairos@cpro.fr"), Password: or(cfg.ChorusPassword, "kairos-sandbox")}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	base := "http://" + ln.Addr().String()
	log.Info("chorus sandbox listening", "addr", ln.Addr().String(), "scenario", *scenario, "step", step.String())
	fmt.Fprintf(stdout, "Bac à sable Chorus Pro sur %s (scénario %s, un état toutes les %s).\n", base, *scenario, *step)
	fmt.Fprintf(stdout, "  KAIROS_CHORUS_API_URL=%s\n  KAIROS_CHORUS_OAUTH_URL=%s%s\n  KAIROS_CHORUS_CLIENT_ID=%s KAIROS_CHORUS_LOGIN=%s\n",
		base, base, chorus.TokenPath, sb.ClientID, sb.Login)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ibanFlags collects --iban SIRET:IBAN.
type ibanFlags struct{ m map[string][]string }

func (f *ibanFlags) String() string { return "" }

func (f *ibanFlags) Set(v string) error {
	siret, iban, ok := strings.Cut(v, ":")
	siret, iban = strings.TrimSpace(siret), strings.ToUpper(strings.ReplaceAll(iban, " ", ""))
	if !ok || len(siret) != 14 || len(iban) < 15 {
		return fmt.Errorf("--iban %q : attendu SIRET:IBAN (14 chiffres, deux-points, IBAN)", v)
	}
	if f.m == nil {
		f.m = map[string][]string{}
	}
	f.m[siret] = append(f.m[siret], iban)
	return nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// chorusDepositor builds the deposit of invoices on Chorus Pro: to the
// configured platform (KAIROS_CHORUS_API_URL), or in demo mode to a
// sandbox served in this process (on 127.0.0.1, its clock starting at the
// portal's and moving with real time, one state every
// KAIROS_CHORUS_SANDBOX_STEP). Without either, intents wait (Client nil).
// The returned stop ends the in-process sandbox.
func chorusDepositor(cfg config.Config, log *slog.Logger, db *store.DB, issuer *invoices.Issuer, bilans *assessments.Service, stdout io.Writer) (*invoices.Depositor, func(), error) {
	d := &invoices.Depositor{DB: db, Issuer: issuer, Log: log,
		Certificate: func(ctx context.Context, org, enrolmentID int64) (string, []byte, error) {
			return bilans.Certificate(ctx, &kairos.Actor{Role: kairos.RoleOFAdmin, OrgID: org, Name: "Kairos (dépôt Chorus Pro)"}, enrolmentID)
		}}
	stop := func() {}
	switch {
	case cfg.ChorusAPIURL != "":
		d.Client = chorus.NewClient(chorus.Config{APIURL: cfg.ChorusAPIURL, OAuthURL: cfg.ChorusOAuthURL, ClientID: cfg.ChorusClientID,
			ClientSecret: cfg.ChorusClientSecret, Login: cfg.ChorusLogin, Password: cfg.ChorusPassword}, kairos.SystemClock)
	case cfg.Demo:
		sb := &chorus.Sandbox{Clock: kairos.MovingClock(db.Now()), Step: cfg.ChorusSandboxStep, // the portal's instant, then real time
			ClientID: "kairos-sandbox", ClientSecret: "kairos-sandbox-secret", Login: "TECH_1_kairos@cpro.fr", Password: "kairos-sandbox"}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		stop = func() { srv.Close() }
		url := "http://" + ln.Addr().String()
		d.Client = chorus.NewClient(chorus.SandboxConfig(url, sb.ClientID, sb.ClientSecret, sb.Login, sb.Password), kairos.SystemClock)
		log.Info("chorus sandbox in process (demo)", "url", url, "step", cfg.ChorusSandboxStep.String())
	default:
		log.Warn("Chorus Pro is not configured (KAIROS_CHORUS_API_URL): invoices wait for their deposit")
	}
	if cfg.ChorusCrashAfterDeposit { // test hook, demo mode only (config)
		d.AfterDeposit = func(number, flux string) {
			log.Warn("chorus crash hook: flux accepted by Chorus Pro, its answer not recorded; waiting to be killed", "invoice", number, "flux", flux)
			fmt.Fprintf(stdout, "chorus crash hook: %s %s\n", number, flux)
			select {}
		}
	}
	return d, stop, nil
}
