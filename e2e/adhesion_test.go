package e2e

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kairos/demo"
	"kairos/store/storetest"
)

// mailLink waits for the newest mail to `to` whose subject starts with
// subject in the dev mailbox and returns the path of the link it carries.
func mailLink(t *testing.T, in *Instance, to, subject string) string {
	t.Helper()
	b := NewBrowser(t)
	re := regexp.MustCompile(`<td>` + regexp.QuoteMeta(to) + `</td><td><a href="(/dev/courriels/\d+)">` + regexp.QuoteMeta(html.EscapeString(subject)))
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, box := b.Get(in.URL + "/dev/courriels")
		if m := re.FindStringSubmatch(box); m != nil {
			_, msg := b.Get(in.URL + m[1])
			link := regexp.MustCompile(`href="http://[^/"]+(/mot-de-passe/nouveau\?token=[^"]+)"`).FindStringSubmatch(msg)
			if link == nil {
				t.Fatalf("no link in the mail %q to %s", subject, to)
			}
			return strings.ReplaceAll(link[1], "&amp;", "&")
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail %q to %s in the dev mailbox", subject, to)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func setPassword(t *testing.T, in *Instance, path, password string) {
	t.Helper()
	tok := strings.TrimPrefix(path, "/mot-de-passe/nouveau?token=")
	status, body := NewBrowser(t).Submit(in.URL+path, in.URL+"/mot-de-passe/nouveau", url.Values{"token": {tok}, "password": {password}, "confirmation": {password}})
	if status != http.StatusSeeOther {
		t.Fatalf("set password: %d %s", status, body)
	}
}

// TestAdhesionEndToEnd: an OF applies on the public form, the regional FT
// manager instructs and validates, the RGC activates his account from the
// e-mailed link, invites a colleague with habilitation assiduite, and the
// colleague logs in.
func TestAdhesionEndToEnd(t *testing.T) {
	in := MustStart(t, storetest.URL(t))
	of := NewBrowser(t)
	form := url.Values{"raison_sociale": {"Les Ateliers du Lauragais"}, "siret": {"418 166 096 00069"}, "nda": {"76310123456"},
		"adresse": {"4 allée des Tilleuls"}, "code_postal": {"31400"}, "ville": {"Toulouse"}, "region": {"76"},
		"rgc_nom": {"Sandrine Blanc"}, "rgc_email": {"sandrine.blanc@lauragais.example"},
		"qualiopi_numero": {"QUA-2025-7788"}, "qualiopi_certificateur": {"AFNOR Certification"},
		"qualiopi_debut": {"2025-03-01"}, "qualiopi_fin": {testNow.AddDate(2, 0, 0).Format("2006-01-02")}, "conditions": {"oui"}}
	status, body := of.Submit(in.URL+"/adherer", in.URL+"/adherer", form)
	if status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", status, body)
	}
	m := regexp.MustCompile(`reference=ADH-0*(\d+)`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no reference: %s", body)
	}
	id := m[1]
	// The same SIRET again is refused with that reason, next to the field.
	status, body = of.Submit(in.URL+"/adherer", in.URL+"/adherer", form)
	if status != http.StatusConflict || !strings.Contains(body, `id="siret-erreur"`) || !strings.Contains(body, "déjà en cours") {
		t.Fatalf("duplicate SIRET: %d", status)
	}

	ft := NewBrowser(t)
	if status := ft.Login(in, "gestionnaire@francetravail.example", demo.Password); status != http.StatusSeeOther {
		t.Fatalf("FT login: %d", status)
	}
	if _, queue := ft.Get(in.URL + "/adhesions?etat=demandee"); !strings.Contains(queue, "Les Ateliers du Lauragais") {
		t.Fatal("request not in the regional queue")
	}
	detail := in.URL + "/adhesions/" + id
	for _, act := range []string{"instruire", "valider"} {
		if status, body := ft.Submit(detail, detail+"/decision", url.Values{"action": {act}}); status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", act, status, body)
		}
	}
	if _, page := ft.Get(detail); !strings.Contains(page, "Validée") || !regexp.MustCompile(`KAI-\d{4}-76-0*`+id).MatchString(page) {
		t.Fatal("detail does not show the validated adhesion and its convention")
	}

	rgcEmail := "sandrine.blanc@lauragais.example"
	setPassword(t, in, mailLink(t, in, rgcEmail, "Activez votre compte Kairos"), "phrase de passe de Sandrine")
	rgc := NewBrowser(t)
	if status := rgc.Login(in, rgcEmail, "phrase de passe de Sandrine"); status != http.StatusSeeOther {
		t.Fatalf("RGC login: %d", status)
	}
	if _, page := rgc.Get(in.URL + "/mon-organisme"); !strings.Contains(page, "Votre organisme peut échanger") {
		t.Fatal("« Mon organisme » does not say the OF can trade")
	}
	status, body = rgc.Submit(in.URL+"/organisme/utilisateurs/inviter", in.URL+"/organisme/utilisateurs",
		url.Values{"name": {"Marc Vidal"}, "email": {"marc.vidal@lauragais.example"}, "habilitations": {"assiduite"}})
	if status != http.StatusSeeOther {
		t.Fatalf("invite: %d %s", status, body)
	}
	setPassword(t, in, mailLink(t, in, "marc.vidal@lauragais.example", "Activez votre compte Kairos"), "phrase de passe de Marc")
	user := NewBrowser(t)
	if status := user.Login(in, "marc.vidal@lauragais.example", "phrase de passe de Marc"); status != http.StatusSeeOther {
		t.Fatalf("user login: %d", status)
	}
	if _, home := user.Get(in.URL + "/accueil"); !strings.Contains(home, "Les Ateliers du Lauragais") || !strings.Contains(home, "Assiduité") {
		t.Fatalf("the invited user's home does not show his OF and habilitation:\n%s", home)
	}
}

