package appointments_test

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"kairos"
	"kairos/appointments"
)

// TestCapacityUnderConcurrency: 50 job seekers register at once for 10 seats.
func TestCapacityUnderConcurrency(t *testing.T) {
	e := newEnv(t, 50)
	appt := e.mustCreate(t, 10)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	start := make(chan struct{})
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			_, err := e.svc.Register(e.ctx(), e.deActor(i), appt.ID, e.de[i].ID)
			errs <- err
		}(i)
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		// Refused cleanly: a domain error, never an internal one.
		if err != nil && kairos.ErrorCode(err) == kairos.EInternal {
			t.Errorf("registration failed: %v", err)
		}
	}
	ps, err := e.svc.Participants(e.ctx(), e.rdv, appt.ID)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range ps {
		count[p.Status]++
	}
	got, _ := e.svc.Get(e.ctx(), e.rdv, appt.ID)
	if count[appointments.StInscrit] != 10 || got.SeatsTaken != 10 || count[appointments.StInscrit]+count[appointments.StEnAttente] != 50 {
		t.Fatalf("after 50 registrations for 10 seats: %v, seats taken %d", count, got.SeatsTaken)
	}
	if got.Waiting != 40 {
		t.Fatalf("waiting %d", got.Waiting)
	}
}

func TestWaitingListAndUnregistering(t *testing.T) {
	e := newEnv(t, 4)
	appt := e.mustCreate(t, 2)
	var parts []*appointments.Participant
	for i := 0; i < 4; i++ {
		p, err := e.svc.Register(e.ctx(), e.deActor(i), appt.ID, e.de[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
		e.clock.Advance(time.Second)
	}
	if parts[1].Status != appointments.StInscrit || parts[2].Status != appointments.StEnAttente || parts[3].Status != appointments.StEnAttente {
		t.Fatalf("statuses %s %s %s", parts[1].Status, parts[2].Status, parts[3].Status)
	}
	// Registering twice is refused.
	_, err := e.svc.Register(e.ctx(), e.deActor(0), appt.ID, e.de[0].ID)
	wantCode(t, err, kairos.EConflict)
	// A job seeker cannot register someone else; another agence's counsellor neither.
	_, err = e.svc.Register(e.ctx(), e.deActor(1), appt.ID, e.de[0].ID)
	wantCode(t, err, kairos.ENotFound)
	_, err = e.svc.Register(e.ctx(), e.consB, appt.ID, e.de[0].ID)
	wantCode(t, err, kairos.ENotFound)
	// The counsellor unregisters the first: the first waiting person gets the seat and a convocation.
	if _, err := e.svc.Unregister(e.ctx(), e.cons, parts[0].ID); err != nil {
		t.Fatal(err)
	}
	ps, _ := e.svc.Participants(e.ctx(), e.rdv, appt.ID)
	st := map[int64]string{}
	for _, p := range ps {
		st[p.DemandeurID] = p.Status
	}
	if st[e.de[0].ID] != appointments.StDesinscrit || st[e.de[2].ID] != appointments.StInscrit || st[e.de[3].ID] != appointments.StEnAttente {
		t.Fatalf("after unregistering: %v", st)
	}
	m := e.mails(t, e.de[2].Email)
	if len(m) != 2 || !hasPrefix(m[1].Subject, "Convocation") || len(m[1].Attachments) != 1 {
		t.Fatalf("promoted person's mails: %+v", m)
	}
	m = e.mails(t, e.de[0].Email)
	if last := m[len(m)-1]; !hasPrefix(last.Subject, "Désinscription") || !strings.Contains(string(last.Attachments[0].Data), "METHOD:CANCEL") {
		t.Fatalf("unregistered person's last mail: %+v", last)
	}
	// The job seeker unregisters from the waiting list; the counsellor is informed.
	if _, err := e.svc.Unregister(e.ctx(), e.deActor(3), parts[3].ID); err != nil {
		t.Fatal(err)
	}
	cm := e.mails(t, e.Users[kairos.RoleConseiller].Email)
	if len(cm) == 0 || !strings.Contains(cm[len(cm)-1].Subject, "Désinscription") {
		t.Fatalf("counsellor not informed: %+v", cm)
	}
	// He may register again.
	p, err := e.svc.Register(e.ctx(), e.deActor(0), appt.ID, e.de[0].ID)
	if err != nil || p.Status != appointments.StEnAttente {
		t.Fatalf("register again: %v %+v", err, p)
	}
	// Another job seeker cannot unregister him; another OF neither.
	_, err = e.svc.Unregister(e.ctx(), e.deActor(1), p.ID)
	wantCode(t, err, kairos.ENotFound)
	_, err = e.svc.Unregister(e.ctx(), e.OFBAdmin.Actor(), p.ID)
	wantCode(t, err, kairos.ENotFound)
	// More seats: the waiting list moves up.
	in := input(3)
	if _, err := e.svc.Update(e.ctx(), e.rdv, appt.ID, in); err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.Get(e.ctx(), e.rdv, appt.ID)
	if got.SeatsTaken != 3 || got.Waiting != 0 {
		t.Fatalf("after adding a seat: %d taken, %d waiting", got.SeatsTaken, got.Waiting)
	}
	// Fewer seats than registered people is refused.
	_, err = e.svc.Update(e.ctx(), e.rdv, appt.ID, input(2))
	wantCode(t, err, kairos.EInvalid)
}

func TestValidationAndTenants(t *testing.T) {
	e := newEnv(t, 1)
	bad := appointments.Input{Kind: "autre", Date: "10/06/2026", Capacity: 0, Comment: strings.Repeat("é", 501), VideoURL: "http://x"}
	_, err := e.svc.Create(e.ctx(), e.rdv, bad)
	f := kairos.FieldErrors(err)
	for _, k := range []string{"kind", "title", "date", "capacity", "comment", "video_url"} {
		if f[k] == "" {
			t.Errorf("no error for %s: %v", k, f)
		}
	}
	in := input(5)
	in.SessionIDs = []int64{8}
	_, err = e.svc.Create(e.ctx(), e.rdv, in)
	if kairos.FieldErrors(err)["sessions"] == "" {
		t.Fatalf("another OF's session linked: %v", err)
	}
	in.SessionIDs = []int64{7}
	a, err := e.svc.Create(e.ctx(), e.rdv, in)
	if err != nil || len(a.Sessions) != 1 || a.Sessions[0].Intitule != "Titre professionnel Développeur web" {
		t.Fatalf("linked session: %v %+v", err, a)
	}
	// of_user without rdv: forbidden; another OF: not found.
	_, err = e.svc.Create(e.ctx(), e.Users[kairos.RoleOFUser].Actor(), input(5))
	wantCode(t, err, kairos.EForbidden)
	_, err = e.svc.Get(e.ctx(), e.OFBAdmin.Actor(), a.ID)
	wantCode(t, err, kairos.ENotFound)
	_, err = e.svc.Cancel(e.ctx(), e.OFBAdmin.Actor(), a.ID, "Test")
	wantCode(t, err, kairos.ENotFound)
	_, err = e.svc.Record(e.ctx(), e.OFBAdmin.Actor(), a.ID, nil)
	wantCode(t, err, kairos.ENotFound)
	list, _ := e.svc.List(e.ctx(), e.OFBAdmin.Actor(), appointments.Filter{})
	if len(list) != 0 {
		t.Fatalf("another OF lists %d appointments", len(list))
	}
}

// TestAttendanceAndResults records a whole list in one call; a refused line
// writes nothing.
func TestAttendanceAndResults(t *testing.T) {
	e := newEnv(t, 3)
	appt := e.mustCreate(t, 5)
	var ids []int64
	for i := 0; i < 3; i++ {
		p, err := e.svc.Register(e.ctx(), e.deActor(i), appt.ID, e.de[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	// Before the start: presence cannot be recorded.
	_, err := e.svc.Record(e.ctx(), e.rdv, appt.ID, []appointments.Entry{{ParticipantID: ids[0], Status: "present"}})
	wantCode(t, err, kairos.EInvalid)
	e.clock.T = appt.EndsAt.Add(24 * time.Hour)
	todo, _ := e.svc.ToComplete(e.ctx(), e.rdv)
	if len(todo) != 1 || todo[0].ToComplete != 3 {
		t.Fatalf("à compléter: %+v", todo)
	}
	// non_retenu without a reason: the whole list is refused.
	entries := []appointments.Entry{
		{ParticipantID: ids[0], Status: "present", Result: "retenu"},
		{ParticipantID: ids[1], Status: "present", Result: "non_retenu"},
		{ParticipantID: ids[2], Status: "absent"},
	}
	_, err = e.svc.Record(e.ctx(), e.rdv, appt.ID, entries)
	if kairos.FieldErrors(err)["p"+strconv.FormatInt(ids[1], 10)] == "" {
		t.Fatalf("missing reason accepted: %v", err)
	}
	ps, _ := e.svc.Participants(e.ctx(), e.rdv, appt.ID)
	for _, p := range ps {
		if p.Status != appointments.StInscrit {
			t.Fatalf("partial write: %+v", p)
		}
	}
	entries[1].Motif = "Prérequis non acquis"
	n, err := e.svc.Record(e.ctx(), e.rdv, appt.ID, entries)
	if err != nil || n != 3 {
		t.Fatalf("record: %d %v", n, err)
	}
	items, _ := e.svc.ForConseiller(e.ctx(), e.cons)
	res := map[int64]string{}
	for _, it := range items {
		res[it.DemandeurID] = it.Status + "/" + it.Result + "/" + it.Motif
	}
	if res[e.de[0].ID] != "present/retenu/" || res[e.de[1].ID] != "present/non_retenu/Prérequis non acquis" || res[e.de[2].ID] != "absent//" {
		t.Fatalf("counsellor sees %v", res)
	}
	// Result for an absent person is refused.
	_, err = e.svc.Record(e.ctx(), e.rdv, appt.ID, []appointments.Entry{{ParticipantID: ids[2], Result: "retenu"}})
	wantCode(t, err, kairos.EInvalid)
	todo, _ = e.svc.ToComplete(e.ctx(), e.rdv)
	if len(todo) != 0 {
		t.Fatalf("still to complete: %+v", todo)
	}
	// The other agence's counsellor sees none of it.
	items, _ = e.svc.ForConseiller(e.ctx(), e.consB)
	if len(items) != 0 {
		t.Fatalf("other agence sees %d", len(items))
	}
	// Events were written for each change.
	var events int
	e.DB().QueryRow(e.ctx(), "SELECT COUNT(*) FROM events WHERE type LIKE 'appointment.%'").Scan(&events)
	if events < 1+3+3+2 {
		t.Fatalf("%d events", events)
	}
}

func decodeICS(t *testing.T, data []byte) *ical.Calendar {
	t.Helper()
	for _, l := range strings.Split(string(data), "\r\n") {
		if len(l) > 75 {
			t.Fatalf("line of %d octets: %q", len(l), l)
		}
	}
	if strings.Contains(strings.ReplaceAll(string(data), "\r\n", ""), "\n") {
		t.Fatal("bare LF in ICS")
	}
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("ICS does not parse: %v\n%s", err, data)
	}
	return cal
}

func prop(t *testing.T, ev ical.Event, name string) string {
	t.Helper()
	p := ev.Props.Get(name)
	if p == nil {
		t.Fatalf("no %s", name)
	}
	if p.ValueType() == ical.ValueText || p.ValueType() == ical.ValueDefault {
		if s, err := p.Text(); err == nil {
			return s
		}
	}
	return p.Value
}

// TestICSRoundTrip parses the invitation, change and cancellation with a real
// iCalendar parser and checks every field.
func TestICSRoundTrip(t *testing.T) {
	e := newEnv(t, 1)
	in := input(5)
	in.Title = "Développeur web ; session « été », groupe 2 — un intitulé assez long pour être plié sur plusieurs lignes"
	in.Comment = "Apportez :\n- un CV, une pièce d'identité ;\n- votre identifiant\\France Travail."
	in.VideoURL = "https://visio.example/rdv/abc"
	appt, err := e.svc.Create(e.ctx(), e.rdv, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Register(e.ctx(), e.deActor(0), appt.ID, e.de[0].ID); err != nil {
		t.Fatal(err)
	}
	m := e.mails(t, e.de[0].Email)
	if len(m) != 1 || len(m[0].Attachments) != 1 || !strings.HasPrefix(m[0].Attachments[0].ContentType, "text/calendar") {
		t.Fatalf("convocation: %+v", m)
	}
	cal := decodeICS(t, m[0].Attachments[0].Data)
	if got := cal.Props.Get(ical.PropMethod).Value; got != "REQUEST" {
		t.Fatalf("method %s", got)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	ev := evs[0]
	uid := prop(t, ev, ical.PropUID)
	start, err := ev.DateTimeStart(nil)
	if err != nil {
		t.Fatal(err)
	}
	end, _ := ev.DateTimeEnd(nil)
	if !start.Equal(appt.StartsAt) || !end.Equal(appt.EndsAt) || start.Location().String() != "Europe/Paris" || start.Hour() != 9 || start.Minute() != 30 {
		t.Fatalf("start %v end %v, want %v %v", start, end, appt.StartsAt, appt.EndsAt)
	}
	if uid != appt.UID || prop(t, ev, ical.PropSequence) != "0" {
		t.Fatalf("uid %s seq %s", uid, prop(t, ev, ical.PropSequence))
	}
	if got := prop(t, ev, ical.PropSummary); got != "Information collective — "+in.Title {
		t.Fatalf("summary %q", got)
	}
	if got := prop(t, ev, ical.PropDescription); !strings.Contains(got, in.Comment) || !strings.Contains(got, in.VideoURL) {
		t.Fatalf("description %q", got)
	}
	if got := prop(t, ev, ical.PropLocation); got != in.Place {
		t.Fatalf("location %q", got)
	}
	if org := ev.Props.Get(ical.PropOrganizer); org == nil || org.Value != "mailto:ne-pas-repondre@kairos.test" || org.Params.Get("CN") != "Organisme A" {
		t.Fatalf("organizer %+v", org)
	}
	if att := ev.Props.Get(ical.PropAttendee); att == nil || att.Value != "mailto:"+e.de[0].Email {
		t.Fatalf("attendee %+v", att)
	}
	if len(cal.Children) != 2 || cal.Children[0].Name != ical.CompTimezone {
		t.Fatalf("no VTIMEZONE first: %d children", len(cal.Children))
	}

	// A change of time: same UID, SEQUENCE 1, new times.
	in.Start, in.End = "14:00", "15:30"
	if _, err := e.svc.Update(e.ctx(), e.rdv, appt.ID, in); err != nil {
		t.Fatal(err)
	}
	m = e.mails(t, e.de[0].Email)
	cal = decodeICS(t, m[1].Attachments[0].Data)
	ev = cal.Events()[0]
	start, _ = ev.DateTimeStart(nil)
	if prop(t, ev, ical.PropUID) != uid || prop(t, ev, ical.PropSequence) != "1" || start.In(appointments.Paris).Hour() != 14 || !strings.HasPrefix(m[1].Subject, "Rendez-vous modifié") {
		t.Fatalf("change: uid %s seq %s start %v", prop(t, ev, ical.PropUID), prop(t, ev, ical.PropSequence), start)
	}
	// A comment-only change sends nothing.
	in.Comment = "Autre commentaire"
	if _, err := e.svc.Update(e.ctx(), e.rdv, appt.ID, in); err != nil {
		t.Fatal(err)
	}
	if n := len(e.mails(t, e.de[0].Email)); n != 2 {
		t.Fatalf("%d mails after a comment change", n)
	}
	// Cancellation: METHOD:CANCEL, same UID, SEQUENCE 2, STATUS:CANCELLED, and the reason.
	if _, err := e.svc.Cancel(e.ctx(), e.rdv, appt.ID, ""); kairos.FieldErrors(err)["reason"] == "" {
		t.Fatalf("cancel without reason: %v", err)
	}
	if _, err := e.svc.Cancel(e.ctx(), e.rdv, appt.ID, "Formateur malade, nouvelle date à venir"); err != nil {
		t.Fatal(err)
	}
	m = e.mails(t, e.de[0].Email)
	last := m[len(m)-1]
	if !strings.Contains(last.Body, "Formateur malade") {
		t.Fatalf("reason not in the mail: %s", last.Body)
	}
	cal = decodeICS(t, last.Attachments[0].Data)
	ev = cal.Events()[0]
	if cal.Props.Get(ical.PropMethod).Value != "CANCEL" || prop(t, ev, ical.PropUID) != uid || prop(t, ev, ical.PropSequence) != "2" || prop(t, ev, ical.PropStatus) != "CANCELLED" {
		t.Fatalf("cancel ICS:\n%s", last.Attachments[0].Data)
	}
	if _, err := e.svc.Register(e.ctx(), e.deActor(0), appt.ID, e.de[0].ID); kairos.ErrorCode(err) != kairos.EConflict {
		t.Fatalf("registration on a cancelled appointment: %v", err)
	}

	// The OF's feed: PUBLISH, with the cancelled appointment.
	tok, err := e.svc.RegenerateFeed(e.ctx(), e.rdv)
	if err != nil {
		t.Fatal(err)
	}
	feed, err := e.svc.Feed(e.ctx(), tok)
	if err != nil {
		t.Fatal(err)
	}
	cal = decodeICS(t, feed)
	if cal.Props.Get(ical.PropMethod).Value != "PUBLISH" || len(cal.Events()) != 1 || prop(t, cal.Events()[0], ical.PropStatus) != "CANCELLED" {
		t.Fatalf("feed:\n%s", feed)
	}
	tok2, _ := e.svc.RegenerateFeed(e.ctx(), e.rdv)
	if _, err := e.svc.Feed(e.ctx(), tok); kairos.ErrorCode(err) != kairos.ENotFound {
		t.Fatalf("old feed address still works: %v", err)
	}
	if _, err := e.svc.Feed(e.ctx(), tok2); err != nil {
		t.Fatal(err)
	}
}

// TestReminders: sent the day before, once, never for a cancelled appointment
// or registration.
func TestReminders(t *testing.T) {
	e := newEnv(t, 3)
	a1 := e.mustCreate(t, 5) // 2026-06-10 09:30
	in := input(5)
	in.Title = "Sera annulé"
	a2, _ := e.svc.Create(e.ctx(), e.rdv, in)
	p0, _ := e.svc.Register(e.ctx(), e.deActor(0), a1.ID, e.de[0].ID)
	p1, _ := e.svc.Register(e.ctx(), e.deActor(1), a1.ID, e.de[1].ID)
	e.svc.Register(e.ctx(), e.deActor(2), a2.ID, e.de[2].ID)
	if _, err := e.svc.Unregister(e.ctx(), e.deActor(1), p1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Cancel(e.ctx(), e.rdv, a2.ID, "Salle indisponible"); err != nil {
		t.Fatal(err)
	}
	count := func(to string) int {
		n := 0
		for _, m := range e.mails(t, to) {
			if hasPrefix(m.Subject, "Rappel") {
				n++
			}
		}
		return n
	}
	// Two days before: nothing. The day before at 7:00: nothing yet.
	e.clock.T = time.Date(2026, 6, 8, 12, 0, 0, 0, appointments.Paris)
	if n, _ := e.svc.SendReminders(e.ctx()); n != 0 {
		t.Fatalf("%d reminders two days before", n)
	}
	e.clock.T = time.Date(2026, 6, 9, 7, 0, 0, 0, appointments.Paris)
	if n, _ := e.svc.SendReminders(e.ctx()); n != 0 {
		t.Fatalf("%d reminders at 7:00", n)
	}
	e.clock.T = time.Date(2026, 6, 9, 8, 15, 0, 0, appointments.Paris)
	if n, err := e.svc.SendReminders(e.ctx()); n != 1 || err != nil {
		t.Fatalf("%d reminders the day before (%v)", n, err)
	}
	e.clock.Advance(15 * time.Minute)
	if n, _ := e.svc.SendReminders(e.ctx()); n != 0 {
		t.Fatalf("reminder sent twice")
	}
	if count(e.de[0].Email) != 1 || count(e.de[1].Email) != 0 || count(e.de[2].Email) != 0 {
		t.Fatalf("reminders: %d %d %d", count(e.de[0].Email), count(e.de[1].Email), count(e.de[2].Email))
	}
	_ = p0
}
