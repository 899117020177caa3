package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"kairos"
)

// Live pages (issue 15): a page listed here carries data-live="<object
// types>" on its <main>; static/live.js opens /evenements/flux (server-sent
// events) and, when an event about one of those object types reaches the
// user's organisation, fetches the page again and swaps its content in.
var livePages = map[string]string{
	"dashboard":    "enrolment,enrolment_movement,enrolment_absence",             // OF dashboard
	"rdvshow":      "appointment,participant",                                    // an appointment's participants
	"portfolio":    "enrolment,enrolment_movement,enrolment_absence,participant", // the counsellor's portfolio
	"attestations": "attestation,enrolment,enrolment_absence",                    // the month's attestations
}

var liveObjects = map[string]bool{"enrolment": true, "enrolment_absence": true, "enrolment_movement": true, "appointment": true, "participant": true, "attestation": true, "adhesion": true}

// Timing of the live stream.
const (
	livePoll      = 2 * time.Second  // events of other instances are found by polling
	liveHeartbeat = 25 * time.Second // a comment keeps proxies from closing the stream
)

func (s *Server) liveStopped() <-chan struct{} {
	s.liveOnce.Do(func() { s.liveDone = make(chan struct{}) })
	return s.liveDone
}

// StopLive ends the live streams, so that a graceful shutdown does not wait
// for the pages that follow them (http.Server.RegisterOnShutdown).
func (s *Server) StopLive() {
	s.liveStopped()
	s.liveClose.Do(func() { close(s.liveDone) })
}

// liveStream sends an "change" event each time an event about the requested
// object types reaches the user's organisation's audience.
func (s *Server) liveStream(w http.ResponseWriter, r *http.Request) {
	a := kairos.ActorFrom(r.Context())
	if a == nil || a.OrgID == 0 {
		w.WriteHeader(http.StatusNoContent) // nothing to follow; EventSource stops
		return
	}
	want := map[string]bool{}
	for _, t := range strings.Split(r.URL.Query().Get("objets"), ",") {
		if liveObjects[t] {
			want[t] = true
		}
	}
	if len(want) == 0 {
		s.errorPage(w, r, kairos.Invalid(map[string]string{"objets": "Types d'objets à suivre inconnus."}))
		return
	}
	ctx := r.Context()
	var last int64
	if id, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && id > 0 {
		last = id // a reconnection: what happened meanwhile is sent at once
	} else if err := s.DB.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM event_audience WHERE org_id = ?", a.OrgID).Scan(&last); err != nil {
		s.errorPage(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(s string) bool {
		rc.SetWriteDeadline(time.Now().Add(time.Minute))
		if _, err := w.Write([]byte(s)); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write("retry: 3000\n\n") {
		return
	}
	woken, stop := s.Webhooks.Listen()
	defer stop()
	poll := time.NewTicker(livePoll)
	defer poll.Stop()
	beat := time.NewTicker(liveHeartbeat)
	defer beat.Stop()
	stopped := s.liveStopped()
	for {
		select {
		case <-ctx.Done():
			return
		case <-stopped:
			return
		case <-beat.C:
			if !write(": ok\n\n") {
				return
			}
			continue
		case <-woken:
		case <-poll.C:
		}
		rows, err := s.DB.Query(ctx, `SELECT au.seq, e.object_type, e.object_id FROM event_audience au JOIN events e ON e.id = au.event_id
			WHERE au.org_id = ? AND au.seq > ? ORDER BY au.seq LIMIT 200`, a.OrgID, last)
		if err != nil {
			return
		}
		type change struct {
			Type string `json:"object_type"`
			ID   string `json:"object_id"`
		}
		var changes []change
		for rows.Next() {
			var c change
			if err := rows.Scan(&last, &c.Type, &c.ID); err != nil {
				rows.Close()
				return
			}
			if want[c.Type] {
				changes = append(changes, c)
			}
		}
		rows.Close()
		if len(changes) == 0 {
			continue
		}
		b, _ := json.Marshal(changes)
		if !write("id: " + strconv.FormatInt(last, 10) + "\nevent: change\ndata: " + string(b) + "\n\n") {
			return
		}
	}
}
