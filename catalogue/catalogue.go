// Package catalogue is the training offer of Kairos, received from the
// Carif-Oref in LHÉO (DOMAIN §4): imports with their reports, idempotence and
// withdrawal, export, search, and the OF's view of its own sessions with their
// visibility for prescription.
//
// Storage: a formation is kept whole (the lheo.Formation as JSON, for the
// export and the detail pages) and each of its sessions has a row with the
// columns search and filters need. The identity of a formation is its source
// (the import channel, e.g. one Carif-Oref) and its numero; the identity of a
// session is the formation's, the action's numero and the session's numero
// (with the position instead when a numero is missing, and an occurrence
// suffix when an action or session numero repeats, since real data does not
// guarantee uniqueness). A formation numero repeated in one file is one
// formation: the later occurrence replaces the earlier one.
package catalogue

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"kairos"
	"kairos/store"
)

// Service is the catalogue capability.
type Service struct {
	DB      *store.DB
	RankCap int          // formations beyond which a search is not ranked by relevance; 0: RankCap
	Trade   TradeChecker // adhesion check for visibility; nil: OrgSIRETChecker on DB
	Clock   kairos.Clock
	Log     *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return s.DB.Now()
}

func (s *Service) trade() TradeChecker {
	if s.Trade != nil {
		return s.Trade
	}
	return OrgSIRETChecker{DB: s.DB}
}

// TradeChecker tells whether the organisme responsable with this SIRET may
// trade on Kairos (an OF with a valid adhesion). When it may not, reason says
// why, in French.
type TradeChecker interface {
	CanTradeSIRET(ctx context.Context, siret string) (ok bool, reason string, err error)
}

// OrgSIRETChecker is the TradeChecker of this branch: an OF organisation
// with that SIRET exists on Kairos. (The adhesion capability provides the
// real check, with the validity of the adhesion.)
type OrgSIRETChecker struct{ DB *store.DB }

// CanTradeSIRET implements TradeChecker.
func (c OrgSIRETChecker) CanTradeSIRET(ctx context.Context, siret string) (bool, string, error) {
	var n int
	if err := c.DB.QueryRow(ctx, "SELECT COUNT(*) FROM organisations WHERE kind = ? AND siret = ?", kairos.OrgOF, siret).Scan(&n); err != nil {
		return false, "", err
	}
	if n == 0 {
		return false, "Aucun organisme de formation inscrit sur Kairos n'a ce SIRET.", nil
	}
	return true, "", nil
}

// Fold prepares a text for search: lower case, French accents and
// ligatures removed, anything but letters and digits turned into spaces.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		if f, ok := foldMap[r]; ok {
			b.WriteString(f)
			space = false
			continue
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			space = false
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 32)
			space = false
		case r > 127 && isLetter(r):
			b.WriteString(strings.ToLower(string(r)))
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimRight(b.String(), " ")
}

func isLetter(r rune) bool { return strings.ToLower(string(r)) != strings.ToUpper(string(r)) }

var foldMap = func() map[rune]string {
	m := map[rune]string{}
	for from, to := range map[string]string{
		"àâäáãåÀÂÄÁÃÅ": "a", "çÇ": "c", "éèêëÉÈÊË": "e", "íìîïÍÌÎÏ": "i", "ñÑ": "n",
		"óòôöõÓÒÔÖÕ": "o", "úùûüÚÙÛÜ": "u", "ýÿÝŸ": "y",
	} {
		for _, r := range from {
			m[r] = to
		}
	}
	m['œ'], m['Œ'], m['æ'], m['Æ'] = "oe", "oe", "ae", "ae"
	return m
}()
