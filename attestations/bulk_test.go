package attestations_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"kairos"
	"kairos/attendance"
	"kairos/attestations"
	"kairos/calendar"
	"kairos/enrolment"
	"kairos/store"
)

// enterAll enters every enrolment of e from index from on, on 2 March.
func enterAll(t *testing.T, e *env, from, to int) {
	t.Helper()
	admin := e.Users[kairos.RoleOFAdmin].Actor()
	for _, id := range e.ids[from:to] {
		if _, err := e.enr.Do(ctx(), admin, id, enrolment.Action{Action: enrolment.ActEntrer, Date: calendar.NewDate(2026, 3, 2)}); err != nil {
			t.Fatal(err)
		}
	}
}

func text(db *store.DB, col string) string {
	if db.Engine() == store.Postgres {
		return col + "::text"
	}
	return col
}

// A bulk call of N items attests the valid ones with exactly one
// « attestation.attest » and one « attestation.transmit » audit record and
// event each, carrying the version written, in the order of the items; the
// refused items (invalid figures, repeated, not in training) are reported
// with their French reason and write nothing.
func TestBulkAuditAndEventsPerAttestation(t *testing.T) {
	e := newEnv(t, 8)
	enterAll(t, e, 2, 7) // ids[7] is only enrolled
	db := e.Acc.DB
	list, err := e.svc.Month(ctx(), e.of, march, 0)
	if err != nil || len(list) != 7 {
		t.Fatalf("%d attestations (%v)", len(list), err)
	}
	pre := map[int64]attendance.Figures{}
	for _, x := range list {
		pre[x.EnrolmentID] = x.Prefill
	}
	fixed := pre[e.ids[0]]
	fixed.Attended, fixed.Unjustified = fixed.Attended-h(7), h(7)
	bad := pre[e.ids[3]]
	bad.Attended += h(1)
	items := []attestations.Item{
		{EnrolmentID: e.ids[5]}, {EnrolmentID: e.ids[0], Figures: &fixed}, {EnrolmentID: e.ids[1]}, {EnrolmentID: e.ids[3], Figures: &bad},
		{EnrolmentID: e.ids[2]}, {EnrolmentID: 987654321}, {EnrolmentID: e.ids[7]}, {EnrolmentID: e.ids[4]}, {EnrolmentID: e.ids[2]}, {EnrolmentID: e.ids[6]},
	}
	res, err := e.svc.Attest(ctx(), e.of, march, items)
	if err != nil {
		t.Fatal(err)
	}
	var ok []attestations.Result
	for i, r := range res {
		switch i {
		case 3:
			if r.OK || r.Code != kairos.EInvalid || !strings.Contains(r.Fields[attendance.FieldAttended], "heures") {
				t.Fatalf("invalid figures: %+v", r)
			}
		case 5, 6:
			if r.OK || r.Code != kairos.ENotFound || r.Error != "Attestation (stagiaire en formation ce mois-là) introuvable." {
				t.Fatalf("item %d: %+v", i, r)
			}
		case 8:
			if r.OK || r.Code != kairos.EConflict || r.Error != "L'attestation de Demandeur 02 pour mars 2026 a déjà été attestée ("+e.of.Label()+") ; corrigez-la par une attestation rectificative." {
				t.Fatalf("repeated item: %+v", r)
			}
		default:
			if !r.OK || r.Attestation == nil || r.Attestation.Current.ID == 0 || r.Attestation.State != attestations.StTransmise || r.EnrolmentID != items[i].EnrolmentID {
				t.Fatalf("item %d: %+v", i, r)
			}
			ok = append(ok, r)
		}
	}
	if len(ok) != 6 || ok[1].Attestation.Figures != fixed || ok[0].Attestation.Figures != pre[e.ids[5]] {
		t.Fatalf("%d attested: %+v", len(ok), ok)
	}
	var n int
	if err := db.QueryRow(ctx(), "SELECT COUNT(*) FROM attestations WHERE month = ?", int64(march)).Scan(&n); err != nil || n != 6 {
		t.Fatalf("%d rows (%v)", n, err)
	}
	if err := db.QueryRow(ctx(), "SELECT COUNT(*) FROM attestations WHERE enrolment_id = ?", e.ids[3]).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the refused item wrote %d rows (%v)", n, err)
	}
	// What each record must carry.
	want := func(r attestations.Result) map[string]any {
		x := r.Attestation
		b, _ := json.Marshal(map[string]any{"enrolment_id": x.EnrolmentID, "month": march, "version": 1, "kind": "initiale", "figures": attestations.HoursOf(x.Figures), "reason": ""})
		var m map[string]any
		json.Unmarshal(b, &m)
		return m
	}
	var wantSeq []string
	for _, r := range ok {
		wantSeq = append(wantSeq, fmt.Sprint("attestation.attest ", r.Attestation.Current.ID), fmt.Sprint("attestation.transmit ", r.Attestation.Current.ID))
	}
	byID := map[string]attestations.Result{}
	for _, r := range ok {
		byID[fmt.Sprint(r.Attestation.Current.ID)] = r
	}
	rows, err := db.Query(ctx(), "SELECT action, object_type, object_id, org_id, actor_label, "+text(db, "before_json")+", "+text(db, "after_json")+
		" FROM audit_log WHERE action LIKE 'attestation.%' ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var seq []string
	for rows.Next() {
		var action, typ, obj, label string
		var org int64
		var before, after *string
		if err := rows.Scan(&action, &typ, &obj, &org, &label, &before, &after); err != nil {
			t.Fatal(err)
		}
		seq = append(seq, action+" "+obj)
		var got map[string]any
		if after != nil {
			json.Unmarshal([]byte(*after), &got)
		}
		r, found := byID[obj]
		if typ != "attestation" || org != e.OFA || label != kairos.ActorFrom(ctx()).Label() || before != nil || !found || !reflect.DeepEqual(got, want(r)) {
			t.Fatalf("audit record %s %s %s org %d %q before %v: %v, want %v", action, typ, obj, org, label, before, got, want(r))
		}
	}
	rows.Close()
	if !reflect.DeepEqual(seq, wantSeq) {
		t.Fatalf("audit records\n%v\nwant\n%v", seq, wantSeq)
	}
	rows, err = db.Query(ctx(), "SELECT type, object_type, object_id, org_id, "+text(db, "payload")+" FROM events WHERE type LIKE 'attestation.%' ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	seq = nil
	for rows.Next() {
		var action, typ, obj, payload string
		var org int64
		if err := rows.Scan(&action, &typ, &obj, &org, &payload); err != nil {
			t.Fatal(err)
		}
		seq = append(seq, action+" "+obj)
		var got struct {
			Type       string         `json:"type"`
			ObjectType string         `json:"object_type"`
			ObjectID   string         `json:"object_id"`
			At         string         `json:"at"`
			Data       map[string]any `json:"data"`
		}
		if err := json.Unmarshal([]byte(payload), &got); err != nil {
			t.Fatal(err)
		}
		r := byID[obj]
		if typ != "attestation" || org != e.OFA || got.Type != action || got.ObjectType != "attestation" || got.ObjectID != obj || got.At == "" || !reflect.DeepEqual(got.Data, want(r)) {
			t.Fatalf("event %s %s org %d: %s", action, obj, org, payload)
		}
	}
	rows.Close()
	if !reflect.DeepEqual(seq, wantSeq) {
		t.Fatalf("events\n%v\nwant\n%v", seq, wantSeq)
	}
}

// Two bulk calls attesting the same trainees at the same time: each
// attestation is written once, by one of them, with its two audit records;
// the other call reports it as already attested.
func TestConcurrentBulkAttestsOnce(t *testing.T) {
	e := newEnv(t, 6)
	enterAll(t, e, 2, 6)
	db := e.Acc.DB
	var items []attestations.Item
	for _, id := range e.ids {
		items = append(items, attestations.Item{EnrolmentID: id})
	}
	const calls = 3
	out := make([][]attestations.Result, calls)
	errs := make([]error, calls)
	var wg sync.WaitGroup
	for c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[c], errs[c] = e.svc.Attest(ctx(), e.of, march, items)
		}()
	}
	wg.Wait()
	for c := range calls {
		if errs[c] != nil {
			t.Fatal(errs[c])
		}
	}
	for i := range items {
		won := 0
		for c := range calls {
			switch r := out[c][i]; {
			case r.OK:
				won++
			case r.Code != kairos.EConflict || r.Error == "":
				t.Fatalf("call %d item %d: %+v", c, i, r)
			}
		}
		if won != 1 {
			t.Fatalf("item %d attested %d times", i, won)
		}
	}
	for _, q := range []string{
		"SELECT COUNT(*) FROM attestations WHERE month = ?",
		"SELECT COUNT(*) FROM audit_log WHERE action = 'attestation.attest' AND ? <> 0",
		"SELECT COUNT(*) FROM audit_log WHERE action = 'attestation.transmit' AND ? <> 0",
		"SELECT COUNT(*) FROM events WHERE type = 'attestation.attest' AND ? <> 0",
	} {
		var n int
		if err := db.QueryRow(ctx(), q, int64(march)).Scan(&n); err != nil || n != len(items) {
			t.Fatalf("%s: %d (%v), want %d", q, n, err, len(items))
		}
	}
}
