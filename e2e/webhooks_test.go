package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kairos/demo"
	"kairos/store/storetest"
	"kairos/webhooks"
)

func apiPost(t *testing.T, url, key string, body any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// TestBrowserDashboardLive: a dashboard open in chromium shows, without a
// reload and within 2 s, an entry declared through the API by the OF's
// software; the same change reaches the OF's webhook receiver, signed.
func TestBrowserDashboardLive(t *testing.T) {
	ctx := NewChrome(t)
	dbURL := storetest.URL(t)
	in := MustStart(t, dbURL, "KAIROS_WEBHOOKS_ALLOW_PRIVATE=1")
	out, err := runCLI(t, dbURL, "", "apikey", "create", "--org", "Formapro Occitanie", "--name", "Logiciel de gestion")
	if err != nil || !strings.HasPrefix(out, "kairos_") {
		t.Fatalf("apikey create: %v %s", err, out)
	}
	key := strings.TrimSpace(out)

	var mu sync.Mutex
	var received []webhooks.Event
	var secret string
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhooks.Verify(secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
			w.WriteHeader(401)
			return
		}
		var ev webhooks.Event
		json.Unmarshal(body, &ev)
		received = append(received, ev)
	}))
	defer rc.Close()
	st, raw := apiPost(t, in.URL+"/api/v1/webhooks", key, map[string]any{"url": rc.URL, "event_types": []string{"enrolment.entrer.v1"}})
	if st != 201 {
		t.Fatalf("subscribe: %d %s", st, raw)
	}
	var sub struct {
		Secret string `json:"secret"`
	}
	json.Unmarshal([]byte(raw), &sub)
	mu.Lock()
	secret = sub.Secret
	mu.Unlock()

	staff := demo.Accounts[1]
	rowSel := `//tr[th[contains(., "` + demo.LateTrainee + `")]]`
	err = chromedp.Do(ctx,
		chromedp.Navigate(in.URL+"/connexion"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), staff.Email),
		chromedp.SendKeys(chromedp.ID("password"), demo.Password),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("navigation-principale")),
		chromedp.Navigate(in.URL+"/tableau-de-bord"),
		chromedp.WaitVisible(chromedp.ID("compteur-retard")),
	)
	if err != nil {
		t.Fatalf("browser: %v\n%s", err, in.logs)
	}
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.Search(rowSel), "id"))
	if err != nil || !attr.Exists {
		t.Fatalf("row of the late trainee: %v", err)
	}
	rowID := attr.Value
	id := strings.TrimPrefix(rowID, "due-")
	date, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("date-"+id)))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // the page's event stream is open
	start := time.Now()
	if st, raw := apiPost(t, in.URL+"/api/v1/enrolments/"+id+"/actions", key, map[string]any{"action": "entrer", "date": date}); st != 200 {
		t.Fatalf("entry through the API: %d %s", st, raw)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := chromedp.Do(waitCtx, chromedp.WaitNotPresent(chromedp.ID(rowID))); err != nil {
		t.Fatalf("the dashboard did not show the entry within 2 s: %v\n%s", err, in.logs)
	}
	elapsed := time.Since(start)
	late, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("compteur-retard")))
	if late != "0" {
		t.Errorf("late counter %q after the entry", late)
	}
	t.Logf("entry declared through the API shown on the open dashboard after %s", elapsed.Round(time.Millisecond))
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	saveShot(t, "tableau-de-bord-en-direct.png", shot)

	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(received)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(received) != 1 || received[0].Type != "enrolment.entrer.v1" || received[0].Object.ID != id {
		t.Fatalf("webhook received %+v", received)
	}
}
