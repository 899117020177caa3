// Package config reads the configuration of kairos from environment
// variables (documented in docs/OPERATIONS.md).
package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration.
type Config struct {
	Addr         string // KAIROS_ADDR, default ":8080"
	DatabaseURL  string // KAIROS_DATABASE_URL, default "kairos.db" (SQLite); postgres://… selects PostgreSQL
	BaseURL      string // KAIROS_BASE_URL, absolute URL of the portal (links in e-mails); https:// turns on Secure cookies
	Demo         bool   // KAIROS_DEMO: demo accounts listed on the login page, dev mailbox when no SMTP
	DemoForce    bool   // KAIROS_DEMO_FORCE: allow demo mode on an address that is not a loopback one
	MetricsToken string // KAIROS_METRICS_TOKEN: bearer token of /metrics (otherwise only administrators read it)
	Secret       string // KAIROS_SECRET: key of CSRF tokens; generated and stored in the database when empty
	LogFormat    string // KAIROS_LOG_FORMAT: "json" (default) or "text"
	LogLevel     string // KAIROS_LOG_LEVEL: debug, info (default), warn, error
	TrustProxy   bool   // KAIROS_TRUST_PROXY: take the client IP from X-Forwarded-For (behind a load balancer)
	Worker       bool   // KAIROS_WORKER: run the background worker in this process (default true)

	SMTPHost     string // KAIROS_SMTP_HOST; empty: no SMTP
	SMTPPort     int    // KAIROS_SMTP_PORT, default 587
	SMTPUsername string // KAIROS_SMTP_USERNAME
	SMTPPassword string // KAIROS_SMTP_PASSWORD
	MailFrom     string // KAIROS_MAIL_FROM, default "Kairos <ne-pas-repondre@kairos.localhost>"

	EntryToleranceDays int    // KAIROS_ENTRY_TOLERANCE_DAYS: days an entry may precede its session's start (default 0)
	DeclarationDays    int    // KAIROS_DECLARATION_DAYS: delay to declare a movement, in calendar days (default 3, the law)
	AttestationDueDay  int    // KAIROS_ATTESTATION_DUE_DAY: day of M+1 by which a month's attestation is due (default 5)
	AssessmentDays     int    // KAIROS_ASSESSMENT_DAYS: days after the exit by which the assessment is due (default 15)
	FTCodeService      string // KAIROS_FT_CODE_SERVICE: France Travail's « code service exécutant » on the invoices (BT-10), default "FT-AIF"

	WebhooksAllowPrivate bool // KAIROS_WEBHOOKS_ALLOW_PRIVATE: webhooks may go to private and loopback addresses, over http (tests, demo; default false)
	APIRateLimit         int  // KAIROS_API_RATE_LIMIT: requests per minute per API key and instance (default 6000)

	DBMaxConns int // KAIROS_DB_MAX_CONNS: PostgreSQL connection pool size; 0: store.DefaultMaxConns (2 × GOMAXPROCS + 8)

	// QuoteThresholds is KAIROS_DEVIS_SEUILS: the regional review thresholds
	// of AIF quotes, « région:euros:heures,… » (quotes.ParseThresholds;
	// empty: 3 200 € or 400 h everywhere).
	QuoteThresholds string

	// Now is KAIROS_NOW: an RFC 3339 instant at which the whole portal is
	// frozen (services, jobs, demo data), to replay a month; demo mode only.
	Now time.Time

	// Chorus Pro through PISTE. Empty ChorusAPIURL: the local qualification
	// server (kairos chorus-sandbox); the credentials are then the ones it accepts.
	ChorusAPIURL       string // KAIROS_CHORUS_API_URL: API base, e.g. https://sandbox-api.piste.gouv.fr
	ChorusOAuthURL     string // KAIROS_CHORUS_OAUTH_URL: token endpoint, e.g. https://sandbox-oauth.piste.gouv.fr/api/oauth/token
	ChorusClientID     string // KAIROS_CHORUS_CLIENT_ID: PISTE application
	ChorusClientSecret string // KAIROS_CHORUS_CLIENT_SECRET
	ChorusLogin        string // KAIROS_CHORUS_LOGIN: Chorus Pro technical account (TECH_…@cpro.fr)
	ChorusPassword     string // KAIROS_CHORUS_PASSWORD: its password (it expires)
	// ChorusPasswordExpires is KAIROS_CHORUS_PASSWORD_EXPIRES (AAAA-MM-JJ):
	// the day the technical account's password expires (zero: unknown).
	ChorusPasswordExpires time.Time
	// ChorusReminderDays is KAIROS_CHORUS_REMINDER_DAYS: how many days
	// before that day the platform administrators are mailed (default 15).
	ChorusReminderDays int
	// « Infos pratiques » of the invoice pages (the seed's links).
	ChorusDocURL  string // KAIROS_CHORUS_DOC_URL, default https://communaute-chorus-pro.finances.gouv.fr/
	ChorusFTEmail string // KAIROS_CHORUS_FT_EMAIL, default dafgdg_chorus-pro.00135@pole-emploi.fr
	// ChorusSandboxStep is KAIROS_CHORUS_SANDBOX_STEP: the time between two
	// states of the in-process sandbox (demo without KAIROS_CHORUS_API_URL), default 1 min.
	ChorusSandboxStep time.Duration
	// ChorusCrashAfterDeposit is KAIROS_CHORUS_CRASH_AFTER_DEPOSIT, a test
	// hook honoured in demo mode only: after Chorus Pro accepted a flux and
	// before its answer is recorded, the deposit stops (logs « chorus crash
	// hook » and waits), so that a test kills the process there.
	ChorusCrashAfterDeposit bool
}

