package enrolment

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"kairos"
	"kairos/calendar"
	"kairos/store"
)

// Absence is a declared absence of a trainee: a day or a range of days, a
// number of minutes missed, justified or not.
type Absence struct {
	ID         int64         `json:"id"`
	From       calendar.Date `json:"from"`
	To         calendar.Date `json:"to"`
	Minutes    int           `json:"minutes"`
	Justified  bool          `json:"justified"`
	Reason     string        `json:"reason,omitempty"`
	DeclaredAt time.Time     `json:"declared_at"`
	ActorLabel string        `json:"actor"`
	Files      []File        `json:"files"`
}

// Hours formats the minutes as "3 h 30".
func (x Absence) Hours() string {
	h, m := x.Minutes/60, x.Minutes%60
	if m == 0 {
		return strconv.Itoa(h) + " h"
	}
	return strconv.Itoa(h) + " h " + strconv.Itoa(m)
}

// File is a justificatif (its content is read by Justificatif).
type File struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
}

// Upload is a file sent with an absence.
type Upload struct {
	Name string `json:"name"`
	Data []byte `json:"content"` // base64 in JSON
}

// AbsenceInput declares an absence.
type AbsenceInput struct {
	From      calendar.Date `json:"from"`
	To        calendar.Date `json:"to,omitempty"` // default: From
	Minutes   int           `json:"minutes"`
	Justified bool          `json:"justified"`
	Reason    string        `json:"reason,omitempty"`
	File      *Upload       `json:"justificatif,omitempty"`
}

// AllowedTypes are the content types of justificatifs, as sniffed.
var AllowedTypes = []string{"application/pdf", "image/jpeg", "image/png"}

var absenceRule = kairos.Rule{Roles: ofRoles}

