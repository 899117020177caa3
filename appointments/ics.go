package appointments

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ICS methods (RFC 5546).
const (
	MethodRequest = "REQUEST"
	MethodCancel  = "CANCEL"
	MethodPublish = "PUBLISH"
)

// Event is one VEVENT of an ICS file.
type Event struct {
	UID         string
	Sequence    int
	Stamp       time.Time
	Start, End  time.Time
	Summary     string
	Location    string
	URL         string
	Description string
	Organizer   string // e-mail address
	OrgName     string // CN of the organizer
	Attendee    string // e-mail address (invitations only)
	AttendeeCN  string
	Cancelled   bool
}

// vtimezone describes Europe/Paris (EU rules since 1996), so that times can
// be given as local times with TZID=Europe/Paris.
const vtimezone = "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n" +
	"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" +
	"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n" +
	"END:VTIMEZONE\r\n"

// ICS renders an iCalendar object (RFC 5545) with method and events: CRLF
// line ends, TEXT values escaped, lines folded at 75 octets.
func ICS(method string, name string, events ...Event) []byte {
	var b strings.Builder
	line := func(s string) { b.WriteString(fold(s)) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//Kairos//Rendez-vous//FR")
	line("CALSCALE:GREGORIAN")
	line("METHOD:" + method)
	if name != "" {
		line("X-WR-CALNAME:" + escapeText(name))
		line("X-WR-TIMEZONE:Europe/Paris")
	}
	b.WriteString(vtimezone)
	for _, e := range events {
		line("BEGIN:VEVENT")
		line("UID:" + e.UID)
		line("SEQUENCE:" + strconv.Itoa(e.Sequence))
		line("DTSTAMP:" + e.Stamp.UTC().Format("20060102T150405Z"))
		line("DTSTART;TZID=Europe/Paris:" + e.Start.In(Paris).Format("20060102T150405"))
		line("DTEND;TZID=Europe/Paris:" + e.End.In(Paris).Format("20060102T150405"))
		line("SUMMARY:" + escapeText(e.Summary))
		if e.Location != "" {
			line("LOCATION:" + escapeText(e.Location))
		}
		if e.URL != "" {
			line("URL:" + e.URL)
		}
		if e.Description != "" {
			line("DESCRIPTION:" + escapeText(e.Description))
		}
		if e.Organizer != "" {
			line("ORGANIZER;CN=" + paramValue(e.OrgName) + ":mailto:" + e.Organizer)
		}
		if e.Attendee != "" {
			line("ATTENDEE;CN=" + paramValue(e.AttendeeCN) + ";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:" + e.Attendee)
		}
		if e.Cancelled {
			line("STATUS:CANCELLED")
		} else {
			line("STATUS:CONFIRMED")
		}
		line("TRANSP:OPAQUE")
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return []byte(b.String())
}

// escapeText escapes a TEXT value (RFC 5545 §3.3.11).
func escapeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`, "\r", `\n`)
	// Other control characters have no place in a content line.
	return strings.Map(func(c rune) rune {
		if c == '\t' || (c >= 0x20 && c != 0x7f) {
			return c
		}
		return -1
	}, r.Replace(s))
}

// paramValue quotes a parameter value when needed; DQUOTE cannot appear in one.
func paramValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if strings.ContainsAny(s, ":;,") {
		return `"` + s + `"`
	}
	return s
}

// fold folds a content line at 75 octets without splitting a UTF-8
// sequence (RFC 5545 §3.1) and ends it with CRLF.
func fold(s string) string {
	if len(s) <= 75 {
		return s + "\r\n"
	}
	var b strings.Builder
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
	return b.String()
}

// event builds the VEVENT of an appointment; seq is the SEQUENCE to use.
func (s *Service) event(a *Appointment, seq int, p *Participant, cancelled bool) Event {
	desc := KindLabel(a.Kind) + " organisée par " + a.OrgName + "."
	if a.Kind == KindIndividuel {
		desc = KindLabel(a.Kind) + " organisé par " + a.OrgName + "."
	}
	if a.VideoURL != "" {
		desc += "\nVisioconférence : " + a.VideoURL
	}
	if a.Comment != "" {
		desc += "\n\n" + a.Comment
	}
	if cancelled && a.CancelReason != "" {
		desc += "\n\nAnnulé : " + a.CancelReason
	}
	loc := a.Place
	if loc == "" {
		loc = "Visioconférence"
	}
	e := Event{UID: a.UID, Sequence: seq, Stamp: s.now(), Start: a.StartsAt, End: a.EndsAt, Summary: a.FullTitle(),
		Location: loc, URL: a.VideoURL, Description: desc, Organizer: s.organizer(), OrgName: a.OrgName, Cancelled: cancelled}
	if p != nil {
		e.Attendee, e.AttendeeCN = p.Email, p.Name
	}
	return e
}

func (s *Service) organizer() string {
	o := s.Organizer
	if i := strings.LastIndex(o, "<"); i >= 0 {
		o = strings.TrimSuffix(o[i+1:], ">")
	}
	if o == "" || strings.ContainsAny(o, " \r\n") {
		return "ne-pas-repondre@" + s.host()
	}
	return o
}
