package quotes

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"kairos/mail"
	"kairos/store"
)

func (s *Service) link(path string) string { return strings.TrimRight(s.BaseURL, "/") + path }

type recipient struct{ email, name, kind string } // kind: of, de, conseiller, gestionnaire

func emails(ctx context.Context, tx *store.Tx, kind, query string, args ...any) ([]recipient, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []recipient
	for rows.Next() {
		r := recipient{kind: kind}
		if err := rows.Scan(&r.email, &r.name); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Service) recipients(ctx context.Context, tx *store.Tx, q *Quote, kinds ...string) ([]recipient, error) {
	var out []recipient
	for _, k := range kinds {
		var rs []recipient
		var err error
		switch k {
		case "of":
			rs, err = emails(ctx, tx, k, `SELECT email, name FROM users WHERE org_id = ? AND status = 'active'
				AND (role = 'of_admin' OR (role = 'of_user' AND (',' || habilitations || ',') LIKE '%,devis,%')) ORDER BY id`, q.OrgID)
		case "de":
			rs, err = emails(ctx, tx, k, "SELECT email, name FROM users WHERE id = ?", q.DemandeurID)
		case "conseiller":
			rs, err = emails(ctx, tx, k, `SELECT u.email, u.name FROM demandeurs d JOIN users u ON u.id = d.conseiller_id WHERE d.user_id = ? AND u.status = 'active'`, q.DemandeurID)
			if err == nil && len(rs) == 0 {
				rs, err = emails(ctx, tx, k, "SELECT email, name FROM users WHERE org_id = ? AND role = 'conseiller' AND status = 'active' ORDER BY id", q.AgenceID)
			}
		case "gestionnaire":
			rs, err = emails(ctx, tx, k, `SELECT u.email, u.name FROM users u JOIN organisations o ON o.id = u.org_id
				WHERE u.role = 'ft_gestionnaire' AND u.status = 'active' AND (o.region = ? OR o.region = '') ORDER BY u.id`, q.Region)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// who is told of each step, and what.
var told = map[Action][]string{
	Transmettre:    {"de", "conseiller"},
	Accepter:       {"of", "conseiller"},
	RefuserDE:      {"of", "conseiller"},
	Valider:        {"of", "de"},
	Soumettre:      {"gestionnaire", "of", "de"},
	Refuser:        {"of", "de"},
	Completer:      {"of", "de"},
	ValiderRegion:  {"of", "de", "conseiller"},
	RefuserRegion:  {"of", "de", "conseiller"},
	CompleterRegio: {"of", "de", "conseiller"},
	Annuler:        {"de", "conseiller"},
	Expirer:        {"of", "de", "conseiller"},
}

func (s *Service) notify(ctx context.Context, tx *store.Tx, t *Transition, q *Quote, reason string) error {
	kinds := told[t.Action]
	if q.TransmittedAt == nil { // never shown to the job seeker nor his counsellor
		kinds = []string{"of"}
		if t.Action != Expirer {
			return nil
		}
	}
	rs, err := s.recipients(ctx, tx, q, kinds...)
	if err != nil {
		return err
	}
	for _, r := range rs {
		path := "/devis/" + strconv.FormatInt(q.ID, 10)
		if r.kind == "de" {
			path = "/mes-devis/" + strconv.FormatInt(q.ID, 10)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Bonjour %s,\n\n", r.name)
		fmt.Fprintf(&b, "Devis AIF n° %s — %s\n%s : %s.\n\n", q.Number, q.Title, t.Event, q.State.Label())
		fmt.Fprintf(&b, "Demandeur d'emploi : %s\nOrganisme de formation : %s\nSession : du %s au %s\nCoût total : %s ; cofinancement : %s ; AIF demandée : %s\n",
			q.DemandeurName, q.OrgName, q.SessionDebut.French(), q.SessionFin.French(), q.Total, q.Cofunding, q.AIF)
		if reason != "" {
			fmt.Fprintf(&b, "\nMotif : %s\n", reason)
		}
		if t.To == Valide {
			fmt.Fprintf(&b, "\nNuméro d'engagement (à reporter sur la facture) : %s\n", q.Number)
		}
		fmt.Fprintf(&b, "\nLe devis : %s\n\nL'équipe Kairos\n", s.link(path))
		if err := mail.Enqueue(ctx, tx, mail.Message{To: r.email, Subject: "Devis AIF " + q.Number + " : " + strings.ToLower(q.State.Label()), Body: b.String()}); err != nil {
			return err
		}
	}
	return nil
}