// Load reads the configuration through getenv.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:          or(getenv("KAIROS_ADDR"), ":8080"),
		DatabaseURL:   or(getenv("KAIROS_DATABASE_URL"), "kairos.db"),
		BaseURL:       strings.TrimRight(getenv("KAIROS_BASE_URL"), "/"),
		Secret:        getenv("KAIROS_SECRET"),
		MetricsToken:  getenv("KAIROS_METRICS_TOKEN"),
		LogFormat:     or(getenv("KAIROS_LOG_FORMAT"), "json"),
		LogLevel:      or(getenv("KAIROS_LOG_LEVEL"), "info"),
		SMTPHost:      getenv("KAIROS_SMTP_HOST"),
		SMTPUsername:  getenv("KAIROS_SMTP_USERNAME"),
		SMTPPassword:  getenv("KAIROS_SMTP_PASSWORD"),
		MailFrom:      or(getenv("KAIROS_MAIL_FROM"), "Kairos <ne-pas-repondre@kairos.localhost>"),
		FTCodeService: or(strings.TrimSpace(getenv("KAIROS_FT_CODE_SERVICE")), "FT-AIF"),

		ChorusAPIURL:       strings.TrimRight(getenv("KAIROS_CHORUS_API_URL"), "/"),
		ChorusOAuthURL:     getenv("KAIROS_CHORUS_OAUTH_URL"),
		ChorusClientID:     getenv("KAIROS_CHORUS_CLIENT_ID"),
		ChorusClientSecret: getenv("KAIROS_CHORUS_CLIENT_SECRET"),
		ChorusLogin:        getenv("KAIROS_CHORUS_LOGIN"),
		ChorusPassword:     getenv("KAIROS_CHORUS_PASSWORD"),

		QuoteThresholds: getenv("KAIROS_DEVIS_SEUILS"),

		ChorusDocURL:  or(strings.TrimSpace(getenv("KAIROS_CHORUS_DOC_URL")), "https://communaute-chorus-pro.finances.gouv.fr/"),
		ChorusFTEmail: or(strings.TrimSpace(getenv("KAIROS_CHORUS_FT_EMAIL")), "dafgdg_chorus-pro.00135@pole-emploi.fr"),
	}
	var err error
	if c.Demo, err = boolVar(getenv, "KAIROS_DEMO", false); err != nil {
		return c, err
	}
	if c.TrustProxy, err = boolVar(getenv, "KAIROS_TRUST_PROXY", false); err != nil {
		return c, err
	}
	if c.Worker, err = boolVar(getenv, "KAIROS_WORKER", true); err != nil {
		return c, err
	}
	if c.WebhooksAllowPrivate, err = boolVar(getenv, "KAIROS_WEBHOOKS_ALLOW_PRIVATE", false); err != nil {
		return c, err
	}
	c.APIRateLimit = 6000
	if p := getenv("KAIROS_API_RATE_LIMIT"); p != "" {
		if c.APIRateLimit, err = strconv.Atoi(p); err != nil || c.APIRateLimit < 1 || c.APIRateLimit > 1000000 {
			return c, fmt.Errorf("KAIROS_API_RATE_LIMIT: %q is not a number of requests per minute (1 to 1000000)", p)
		}
	}
	c.SMTPPort = 587
	if p := getenv("KAIROS_SMTP_PORT"); p != "" {
		if c.SMTPPort, err = strconv.Atoi(p); err != nil || c.SMTPPort <= 0 || c.SMTPPort > 65535 {
			return c, fmt.Errorf("KAIROS_SMTP_PORT: %q is not a port number", p)
		}
	}
	for _, v := range []struct {
		name string
		dst  *int
	}{{"KAIROS_ENTRY_TOLERANCE_DAYS", &c.EntryToleranceDays}, {"KAIROS_DECLARATION_DAYS", &c.DeclarationDays}, {"KAIROS_ATTESTATION_DUE_DAY", &c.AttestationDueDay}, {"KAIROS_ASSESSMENT_DAYS", &c.AssessmentDays}} {
		if p := getenv(v.name); p != "" {
			if *v.dst, err = strconv.Atoi(p); err != nil || *v.dst < 0 || *v.dst > 60 {
				return c, fmt.Errorf("%s: %q is not a number of days between 0 and 60", v.name, p)
			}
		}
	}
	if p := getenv("KAIROS_DB_MAX_CONNS"); p != "" {
		if c.DBMaxConns, err = strconv.Atoi(p); err != nil || c.DBMaxConns < 1 || c.DBMaxConns > 1000 {
			return c, fmt.Errorf("KAIROS_DB_MAX_CONNS: %q is not a number of connections between 1 and 1000", p)
		}
	}
	if c.BaseURL == "" {
		host := c.Addr
		if strings.HasPrefix(host, ":") {
			host = "localhost" + host
		}
		c.BaseURL = "http://" + host
	}
	if !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		return c, fmt.Errorf("KAIROS_BASE_URL: %q must start with http:// or https://", c.BaseURL)
	}
	if c.DemoForce, err = boolVar(getenv, "KAIROS_DEMO_FORCE", false); err != nil {
		return c, err
	}
	if c.Demo && !c.DemoForce && !Loopback(c.BaseURL) {
		return c, fmt.Errorf("KAIROS_DEMO: demo mode publishes its accounts' password (and, without SMTP, every e-mail with its reset links at /dev/courriels); it is refused on %s, which is not a loopback address (set KAIROS_DEMO_FORCE=1 to force it)", c.BaseURL)
	}
	if v := getenv("KAIROS_NOW"); v != "" {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
		if err != nil {
			return c, fmt.Errorf("KAIROS_NOW : %q n'est pas un instant RFC 3339 (exemple : 2026-11-30T10:00:00+01:00)", v)
		}
		if !c.Demo {
			return c, fmt.Errorf("KAIROS_NOW fige l'horloge du portail : il n'est accepté qu'en démonstration ou en test (KAIROS_DEMO=1), jamais en production")
		}
		c.Now = t.UTC()
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return c, fmt.Errorf("KAIROS_LOG_FORMAT: %q is neither json nor text", c.LogFormat)
	}
	if err := c.checkChorus(); err != nil {
		return c, err
	}
	if err := c.loadChorus(getenv); err != nil {
		return c, err
	}
	return c, nil
}

