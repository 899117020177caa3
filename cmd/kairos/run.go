package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"kairos"
	"kairos/account"
	"kairos/adhesion"
	"kairos/api"
	"kairos/appointments"
	"kairos/assessments"
	"kairos/attendance"
	"kairos/attestations"
	"kairos/calendar"
	"kairos/catalogue"
	"kairos/config"
	"kairos/demo"
	"kairos/enrolment"
	"kairos/invoices"
	"kairos/mail"
	"kairos/metrics"
	"kairos/quotes"
	"kairos/store"
	"kairos/web"
	"kairos/webhooks"
	"kairos/worker"
)

// Version is set at build time (-ldflags "-X main.Version=…").
var Version = "dev"

const usage = `Kairos — échanges entre organismes de formation et France Travail.

Usage : kairos <commande> [options]

Commandes :
  serve            lance le portail et l'API (applique les migrations au démarrage)
  migrate          applique les migrations de la base de données
  demo             charge les données de démonstration (sans effet si elles existent déjà)
  user create      crée un utilisateur
  apikey create    crée une clé d'API pour une organisation et affiche le secret
  lheo import      importe un fichier LHÉO 2.2/2.3 dans le catalogue (--source S, --partiel)
  lheo export      écrit le catalogue en LHÉO 2.3 sur la sortie standard (-o FICHIER)
  chorus-sandbox   serveur local de qualification Chorus Pro (--addr, --scenario, --schema, --step)
  version          affiche la version

Configuration par variables d'environnement (voir docs/OPERATIONS.md) :
  KAIROS_ADDR, KAIROS_DATABASE_URL, KAIROS_BASE_URL, KAIROS_DEMO, KAIROS_SECRET,
  KAIROS_SMTP_HOST, KAIROS_SMTP_PORT, KAIROS_SMTP_USERNAME, KAIROS_SMTP_PASSWORD, KAIROS_MAIL_FROM,
  KAIROS_LOG_FORMAT, KAIROS_LOG_LEVEL, KAIROS_TRUST_PROXY, KAIROS_WORKER,
  KAIROS_DECLARATION_DAYS, KAIROS_ENTRY_TOLERANCE_DAYS, KAIROS_ATTESTATION_DUE_DAY, KAIROS_ASSESSMENT_DAYS, KAIROS_FT_CODE_SERVICE,
  KAIROS_WEBHOOKS_ALLOW_PRIVATE, KAIROS_API_RATE_LIMIT,
  KAIROS_CHORUS_API_URL, KAIROS_CHORUS_OAUTH_URL, KAIROS_CHORUS_CLIENT_ID, KAIROS_CHORUS_CLIENT_SECRET,
  KAIROS_CHORUS_LOGIN, KAIROS_CHORUS_PASSWORD,
  KAIROS_CHORUS_PASSWORD_EXPIRES, KAIROS_CHORUS_REMINDER_DAYS, KAIROS_CHORUS_DOC_URL, KAIROS_CHORUS_FT_EMAIL,
  KAIROS_CHORUS_SANDBOX_STEP, KAIROS_CHORUS_CRASH_AFTER_DEPOSIT (test, démonstration seulement),
  KAIROS_DB_MAX_CONNS,
  KAIROS_DEVIS_SEUILS (seuils régionaux des devis AIF, « région:euros:heures », défaut 3 200 € ou 400 h),
  KAIROS_DEMO_FORCE, KAIROS_METRICS_TOKEN,
  KAIROS_NOW (démonstration seulement : fige l'horloge du portail à un instant RFC 3339)
`

