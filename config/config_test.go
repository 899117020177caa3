package config_test

import (
	"strings"
	"testing"
	"time"

	"kairos/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DatabaseURL != "kairos.db" || c.BaseURL != "http://localhost:8080" || c.Demo || !c.Worker || c.SMTPPort != 587 || c.SecureCookies() || c.DevMailbox() {
		t.Fatalf("%+v", c)
	}
}

func TestValues(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"KAIROS_BASE_URL": "https://kairos.example.fr/", "KAIROS_DEMO": "1", "KAIROS_DEMO_FORCE": "1", "KAIROS_SMTP_HOST": "smtp.example.fr",
		"KAIROS_DATABASE_URL": "postgres://u:p@db/kairos", "KAIROS_WORKER": "0", "KAIROS_DB_MAX_CONNS": "30",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "https://kairos.example.fr" || !c.SecureCookies() || c.DevMailbox() || c.Worker || c.DBMaxConns != 30 {
		t.Fatalf("%+v", c)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	for k, v := range map[string]string{"KAIROS_DEMO": "peut-être", "KAIROS_SMTP_PORT": "vingt-cinq", "KAIROS_BASE_URL": "kairos.example.fr", "KAIROS_LOG_FORMAT": "xml", "KAIROS_DB_MAX_CONNS": "0"} {
		_, err := config.Load(env(map[string]string{k: v}))
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}

// Issue 16: demo mode (published password, public dev mailbox) is refused
// on an address that is not a loopback one, unless forced.
func TestDemoModeRefusedOffLoopback(t *testing.T) {
	if _, err := config.Load(env(map[string]string{"KAIROS_DEMO": "1", "KAIROS_BASE_URL": "https://kairos.example.fr"})); err == nil || !strings.Contains(err.Error(), "KAIROS_DEMO_FORCE") {
		t.Fatalf("demo on a public address: %v", err)
	}
	for _, base := range []string{"", "http://localhost:8080", "http://127.0.0.1:9000", "http://[::1]:8080"} {
		if _, err := config.Load(env(map[string]string{"KAIROS_DEMO": "1", "KAIROS_BASE_URL": base})); err != nil {
			t.Errorf("demo on %q: %v", base, err)
		}
	}
	if _, err := config.Load(env(map[string]string{"KAIROS_DEMO": "1", "KAIROS_DEMO_FORCE": "1", "KAIROS_BASE_URL": "https://demo.example.fr"})); err != nil {
		t.Fatalf("forced: %v", err)
	}
}

func TestChorus(t *testing.T) {
	full := map[string]string{
		"KAIROS_CHORUS_API_URL": "https://sandbox-api.piste.gouv.fr/", "KAIROS_CHORUS_OAUTH_URL": "https://sandbox-oauth.piste.gouv.fr/api/oauth/token",
		"KAIROS_CHORUS_CLIENT_ID": "id", "KAIROS_CHORUS_CLIENT_SECRET": "secret", "KAIROS_CHORUS_LOGIN": "TECH_1@cpro.fr", "KAIROS_CHORUS_PASSWORD": "mdp",
	}
	c, err := config.Load(env(full))
	if err != nil || c.ChorusAPIURL != "https://sandbox-api.piste.gouv.fr" || c.ChorusLogin != "TECH_1@cpro.fr" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, k := range []string{"KAIROS_CHORUS_OAUTH_URL", "KAIROS_CHORUS_CLIENT_ID", "KAIROS_CHORUS_CLIENT_SECRET", "KAIROS_CHORUS_LOGIN", "KAIROS_CHORUS_PASSWORD"} {
		m := map[string]string{}
		for kk, v := range full {
			m[kk] = v
		}
		delete(m, k)
		if _, err := config.Load(env(m)); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("without %s: %v", k, err)
		}
	}
	m := map[string]string{}
	for kk, v := range full {
		m[kk] = v
	}
	m["KAIROS_CHORUS_API_URL"] = "http://api.piste.gouv.fr"
	if _, err := config.Load(env(m)); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("plain http accepted: %v", err)
	}
	m["KAIROS_CHORUS_API_URL"], m["KAIROS_CHORUS_OAUTH_URL"] = "http://127.0.0.1:8090", "http://127.0.0.1:8090/api/oauth/token"
	if _, err := config.Load(env(m)); err != nil {
		t.Errorf("local sandbox refused: %v", err)
	}
}

func TestNowOnlyInDemo(t *testing.T) {
	c, err := config.Load(env(map[string]string{"KAIROS_DEMO": "1", "KAIROS_NOW": "2026-11-30T17:00:00+01:00"}))
	if err != nil || c.Now.Format("2006-01-02T15:04:05Z07:00") != "2026-11-30T16:00:00Z" {
		t.Fatalf("%v %v", c.Now, err)
	}
	if c, err := config.Load(env(nil)); err != nil || !c.Now.IsZero() {
		t.Fatalf("unset: %v %v", c.Now, err)
	}
	_, err = config.Load(env(map[string]string{"KAIROS_NOW": "2026-11-30T17:00:00+01:00"}))
	if err == nil || !strings.Contains(err.Error(), "KAIROS_DEMO=1") {
		t.Fatalf("outside demo mode: %v", err)
	}
	_, err = config.Load(env(map[string]string{"KAIROS_DEMO": "1", "KAIROS_NOW": "30/11/2026"}))
	if err == nil || !strings.Contains(err.Error(), "KAIROS_NOW") {
		t.Fatalf("bad instant: %v", err)
	}
}

func TestChorusSettings(t *testing.T) {
	kv := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := config.Load(kv())
	if err != nil || !c.ChorusPasswordExpires.IsZero() || c.ChorusReminderDays != 15 || c.ChorusDocURL != "https://communaute-chorus-pro.finances.gouv.fr/" ||
		c.ChorusFTEmail != "dafgdg_chorus-pro.00135@pole-emploi.fr" || c.ChorusSandboxStep != time.Minute || c.ChorusCrashAfterDeposit {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = config.Load(kv("KAIROS_CHORUS_PASSWORD_EXPIRES", "2027-03-31", "KAIROS_CHORUS_REMINDER_DAYS", "30", "KAIROS_DEMO", "1", "KAIROS_CHORUS_CRASH_AFTER_DEPOSIT", "1"))
	if err != nil || c.ChorusPasswordExpires.Format("2006-01-02") != "2027-03-31" || c.ChorusReminderDays != 30 || !c.ChorusCrashAfterDeposit {
		t.Fatalf("set: %+v %v", c, err)
	}
	for _, bad := range [][]string{{"KAIROS_CHORUS_PASSWORD_EXPIRES", "31/03/2027"}, {"KAIROS_CHORUS_REMINDER_DAYS", "0"}, {"KAIROS_CHORUS_SANDBOX_STEP", "-1s"},
		{"KAIROS_CHORUS_CRASH_AFTER_DEPOSIT", "1"}, {"KAIROS_CHORUS_DOC_URL", "javascript:alert(1)"}, {"KAIROS_CHORUS_FT_EMAIL", "pas-une-adresse"}} {
		if _, err := config.Load(kv(bad...)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
