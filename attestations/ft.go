package attestations

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"time"

	"kairos"
	"kairos/attendance"
	"kairos/calendar"
)

// AgenceStat counts a month's attestations of the trainees of one agence.
type AgenceStat struct {
	Region   string `json:"region"`
	AgenceID int64  `json:"agence_id"`
	Agence   string `json:"agence"`
	Expected int    `json:"expected"` // trainees in training during the month
	Received int    `json:"received"` // attested and transmitted
	Missing  int    `json:"missing"`  // not attested yet
	Late     int    `json:"late"`     // attested after the due date, or missing past it
}

// Overview is France Travail's view of a month.
type Overview struct {
	Month   calendar.Month `json:"month"`
	Region  string         `json:"region,omitempty"` // the region shown ("": every region)
	Scoped  bool           `json:"scoped"`           // the caller's service sees its region only
	Due     calendar.Date  `json:"due_on"`
	Overdue bool           `json:"overdue"`
	Agences []AgenceStat   `json:"agences"`
	Total   AgenceStat     `json:"total"`
}

// Overview counts, per region and agence, the attestations of month m
// received, missing and late. A regional France Travail service (gestionnaire,
// comptable) sees its region's agences; a national one (no region) sees every
// agence, and region filters on the agence's region.
func (s *Service) Overview(ctx context.Context, a *kairos.Actor, m calendar.Month, region string) (*Overview, error) {
	if err := kairos.Authorize(a, ftRule); err != nil {
		return nil, err
	}
	if m.IsZero() {
		return nil, invalid("month", "Indiquez le mois (AAAA-MM).")
	}
	own, err := s.ftRegion(ctx, a)
	if err != nil {
		return nil, err
	}
	if own != "" {
		region = own // a regional service sees its region only
	}
	o := &Overview{Month: m, Region: region, Scoped: own != "", Due: s.Due.Date(m), Overdue: s.Due.IsOverdue(m, s.now()), Agences: []AgenceStat{}}
	args := []any{int64(m), int64(m.Last()), int64(m.First())}
	q := `SELECT ag.region, e.agence_id, ag.name, COUNT(*), COUNT(t.id), COALESCE(SUM(t.late), 0)
		FROM enrolments e JOIN organisations ag ON ag.id = e.agence_id
		LEFT JOIN attestations t ON t.enrolment_id = e.id AND t.month = ? AND t.version = 1
		WHERE ` + activeWhere
	if region != "" {
		q += " AND ag.region = ?"
		args = append(args, region)
	}
	rows, err := s.DB.Query(ctx, q+" GROUP BY ag.region, e.agence_id, ag.name ORDER BY ag.region, ag.name, e.agence_id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var st AgenceStat
		if err := rows.Scan(&st.Region, &st.AgenceID, &st.Agence, &st.Expected, &st.Received, &st.Late); err != nil {
			return nil, err
		}
		st.Missing = st.Expected - st.Received
		if o.Overdue {
			st.Late += st.Missing
		}
		o.Agences = append(o.Agences, st)
		o.Total.Expected += st.Expected
		o.Total.Received += st.Received
		o.Total.Missing += st.Missing
		o.Total.Late += st.Late
	}
	return o, rows.Err()
}

// ExportColumns are the columns of the export for the pay service, in their
// stable order.
var ExportColumns = []string{
	"Mois", "Identifiant France Travail", "Stagiaire", "Organisme de formation", "SIRET", "Session", "Numéro de session", "Agence",
	"Heures prévues", "Heures réalisées", "Absences justifiées (h)", "Absences injustifiées (h)",
	"Version", "Nature", "Motif de rectification", "Attestée par", "Attestée le", "Transmise le", "Hors délai", "Numéro d'inscription",
}

// Export writes the current version of every attestation of month m
// received by France Travail as CSV for the pay service: UTF-8 with a byte
// order mark (spreadsheets), semicolons, hours in decimal with a comma
// ("7,5"), dates and times in Paris; rows by agence, OF, session and trainee.
func (s *Service) Export(ctx context.Context, a *kairos.Actor, m calendar.Month, w io.Writer) error {
	if err := kairos.Authorize(a, ftRule); err != nil {
		return err
	}
	if m.IsZero() {
		return invalid("month", "Indiquez le mois (AAAA-MM).")
	}
	own, err := s.ftRegion(ctx, a)
	if err != nil {
		return err
	}
	rows, err := s.DB.Query(ctx, `SELECT COALESCE(d.ft_id, ''), u.name, o.name, COALESCE(o.siret, ''), e.session_title, e.session_id, ag.name,
		t.planned, t.attended, t.justified, t.unjustified, t.version, t.kind, t.reason, t.attested_label, t.attested_at, t.transmitted_at, t.late, e.id
		FROM attestations t JOIN enrolments e ON e.id = t.enrolment_id JOIN organisations o ON o.id = e.org_id JOIN organisations ag ON ag.id = e.agence_id
		JOIN users u ON u.id = e.demandeur_id LEFT JOIN demandeurs d ON d.user_id = e.demandeur_id
		WHERE t.month = ? AND t.current = 1 AND t.state = ? AND (? = '' OR ag.region = ?)
		ORDER BY ag.name, o.name, e.session_id, u.name, e.id`, int64(m), StTransmise, own, own)
	if err != nil {
		return err
	}
	defer rows.Close()
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	if err := cw.Write(ExportColumns); err != nil {
		return err
	}
	paris := calendar.Paris()
	for rows.Next() {
		var ftid, name, org, siret, title, agence, kind, reason, by string
		var sid, eid int64
		var f attendance.Figures
		var version, late int
		var at time.Time
		var tr sql.NullTime
		if err := rows.Scan(&ftid, &name, &org, &siret, &title, &sid, &agence, &f.Planned, &f.Attended, &f.Justified, &f.Unjustified,
			&version, &kind, &reason, &by, &at, &tr, &late, &eid); err != nil {
			return err
		}
		sent := ""
		if tr.Valid {
			sent = tr.Time.In(paris).Format("02/01/2006 15:04")
		}
		lateText := "non"
		if late == 1 {
			lateText = "oui"
		}
		if err := cw.Write([]string{m.String(), ftid, name, org, siret, title, strconv.FormatInt(sid, 10), agence,
			f.Planned.Decimal(), f.Attended.Decimal(), f.Justified.Decimal(), f.Unjustified.Decimal(),
			strconv.Itoa(version), kind, reason, by, at.In(paris).Format("02/01/2006 15:04"), sent, lateText, strconv.FormatInt(eid, 10)}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// ftRegion is the region a France Travail actor may see: the region of its
// service, or "" for a national service (every region).
func (s *Service) ftRegion(ctx context.Context, a *kairos.Actor) (string, error) {
	var region string
	err := s.DB.QueryRow(ctx, "SELECT region FROM organisations WHERE id = ?", a.OrgID).Scan(&region)
	if errors.Is(err, sql.ErrNoRows) {
		return "", kairos.Errorf(kairos.EForbidden, "Cette page est réservée aux services de France Travail.")
	}
	return region, err
}