// loadChorus reads the technical account's expiry, the sandbox step and the
// crash hook.
func (c *Config) loadChorus(getenv func(string) string) error {
	if v := strings.TrimSpace(getenv("KAIROS_CHORUS_PASSWORD_EXPIRES")); v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			return fmt.Errorf("KAIROS_CHORUS_PASSWORD_EXPIRES : %q n'est pas une date AAAA-MM-JJ", v)
		}
		c.ChorusPasswordExpires = t
	}
	c.ChorusReminderDays = 15
	if v := getenv("KAIROS_CHORUS_REMINDER_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 90 {
			return fmt.Errorf("KAIROS_CHORUS_REMINDER_DAYS: %q is not a number of days between 1 and 90", v)
		}
		c.ChorusReminderDays = n
	}
	c.ChorusSandboxStep = time.Minute
	if v := getenv("KAIROS_CHORUS_SANDBOX_STEP"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("KAIROS_CHORUS_SANDBOX_STEP: %q is not a positive duration (e.g. 1m)", v)
		}
		c.ChorusSandboxStep = d
	}
	var err error
	if c.ChorusCrashAfterDeposit, err = boolVar(getenv, "KAIROS_CHORUS_CRASH_AFTER_DEPOSIT", false); err != nil {
		return err
	}
	if c.ChorusCrashAfterDeposit && !c.Demo {
		return fmt.Errorf("KAIROS_CHORUS_CRASH_AFTER_DEPOSIT is a test hook: it is accepted only with KAIROS_DEMO=1")
	}
	if !strings.HasPrefix(c.ChorusDocURL, "https://") && !strings.HasPrefix(c.ChorusDocURL, "http://") {
		return fmt.Errorf("KAIROS_CHORUS_DOC_URL: %q must be an http(s):// URL", c.ChorusDocURL)
	}
	if !strings.Contains(c.ChorusFTEmail, "@") || strings.ContainsAny(c.ChorusFTEmail, " <>\"\n") {
		return fmt.Errorf("KAIROS_CHORUS_FT_EMAIL: %q is not an e-mail address", c.ChorusFTEmail)
	}
	return nil
}

