package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"kairos/attendance"
	"kairos/calendar"
	"kairos/demo"
	"kairos/store"
	"kairos/store/storetest"
)

// TestReplayAMonth replays, with KAIROS_NOW, a trainee's whole month day by
// day on the real binary — one instance per day lived, on the same database:
// entry on the 1st, an absence, an interruption, the resumption, then the
// month attested from the page on its last day (not before: the day before,
// the month is not open). France Travail's export has the figures.
func TestReplayAMonth(t *testing.T) {
	dbURL := storetest.URL(t)
	m := calendar.MonthOf(today()).AddMonths(-1)
	first := m.First()
	dAbs := trainingDay(t, first.AddDays(5), m.Last())
	dInt := trainingDay(t, first.AddDays(12), m.Last())
	dRes := dInt.AddDays(2)
	if dRes > m.Last().AddDays(-1) {
		t.Skipf("month %s too short for the replay", m)
	}
	// day runs step at 18:00 in Paris on d, on a fresh instance living then.
	day := func(d calendar.Date, step func(in *Instance, of *Browser)) {
		t.Helper()
		at := d.Midnight().Add(18 * time.Hour)
		in := MustStart(t, dbURL, "KAIROS_NOW="+at.Format(time.RFC3339))
		defer in.Stop()
		of := NewBrowser(t)
		if st := of.Login(in, demo.Accounts[1].Email, demo.Password); st != http.StatusSeeOther {
			t.Fatalf("%s: login: %d\n%s", d, st, in.logs)
		}
		step(in, of)
	}
	var id string
	enrolment := func(in *Instance) string { return in.URL + "/parcours/inscriptions/" + id }
	action := func(of *Browser, in *Instance, v url.Values) {
		t.Helper()
		if st, body := of.Submit(enrolment(in), enrolment(in)+"/actions", v); st != http.StatusSeeOther {
			t.Fatalf("%v: %d %s", v, st, body)
		}
	}
	// The 1st: the demo (built relative to that day) expects Chloé Bernard today.
	day(first, func(in *Instance, of *Browser) {
		db, err := store.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		err = db.QueryRow(context.Background(), "SELECT e.id FROM enrolments e JOIN users u ON u.id = e.demandeur_id WHERE u.name = 'Chloé Bernard' AND e.state = 'inscrite'").Scan(&id)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		action(of, in, url.Values{"action": {"entrer"}, "date": {first.String()}})
	})
	day(dAbs, func(in *Instance, of *Browser) {
		// 20 h on a 7 h day is refused, naming the day; 3,5 h are accepted.
		st, body := of.postMultipart(enrolment(in), enrolment(in)+"/absences", map[string]string{"from": dAbs.String(), "hours": "20", "justified": "oui"}, "", nil)
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, "ne compte que 7 h de formation prévues") {
			t.Fatalf("20 h absence: %d", st)
		}
		if st, body := of.postMultipart(enrolment(in), enrolment(in)+"/absences", map[string]string{"from": dAbs.String(), "hours": "3,5", "justified": "oui", "reason": "Rendez-vous médical"}, "", nil); st != http.StatusSeeOther {
			t.Fatalf("absence: %d %s", st, body)
		}
	})
	day(dInt, func(in *Instance, of *Browser) {
		action(of, in, url.Values{"action": {"interrompre"}, "date": {dInt.String()}, "reason": {"maladie"}})
	})
	day(dRes, func(in *Instance, of *Browser) {
		action(of, in, url.Values{"action": {"reprendre"}, "date": {dRes.String()}})
		_, page := of.Get(enrolment(in))
		wantIn(t, page, "after the resumption", "En formation")
	})
	// The day before the last: the month is not open yet.
	day(m.Last().AddDays(-1), func(in *Instance, of *Browser) {
		_, page := of.Get(in.URL + "/attestations?mois=" + m.String())
		wantIn(t, page, "the day before the month's end", "n'est pas encore vécu", "à partir du <strong>"+m.Last().LongFrench())
		if strings.Contains(page, `name="h-`+id+`-planned"`) {
			t.Fatal("the month can be attested before its last day")
		}
	})
	// What the month must add up to: the days from the 1st, less the two
	// days interrupted, less the absence.
	week := attendance.DefaultSchedule()
	var want attendance.Figures
	for d := first; d <= m.Last(); d = d.AddDays(1) {
		if d < dInt || d >= dRes {
			want.Planned += week.On(d)
		}
	}
	want.Justified = 210
	want.Attended = want.Planned - want.Justified
	day(m.Last(), func(in *Instance, of *Browser) {
		_, page := of.Get(in.URL + "/attestations")
		if got := mustMatch(t, `<input type="hidden" name="mois" value="(\d{4}-\d{2})">`, page, "month"); got != m.String() {
			t.Fatalf("on its last day the page opens on %s, want %s", got, m)
		}
		form := url.Values{"mois": {m.String()}, "id": {id}}
		form.Set("session", mustMatch(t, `(?s)<input type="hidden" name="session" value="(\d+)">\s*<input type="hidden" name="mois" value="`+m.String()+`">\s*<div class="fr-table">\s*<table>\s*<caption>[^<]*</caption>(?:.(?:[^<]|<[^/]|</[^t])*?)*?id="attestation-`+id+`"`, page, "session of the trainee"))
		for _, n := range []string{"planned", "attended", "justified", "unjustified"} {
			form.Set("h-"+id+"-"+n, inputValue(t, page, "h-"+id+"-"+n))
		}
		got := form.Get("h-"+id+"-planned") + " " + form.Get("h-"+id+"-attended") + " " + form.Get("h-"+id+"-justified") + " " + form.Get("h-"+id+"-unjustified")
		if exp := want.Planned.Decimal() + " " + want.Attended.Decimal() + " " + want.Justified.Decimal() + " 0"; got != exp {
			t.Fatalf("pre-filled %s, want %s", got, exp)
		}
		if st, body := of.Submit(in.URL+"/attestations?mois="+m.String(), in.URL+"/attestations/session", form); st != http.StatusSeeOther {
			t.Fatalf("attest: %d %s", st, body)
		}
		ft := NewBrowser(t)
		if st := ft.Login(in, demo.Accounts[4].Email, demo.Password); st != http.StatusSeeOther {
			t.Fatalf("login FT: %d", st)
		}
		st, _, csv := ft.getRaw(in.URL + "/france-travail/attestations/export.csv?mois=" + m.String())
		var line string
		for _, l := range strings.Split(string(csv), "\r\n") {
			if strings.Contains(l, "Chloé Bernard") {
				line = l
			}
		}
		wantLine := ";" + want.Planned.Decimal() + ";" + want.Attended.Decimal() + ";3,5;0;1;initiale;"
		if st != 200 || !strings.HasPrefix(line, m.String()+";") || !strings.Contains(line, wantLine) || !strings.HasSuffix(line, ";non;"+id) {
			t.Fatalf("export %d: line %q, want %q (planned %s h)", st, line, wantLine, strconv.Itoa(int(want.Planned/60)))
		}
	})
}