// TestBrowserAdhesionForm fills the public form in chromium with a wrong
// SIRET, sees the error next to the field with the other values kept,
// corrects it and submits.
func TestBrowserAdhesionForm(t *testing.T) {
	ctx := NewChrome(t)
	in := MustStart(t, storetest.URL(t))
	until := testNow.AddDate(2, 0, 0).Format("2006-01-02")
	err := chromedp.Do(ctx,
		chromedp.Navigate(in.URL+"/"),
		chromedp.Click(chromedp.CSS(`header a[href="/adherer"]`)),
		chromedp.WaitVisible(chromedp.ID("raison_sociale")),
		chromedp.SendKeys(chromedp.ID("raison_sociale"), "Formations Occitanes"),
		chromedp.SendKeys(chromedp.ID("siret"), "732 829 320 00075"), // wrong key
		chromedp.SendKeys(chromedp.ID("nda"), "76310123456"),
		chromedp.SendKeys(chromedp.ID("adresse"), "2 rue du Taur"),
		chromedp.SendKeys(chromedp.ID("code_postal"), "31000"),
		chromedp.SendKeys(chromedp.ID("ville"), "Toulouse"),
		chromedp.SetValue(chromedp.ID("region"), "76"),
		chromedp.SendKeys(chromedp.ID("rgc_nom"), "Inès Garcia"),
		chromedp.SendKeys(chromedp.ID("rgc_email"), "ines.garcia@occitanes.example"),
		chromedp.SendKeys(chromedp.ID("qualiopi_numero"), "QUA-2025-0042"),
		chromedp.SendKeys(chromedp.ID("qualiopi_certificateur"), "Bureau Veritas"),
		chromedp.SetValue(chromedp.ID("qualiopi_debut"), "2025-02-01"),
		chromedp.SetValue(chromedp.ID("qualiopi_fin"), until),
		chromedp.Click(chromedp.CSS(`label[for="conditions"]`)),
		chromedp.Click(chromedp.ID("envoyer")),
		chromedp.WaitVisible(chromedp.ID("siret-erreur")),
	)
	if err != nil {
		t.Fatalf("browser: %v\n%s", err, in.logs)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("siret-erreur")))
	if err != nil {
		t.Fatal(err)
	}
	kept, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("raison_sociale")))
	if err != nil {
		t.Fatal(err)
	}
	described, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("siret"), "aria-describedby"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "clé de contrôle") || kept != "Formations Occitanes" || described.Value != "siret-erreur" {
		t.Fatalf("error %q, kept %q, described by %v", msg, kept, described)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	saveShot(t, "adhesion-erreur.png", shot)
	err = chromedp.Do(ctx,
		chromedp.Clear(chromedp.ID("siret")),
		chromedp.SendKeys(chromedp.ID("siret"), "732 829 320 00074"),
		chromedp.Click(chromedp.ID("envoyer")),
		chromedp.WaitVisible(chromedp.ID("reference")),
	)
	if err != nil {
		t.Fatalf("corrected submit: %v\n%s", err, in.logs)
	}
	ref, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("reference")))
	if err != nil || !regexp.MustCompile(`^ADH-\d{6}$`).MatchString(ref) {
		t.Fatalf("reference %q %v", ref, err)
	}
}