// Loopback reports whether the host of base URL u is a loopback one
// (localhost, 127.0.0.0/8, ::1).
func Loopback(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	h := p.Hostname()
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// checkChorus requires, when the real Chorus Pro is configured, its token
// endpoint and every credential, over HTTPS (HTTP only to a local address).
func (c Config) checkChorus() error {
	if c.ChorusAPIURL == "" {
		return nil
	}
	for _, v := range []struct{ name, value string }{{"KAIROS_CHORUS_API_URL", c.ChorusAPIURL}, {"KAIROS_CHORUS_OAUTH_URL", c.ChorusOAuthURL}} {
		local := strings.HasPrefix(v.value, "http://127.0.0.1") || strings.HasPrefix(v.value, "http://localhost")
		if !strings.HasPrefix(v.value, "https://") && !local {
			return fmt.Errorf("%s: %q must be an https:// URL (http:// only to 127.0.0.1 or localhost)", v.name, v.value)
		}
	}
	for _, v := range []struct{ name, value string }{{"KAIROS_CHORUS_CLIENT_ID", c.ChorusClientID}, {"KAIROS_CHORUS_CLIENT_SECRET", c.ChorusClientSecret},
		{"KAIROS_CHORUS_LOGIN", c.ChorusLogin}, {"KAIROS_CHORUS_PASSWORD", c.ChorusPassword}} {
		if v.value == "" {
			return fmt.Errorf("%s must be set when KAIROS_CHORUS_API_URL is", v.name)
		}
	}
	return nil
}

// SecureCookies reports whether cookies must carry the Secure flag (the
// portal is served over TLS).
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// DevMailbox reports whether mails are kept and shown at /dev/courriels.
func (c Config) DevMailbox() bool { return c.Demo && c.SMTPHost == "" }

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func boolVar(getenv func(string) string, name string, def bool) (bool, error) {
	switch strings.ToLower(getenv(name)) {
	case "":
		return def, nil
	case "1", "true", "yes", "oui", "on":
		return true, nil
	case "0", "false", "no", "non", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s: %q is not a boolean (use 1 or 0)", name, getenv(name))
}