// run is the whole program; main only calls it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "kairos", Version)
		return nil
	case "serve":
		return serve(ctx, cfg, log, stdout)
	case "migrate":
		db, err := openDB(ctx, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		applied, err := db.Migrate(ctx)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "Base à jour : aucune migration à appliquer.")
		}
		for _, v := range applied {
			fmt.Fprintln(stdout, "Migration appliquée :", v)
		}
		return nil
	case "demo":
		db, acc, err := openAccounts(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer db.Close()
		orgs, users, err := demo.Load(kairos.WithActor(ctx, kairos.System), acc)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Données de démonstration : %d organisation(s) et %d compte(s) créés (mot de passe : %s).\n", orgs, users, demo.Password)
		n, err := demo.LoadCatalogue(kairos.WithActor(ctx, kairos.System), &catalogue.Service{DB: db, Log: log}, db.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Catalogue de démonstration : %d session(s) créée(s).\n", n)
		cat := &catalogue.Service{DB: db, Log: log}
		att := &attestations.Service{DB: db, Log: log, Due: attendance.DueDay(cfg.AttestationDueDay)}
		path := &enrolment.Service{DB: db, Log: log, Sessions: appointments.CatalogueSessions{Catalogue: cat, Accounts: acc}, Schedules: att}
		if err := demo.LoadEnrolments(kairos.WithActor(ctx, kairos.System), acc, path, db.Now()); err != nil {
			return err
		}
		if err := demo.LoadAttestations(kairos.WithActor(ctx, kairos.System), acc, att, db.Now()); err != nil {
			return err
		}
		return demo.LoadAssessments(kairos.WithActor(ctx, kairos.System), acc, &assessments.Service{DB: db, BaseURL: cfg.BaseURL, Delay: cfg.AssessmentDays, Log: log})
	case "user":
		if len(args) < 2 || args[1] != "create" {
			return errors.New("usage : kairos user create --email E --name N --role R [--org ID|NOM] [--habilitations h1,h2] [--password-stdin]")
		}
		return userCreate(ctx, cfg, log, args[2:], stdin, stdout)
	case "lheo":
		return lheoCmd(ctx, cfg, log, args[1:], stdout, stderr)
	case "chorus-sandbox":
		return chorusSandbox(ctx, cfg, log, args[1:], stdout)
	case "apikey":
		if len(args) < 2 || args[1] != "create" {
			return errors.New("usage : kairos apikey create --org ID|NOM --name NOM")
		}
		return apikeyCreate(ctx, cfg, log, args[2:], stdout)
	}
	return fmt.Errorf("commande inconnue %q (kairos help liste les commandes)", args[0])
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// openDB opens the database with the process's one clock: the system clock,
// or the instant of KAIROS_NOW (demo mode only), which every service, job
// and demo loader then reads through the database.
func openDB(ctx context.Context, cfg config.Config) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.DBMaxConns > 0 {
		db.SetMaxConns(cfg.DBMaxConns)
	}
	if !cfg.Now.IsZero() {
		db.Clock = kairos.FixedClock(cfg.Now)
	}
	return db, nil
}