// AddAbsence declares an absence of a trainee of the actor's OF (users with
// the candidatures or assiduite habilitation), with an optional
// justificatif whose type is checked on its content.
func (s *Service) AddAbsence(ctx context.Context, a *kairos.Actor, id int64, in AbsenceInput) (*Absence, error) {
	if err := kairos.Authorize(a, absenceRule); err != nil {
		return nil, err
	}
	if !a.Can(kairos.HabCandidatures) && !a.Can(kairos.HabAssiduite) {
		return nil, kairos.Errorf(kairos.EForbidden, "Déclarer une absence demande l'habilitation « %s » ou « %s ».", kairos.HabCandidatures.Label(), kairos.HabAssiduite.Label())
	}
	if in.To.IsZero() {
		in.To = in.From
	}
	in.Reason = strings.TrimSpace(in.Reason)
	now := s.now()
	f := map[string]string{}
	switch {
	case in.From.IsZero():
		f["from"] = "Indiquez le jour (ou le premier jour) de l'absence."
	case in.To < in.From:
		f["to"] = "Le dernier jour doit suivre le premier."
	case in.To > calendar.DateOf(now):
		f["to"] = "Une absence se déclare une fois constatée : pas de date dans le futur."
	}
	if in.Minutes <= 0 {
		f["hours"] = "Indiquez la durée de l'absence (en heures, par exemple 3,5)."
	} else if !in.From.IsZero() && in.To >= in.From && in.Minutes > (in.To.Sub(in.From)+1)*24*60 {
		f["hours"] = "La durée dépasse la période indiquée."
	}
	if utf8.RuneCountInString(in.Reason) > 300 {
		f["reason"] = "Le motif ne doit pas dépasser 300 caractères."
	}
	var ctype string
	if in.File != nil && len(in.File.Data) > 0 {
		ctype = http.DetectContentType(in.File.Data)
		if i := strings.IndexByte(ctype, ';'); i >= 0 {
			ctype = ctype[:i]
		}
		switch {
		case int64(len(in.File.Data)) > s.maxFile():
			f["justificatif"] = "Le justificatif ne doit pas dépasser " + strconv.FormatInt(s.maxFile()>>20, 10) + " Mo."
		case !contains(AllowedTypes, ctype):
			f["justificatif"] = "Le justificatif doit être un PDF, une image JPEG ou PNG."
		}
		in.File.Name = cleanName(in.File.Name, ctype)
	}
	if len(f) > 0 {
		return nil, kairos.Invalid(f)
	}
	var out *Absence
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		e, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := kairos.OwnedBy(a, e.OrgID, "Inscription"); err != nil {
			return err
		}
		if e.State != StEntree && e.State != StInterrompue && e.State != StSortie {
			return conflict("Une absence se déclare pour un stagiaire entré en formation.")
		}
		if in.From < e.EntryOn || (!e.ExitOn.IsZero() && in.To > e.ExitOn) {
			return invalid("from", "L'absence doit se situer pendant la formation (entrée le "+e.EntryOn.French()+").")
		}
		aid, err := tx.Insert(ctx, `INSERT INTO enrolment_absences (enrolment_id, org_id, from_on, to_on, minutes, justified, reason, declared_at, actor_id, actor_label)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, e.OrgID, int64(in.From), int64(in.To), in.Minutes, boolInt(in.Justified), in.Reason, now, nullID(a.UserID), a.Label())
		if err != nil {
			return err
		}
		out = &Absence{ID: aid, From: in.From, To: in.To, Minutes: in.Minutes, Justified: in.Justified, Reason: in.Reason, DeclaredAt: now, ActorLabel: a.Label(), Files: []File{}}
		if ctype != "" {
			fid, err := tx.Insert(ctx, "INSERT INTO enrolment_files (absence_id, enrolment_id, name, content_type, size, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
				aid, id, in.File.Name, ctype, len(in.File.Data), in.File.Data, now)
			if err != nil {
				return err
			}
			out.Files = append(out.Files, File{ID: fid, Name: in.File.Name, ContentType: ctype, Size: len(in.File.Data)})
		}
		if _, err := tx.Exec(ctx, "UPDATE enrolments SET version = version + 1, updated_at = ? WHERE id = ?", now, id); err != nil {
			return err
		}
		return tx.Record(ctx, store.Change{Action: "enrolment.absence", OrgID: e.OrgID, ObjectType: "enrolment", ObjectID: id, After: out, At: now})
	})
	return out, err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func cleanName(name, ctype string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 32 || r == '"' || r == '/' {
			return '_'
		}
		return r
	}, name)
	if name == "." || name == "" || utf8.RuneCountInString(name) > 120 {
		name = "justificatif"
	}
	ext := map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[ctype]
	if !strings.HasSuffix(strings.ToLower(name), ext) && !(ext == ".jpg" && strings.HasSuffix(strings.ToLower(name), ".jpeg")) {
		name += ext
	}
	return name
}

func (s *Service) absences(ctx context.Context, q store.Querier, id int64) ([]Absence, error) {
	rows, err := q.Query(ctx, `SELECT a.id, a.from_on, a.to_on, a.minutes, a.justified, a.reason, a.declared_at, a.actor_label, COALESCE(f.id, 0), COALESCE(f.name, ''), COALESCE(f.content_type, ''), COALESCE(f.size, 0)
		FROM enrolment_absences a LEFT JOIN enrolment_files f ON f.absence_id = a.id WHERE a.enrolment_id = ? ORDER BY a.from_on, a.id, f.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Absence{}
	for rows.Next() {
		var x Absence
		var j int
		var fl File
		if err := rows.Scan(&x.ID, &x.From, &x.To, &x.Minutes, &j, &x.Reason, &x.DeclaredAt, &x.ActorLabel, &fl.ID, &fl.Name, &fl.ContentType, &fl.Size); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].ID == x.ID {
			out[n-1].Files = append(out[n-1].Files, fl)
			continue
		}
		x.Justified, x.DeclaredAt, x.Files = j == 1, x.DeclaredAt.UTC(), []File{}
		if fl.ID != 0 {
			x.Files = append(x.Files, fl)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// Justificatif returns a justificatif to those who may read its enrolment
// (the OF, the job seeker's counsellors, the job seeker).
func (s *Service) Justificatif(ctx context.Context, a *kairos.Actor, fileID int64) (*File, []byte, error) {
	var f File
	var eid int64
	var data []byte
	err := s.DB.QueryRow(ctx, "SELECT id, enrolment_id, name, content_type, size, data FROM enrolment_files WHERE id = ?", fileID).Scan(&f.ID, &eid, &f.Name, &f.ContentType, &f.Size, &data)
	if err != nil {
		return nil, nil, store.NotFoundIf(err, "Justificatif")
	}
	e, err := s.load(ctx, s.DB, eid)
	if err != nil {
		return nil, nil, err
	}
	if mayRead(a, e) != nil {
		return nil, nil, kairos.NotFound("Justificatif")
	}
	return &f, data, nil
}
