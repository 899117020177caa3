package enrolment

import (
	"strconv"

	"kairos/calendar"
)

// Status is a job seeker's path status, derived from his enrolments (never
// set by hand), and what needs an action, if anything.
type Status struct {
	Code   string `json:"code"`
	Label  string `json:"label"`
	Detail string `json:"detail,omitempty"`
	Action string `json:"action,omitempty"` // what needs doing, "" if nothing
}

// Path status codes.
const (
	PathNone        = "sans_parcours"
	PathProposed    = "proposition"
	PathEnrolled    = "inscrit"
	PathInTraining  = "en_formation"
	PathInterrupted = "interrompu"
	PathExited      = "sorti"
)

// DeriveStatus computes the path status from the enrolments: the most
// advanced open enrolment wins (in training, interrupted, enrolled,
// proposed), then the latest exit.
func DeriveStatus(list []Enrolment, today calendar.Date, rule calendar.DeclarationRule) Status {
	pick := func(state string) *Enrolment {
		for i := range list {
			if list[i].State == state {
				return &list[i]
			}
		}
		return nil
	}
	if e := pick(StEntree); e != nil {
		st := Status{Code: PathInTraining, Label: "En formation", Detail: e.SessionTitle + " depuis le " + e.EntryOn.French()}
		if e.SessionFin < today && rule.Deadline(e.SessionFin) < today {
			st.Action = "Sortie non déclarée par l'organisme (session terminée le " + e.SessionFin.French() + ")"
		}
		return st
	}
	if e := pick(StInterrompue); e != nil {
		days := today.Sub(e.InterruptedOn)
		st := Status{Code: PathInterrupted, Label: "Formation interrompue", Detail: e.SessionTitle + " — " + ReasonLabel(e.InterruptionReason) + " depuis le " + e.InterruptedOn.French()}
		if days >= 15 {
			st.Action = "Interruption depuis " + strconv.Itoa(days) + " jours : faire le point"
		}
		return st
	}
	if e := pick(StInscrite); e != nil {
		st := Status{Code: PathEnrolled, Label: "Inscrit", Detail: e.SessionTitle + " — entrée prévue le " + e.PlannedEntry.French()}
		if rule.Deadline(e.PlannedEntry) < today {
			st.Action = "Entrée non déclarée par l'organisme (prévue le " + e.PlannedEntry.French() + ")"
		}
		return st
	}
	if e := pick(StProposee); e != nil {
		st := Status{Code: PathProposed, Label: "Inscription proposée", Detail: e.SessionTitle + " (" + e.OrgName + ")"}
		if e.ProposedRole != "conseiller" {
			st.Action = "Proposition de l'organisme à examiner"
		}
		return st
	}
	var last *Enrolment
	for i := range list {
		if list[i].State == StSortie && (last == nil || list[i].ExitOn > last.ExitOn) {
			last = &list[i]
		}
	}
	if last != nil {
		st := Status{Code: PathExited, Label: "Sorti(e) de formation", Detail: last.SessionTitle + " — " + ReasonLabel(last.ExitReason) + " le " + last.ExitOn.French()}
		if last.ExitReason != "fin_normale" && last.ExitReason != "reprise_emploi" && today.Sub(last.ExitOn) <= 30 {
			st.Action = "Sortie anticipée : envisager la suite du parcours"
		}
		return st
	}
	return Status{Code: PathNone, Label: "Sans formation en cours"}
}