func openAccounts(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, *account.Service, error) {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, &account.Service{DB: db, BaseURL: cfg.BaseURL, Log: log}, nil
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	db, acc, err := openAccounts(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.Demo {
		orgs, users, err := demo.Load(kairos.WithActor(ctx, kairos.System), acc)
		if err != nil {
			return err
		}
		if orgs+users > 0 {
			log.Info("demo data loaded", "organisations", orgs, "users", users)
		}
		if n, err := demo.LoadCatalogue(kairos.WithActor(ctx, kairos.System), &catalogue.Service{DB: db, Log: log}, db.Now()); err != nil {
			return err
		} else if n > 0 {
			log.Info("demo catalogue loaded", "sessions", n)
		}
	}
	secret := cfg.Secret
	if secret == "" {
		// Shared by every instance on this database, so that a form served
		// by one instance can be posted to another.
		secret, err = db.Setting(ctx, "csrf_secret", randomHex)
		if err != nil {
			return err
		}
	}
	reg := metrics.New()
	// The capabilities, built once and shared by the pages, the API and the worker.
	adh := adhesion.New(acc)
	cat := &catalogue.Service{DB: db, Log: log, Trade: adh} // a session is visible only if its OF can trade
	appts := &appointments.Service{DB: db, BaseURL: cfg.BaseURL, Organizer: cfg.MailFrom, Log: log,
		Sessions: appointments.CatalogueSessions{Catalogue: cat, Accounts: acc}}
	path := &enrolment.Service{DB: db, Log: log, Sessions: appts.Sessions, EntryTolerance: cfg.EntryToleranceDays,
		Rule: calendar.DeclarationRule{Days: cfg.DeclarationDays}}
	if cfg.Demo {
		if err := demo.LoadEnrolments(kairos.WithActor(ctx, kairos.System), acc, path, db.Now()); err != nil {
			return err
		}
	}
	att := &attestations.Service{DB: db, Log: log, Due: attendance.DueDay(cfg.AttestationDueDay)}
	path.Schedules = att // absences are checked against the session's rhythm
	bilans := &assessments.Service{DB: db, BaseURL: cfg.BaseURL, Delay: cfg.AssessmentDays, Log: log}
	if cfg.Demo {
		if err := demo.LoadAttestations(kairos.WithActor(ctx, kairos.System), acc, att, db.Now()); err != nil {
			return err
		}
		if err := demo.LoadAssessments(kairos.WithActor(ctx, kairos.System), acc, bilans); err != nil {
			return err
		}
	}
	hooks := &webhooks.Service{DB: db, Log: log, AllowPrivate: cfg.WebhooksAllowPrivate, BaseURL: cfg.BaseURL}
	thresholds, err := quotes.ParseThresholds(cfg.QuoteThresholds)
	if err != nil {
		return err
	}
	devis := &quotes.Service{DB: db, Log: log, BaseURL: cfg.BaseURL, Catalog: quotes.CatalogueSource{Catalogue: cat, Accounts: acc}, Trade: adh, Path: path,
		EntryTolerance: cfg.EntryToleranceDays, Thresholds: thresholds}
	if cfg.Demo {
		if err := demo.LoadQuotes(kairos.WithActor(ctx, kairos.System), acc, devis, db.Now()); err != nil {
			return err
		}
	}
	apiHandler := api.New(acc, log)
	apiHandler.Quotes = devis
	apiHandler.Adhesions, apiHandler.Catalogue, apiHandler.Appointments, apiHandler.Enrolment, apiHandler.Attestations = adh, cat, appts, path, att
	apiHandler.Assessments = bilans
	apiHandler.Webhooks, apiHandler.RateLimit = hooks, cfg.APIRateLimit
	billing := &invoices.Service{DB: db, Adhesions: adh}
	issuer := &invoices.Issuer{DB: db, Invoices: billing, CodeService: cfg.FTCodeService}
	if cfg.Demo {
		if err := demo.LoadInvoices(kairos.WithActor(ctx, kairos.System), acc, devis, path, att, bilans, issuer, db.Now()); err != nil {
			return err
		}
	}
	apiHandler.Invoices, apiHandler.Issuer = billing, issuer
	deposits, stopSandbox, err := chorusDepositor(cfg, log, db, issuer, bilans, stdout) // issue 17
	if err != nil {
		return err
	}
	defer stopSandbox()
	apiHandler.Chorus = deposits
	// The timing of jobs, leases, retries and polls: under KAIROS_NOW the
	// portal's facts stay at the frozen instant, but this clock moves with
	// real time from it, so that a retry or a poll comes due (see worker).
	var timing kairos.Clock // nil: the database's clock, the system one
	if !cfg.Now.IsZero() {
		timing = kairos.MovingClock(cfg.Now)
	}
	deposits.Timing = timing
	chorusPassword := &invoices.PasswordReminder{DB: db, Expires: cfg.ChorusPasswordExpires, Days: cfg.ChorusReminderDays, BaseURL: cfg.BaseURL}
	srv, err := web.New(&web.Server{Cfg: cfg, DB: db, Accounts: acc, Log: log, Metrics: reg, API: apiHandler.Handler(), Secret: []byte(secret),
		Adhesions: adh, Catalogue: cat, Appointments: appts, Enrolment: path, Attestations: att, Assessments: bilans, Invoices: billing, Issuer: issuer, Webhooks: hooks, Quotes: devis, Chorus: deposits, ChorusPass: chorusPassword})
	if err != nil {
		return err
	}

	host, _ := os.Hostname()
	w := &worker.Worker{
		DB:  db,
		ID:  worker.InstanceID(host, os.Getpid()) + ":" + randomHex()[:6],
		Log: log,
		Handlers: map[string]worker.Handler{
			mail.JobKind:       (&mail.Deliverer{DB: db, SMTP: mail.SMTPConfig{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, From: cfg.MailFrom}}).Handle,
			"accounts.cleanup": func(ctx context.Context, _ json.RawMessage) error { return acc.Cleanup(ctx) },
			"adhesion.qualiopi_reminders": func(ctx context.Context, _ json.RawMessage) error {
				_, err := adh.RemindQualiopi(ctx)
				return err
			},
			catalogue.StaleImportsJob: func(ctx context.Context, _ json.RawMessage) error {
				_, err := cat.FailStaleImports(ctx)
				return err
			},
			appointments.ReminderJob: appts.HandleReminders,
			attestations.ReminderJob: att.HandleReminders,
			"api.idempotency_cleanup": func(ctx context.Context, _ json.RawMessage) error {
				_, err := api.CleanupIdempotency(ctx, db, db.Now())
				return err
			},
			assessments.ReminderJob: bilans.HandleReminders,
			quotes.ExpiryJob:        devis.HandleExpiry,
			invoices.PDFJob:         issuer.HandlePDF,

			// Chorus Pro (issue 17): deposits and follow-ups, the technical account's password.
			invoices.ChorusJob:         deposits.Handle,
			invoices.ChorusPasswordJob: chorusPassword.Handle,
			invoices.QuestionJob:       deposits.HandleQuestion,
		},
		Schedules: []worker.Schedule{
			{Name: "accounts.cleanup", Every: time.Hour, Kind: "accounts.cleanup"},
			{Name: "adhesion.qualiopi_reminders", Every: time.Hour, Kind: "adhesion.qualiopi_reminders"},
			{Name: catalogue.StaleImportsJob, Every: 15 * time.Minute, Kind: catalogue.StaleImportsJob},
			{Name: appointments.ReminderJob, Every: 15 * time.Minute, Kind: appointments.ReminderJob},
			{Name: attestations.ReminderJob, Every: time.Hour, Kind: attestations.ReminderJob},
			{Name: "api.idempotency_cleanup", Every: time.Hour, Kind: "api.idempotency_cleanup"},
			{Name: assessments.ReminderJob, Every: time.Hour, Kind: assessments.ReminderJob},
			{Name: quotes.ExpiryJob, Every: time.Hour, Kind: quotes.ExpiryJob},
			{Name: invoices.ChorusPasswordJob, Every: time.Hour, Kind: invoices.ChorusPasswordJob},
		},
		Poll: 500 * time.Millisecond,
	}
	w.Clock = timing // leases, backoff and schedules move under KAIROS_NOW
	reg.Gauge("kairos_jobs_processed", "Jobs run by this instance's worker.", func() float64 { return float64(w.Processed.Load()) })
	reg.Gauge("kairos_jobs_failed_attempts", "Failed job attempts in this instance's worker.", func() float64 { return float64(w.Failed.Load()) })

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	hs.RegisterOnShutdown(srv.StopLive) // live pages' streams end at once
	workCtx, stopWork := context.WithCancel(context.Background())
	workDone := make(chan struct{})
	go func() {
		defer close(workDone)
		if cfg.Worker {
			if n, err := deposits.Recover(workCtx); err != nil { // deposits a dead process held (issue 17)
				log.Error("chorus: recover", "err", err)
			} else if n > 0 {
				log.Info("chorus: deposits resumed", "count", n)
			}
			hooksDone := make(chan struct{})
			go func() { // dispatch of the outbox and webhook deliveries (issue 15)
				defer close(hooksDone)
				hooks.Run(kairos.WithActor(workCtx, kairos.System), 500*time.Millisecond)
			}()
			if err := w.Run(workCtx); err != nil {
				log.Error("worker stopped", "err", err)
			}
			<-hooksDone
		}
	}()
	if !cfg.Now.IsZero() {
		log.Warn("clock frozen by KAIROS_NOW (demo mode): the portal lives at this instant", "now", cfg.Now.Format(time.RFC3339))
		fmt.Fprintf(stdout, "Horloge figée par KAIROS_NOW : le portail vit le %s (UTC).\n", cfg.Now.Format("02/01/2006 15:04"))
	}
	log.Info("kairos listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "database", string(db.Engine()), "demo", cfg.Demo, "version", Version)
	fmt.Fprintf(stdout, "Kairos écoute sur %s (%s)\n", ln.Addr().String(), cfg.BaseURL)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		stopWork()
		<-workDone
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = hs.Shutdown(shutCtx)
	stopWork()
	<-workDone
	log.Info("stopped")
	return err
}

func randomHex() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// findOrg resolves an organisation given by id or by exact name.
func findOrg(ctx context.Context, acc *account.Service, ref string) (*account.Organisation, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return acc.Organisation(ctx, id)
	}
	orgs, err := acc.Organisations(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		if strings.EqualFold(o.Name, ref) {
			return &o, nil
		}
	}
	return nil, fmt.Errorf("organisation %q introuvable", ref)
}

func userCreate(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	email := fs.String("email", "", "adresse e-mail (identifiant)")
	name := fs.String("name", "", "prénom et nom")
	role := fs.String("role", "", "rôle : "+rolesList())
	org := fs.String("org", "", "organisation (identifiant ou nom exact), sauf pour demandeur et admin")
	habs := fs.String("habilitations", "", "habilitations d'un of_user, séparées par des virgules : rdv,candidatures,assiduite,devis,bilan,facturation")
	pwStdin := fs.Bool("password-stdin", false, "lire le mot de passe sur l'entrée standard ; sinon un lien d'activation est envoyé par courriel")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, acc, err := openAccounts(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	n := account.NewUser{Email: *email, Name: *name, Role: kairos.Role(*role), Habilitations: kairos.ParseHabSet(*habs), InvitedBy: "L'équipe d'exploitation de Kairos"}
	if *org != "" {
		o, err := findOrg(ctx, acc, *org)
		if err != nil {
			return err
		}
		n.OrgID = o.ID
	}
	if *pwStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return err
		}
		n.Password = strings.TrimRight(line, "\r\n")
	}
	u, err := acc.CreateUser(kairos.WithActor(ctx, kairos.System), n)
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(stdout, "Utilisateur n°%d créé : %s (%s)\n", u.ID, u.Email, u.Role.Label())
	if u.Status == account.StatusInvited {
		fmt.Fprintln(stdout, "Un courriel d'activation lui a été envoyé.")
	}
	return nil
}

func apikeyCreate(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
	org := fs.String("org", "", "organisation (identifiant ou nom exact)")
	name := fs.String("name", "", "nom de la clé (par exemple le logiciel qui l'utilise)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *org == "" {
		return errors.New("--org est obligatoire")
	}
	db, acc, err := openAccounts(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	o, err := findOrg(ctx, acc, *org)
	if err != nil {
		return err
	}
	_, token, err := acc.CreateAPIKey(kairos.WithActor(ctx, kairos.System), kairos.System, o.ID, *name)
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintln(stdout, token)
	return nil
}

// cliError turns a domain error into a readable message with its fields.
func cliError(err error) error {
	fields := kairos.FieldErrors(err)
	if len(fields) == 0 {
		if kairos.ErrorCode(err) == kairos.EInternal {
			return err
		}
		return errors.New(kairos.ErrorMessage(err))
	}
	var b strings.Builder
	b.WriteString(kairos.ErrorMessage(err))
	for k, v := range fields {
		fmt.Fprintf(&b, "\n  --%s : %s", k, v)
	}
	return errors.New(b.String())
}

func rolesList() string {
	var s []string
	for _, r := range kairos.Roles {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}
