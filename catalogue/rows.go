package catalogue

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"strconv"
	"strings"

	"kairos/lheo"
)

// sessionRow is the stored row of one session: its identity and the columns
// search, filters and the OF's view read.
type sessionRow struct {
	id          int64
	skey, akey  string
	ahash       string
	numero      string
	intitule    string
	organisme   string
	siret       string
	formacodes  string // space-separated
	romes       string // space-separated
	region      string
	departement string
	ville       string
	debut, fin  int64 // AAAAMMJJ
	etat        string
	certifiante int
	modalite    string // modalites-enseignement code
	hash        string
}

// prepared is a decoded formation made ready for storage, or a rejected record.
type prepared struct {
	rec      *lheo.RecordError
	line     int
	numero   string
	fkey     string
	datemaj  int64
	doc      []byte // the formation as stored JSON (compactDoc), lines cleared
	hash     string
	rawHash  string // lheo.Decoder.Digest of the record
	search   string // folded text for full-text search
	actions  []string
	ahashes  []string
	sessions []sessionRow
}

func hash64(parts ...[]byte) string {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write(p)
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 16)
}

// keyer gives formations keys unique within one document.
type keyer struct{ seen map[string]int }

func uniq(seen map[string]int, k string) string {
	seen[k]++
	if n := seen[k]; n > 1 {
		return k + "#" + strconv.Itoa(n)
	}
	return k
}

func (k *keyer) formationKey(f *lheo.Formation) string {
	if k.seen == nil {
		k.seen = map[string]int{}
	}
	// A repeated numero keeps its key: the later occurrence replaces the
	// earlier one (see importRun.applyOne). Formations without a numero are
	// told apart by their occurrence.
	key := strings.TrimSpace(f.Numero)
	if key != "" {
		return key
	}
	return uniq(k.seen, "sans-numero:"+hash64([]byte(f.Intitule), []byte(f.OrganismeResponsable.SIRET)))
}

// prepare derives the stored form of f (keyed fkey).
func prepare(f *lheo.Formation, fkey string) (*prepared, error) {
	p := &prepared{line: f.Line, numero: f.Numero, fkey: fkey, datemaj: int64(f.DateMaj)}
	f.Line = 0
	for i := range f.Actions {
		f.Actions[i].Line = 0
		for j := range f.Actions[i].Sessions {
			f.Actions[i].Sessions[j].Line = 0
		}
	}
	docs, err := marshalDocs(f)
	if err != nil {
		return nil, err
	}
	// The hash is that of the whole JSON; the stored document leaves out
	// what decoding does not miss (compactDoc), in the decoding workers.
	p.hash = hash64(docs.formation)
	p.doc = compactDoc(docs.formation)

	var text strings.Builder
	for _, t := range []string{f.Intitule, f.Objectif, f.ResultatsAttendus, f.Contenu, f.OrganismeResponsable.Nom, f.OrganismeResponsable.RaisonSociale} {
		if !lheo.IsPlaceholder(t) {
			text.WriteString(Fold(lheo.PlainText(t)))
			text.WriteByte(' ')
		}
	}

	org := f.OrganismeResponsable.Nom
	if lheo.IsPlaceholder(org) {
		org = f.OrganismeResponsable.RaisonSociale
	}
	var fc, rome []string
	for _, c := range f.Domaine.Formacodes {
		fc = append(fc, strings.TrimSpace(c.Value))
	}
	for _, c := range f.Domaine.ROME {
		rome = append(rome, strings.TrimSpace(c.Value))
	}
	base := sessionRow{
		intitule:    f.Intitule,
		organisme:   org,
		siret:       strings.TrimSpace(f.OrganismeResponsable.SIRET),
		formacodes:  strings.Join(fc, " "),
		romes:       strings.Join(rome, " "),
		certifiante: b2i(f.Certifiante),
	}
	fbase := []byte(base.intitule + "\x00" + base.organisme + "\x00" + base.siret + "\x00" + base.formacodes + "\x00" + base.romes + "\x00" + strconv.Itoa(base.certifiante))
	aseen := map[string]int{}
	seenCity := map[string]bool{}
	for ai := range f.Actions {
		a := &f.Actions[ai]
		an := strings.TrimSpace(a.Numero)
		if an == "" {
			an = "a" + strconv.Itoa(ai+1)
		}
		akey := fkey + "/" + uniq(aseen, an)
		ahash := hash64(docs.actions[ai])
		p.actions = append(p.actions, akey)
		p.ahashes = append(p.ahashes, ahash)
		place := mainPlace(a)
		sseen := map[string]int{}
		for si := range a.Sessions {
			s := &a.Sessions[si]
			sn := strings.TrimSpace(s.Numero)
			if sn == "" {
				sn = "s" + strconv.Itoa(si+1)
			}
			r := base
			r.akey, r.ahash = akey, ahash
			r.skey = akey + "/" + uniq(sseen, sn)
			r.numero = s.Numero
			addr := place
			if addr == nil || (addr.Departement == "" && addr.Region == "") {
				addr = &s.AdresseInscription
			}
			r.region, r.departement, r.ville = strings.TrimSpace(addr.Region), strings.TrimSpace(addr.Departement), strings.TrimSpace(addr.Ville)
			if r.ville != "" && !seenCity[r.ville] {
				seenCity[r.ville] = true
				text.WriteString(Fold(r.ville))
				text.WriteByte(' ')
			}
			r.debut, r.fin = int64(s.Periode.Debut), int64(s.Periode.Fin)
			r.etat = s.EtatRecrutement
			r.modalite = a.ModalitesEnseignement
			r.hash = hash64(fbase, []byte(ahash), docs.sessions[ai][si], []byte(r.region+"\x00"+r.departement+"\x00"+r.ville))
			p.sessions = append(p.sessions, r)
		}
	}
	p.search = text.String()
	return p, nil
}

// formationDocs are the JSON documents of a formation: the whole
// formation, each action without its sessions, each session.
type formationDocs struct {
	formation []byte
	actions   [][]byte
	sessions  [][][]byte
}

// marshalDocs encodes each session once, each action without its sessions
// once and the formation without its actions once, and puts the formation's
// document together from them: the bytes of json.Marshal(f), for a third of
// the work of encoding them separately (TestMarshalDocsIsMarshal).
func marshalDocs(f *lheo.Formation) (*formationDocs, error) {
	d := &formationDocs{actions: make([][]byte, len(f.Actions)), sessions: make([][][]byte, len(f.Actions))}
	var err error
	for ai := range f.Actions {
		a := &f.Actions[ai]
		d.sessions[ai] = make([][]byte, len(a.Sessions))
		for si := range a.Sessions {
			if d.sessions[ai][si], err = json.Marshal(&a.Sessions[si]); err != nil {
				return nil, err
			}
		}
		sessions := a.Sessions
		a.Sessions = nil
		d.actions[ai], err = json.Marshal(a)
		a.Sessions = sessions
		if err != nil {
			return nil, err
		}
	}
	actions := f.Actions
	f.Actions = nil
	doc, err := json.Marshal(f)
	f.Actions = actions
	if err != nil {
		return nil, err
	}
	if actions == nil {
		d.formation = doc
		return d, nil
	}
	size := len(doc)
	for ai := range d.actions {
		size += len(d.actions[ai]) + 1
		for _, s := range d.sessions[ai] {
			size += len(s) + 1
		}
	}
	out, ok := spliceArray(make([]byte, 0, size), doc, `"Actions":null`, len(actions), func(out []byte, ai int) ([]byte, bool) {
		if actions[ai].Sessions == nil {
			return append(out, d.actions[ai]...), true
		}
		return spliceArray(out, d.actions[ai], `"Sessions":null`, len(d.sessions[ai]), func(out []byte, si int) ([]byte, bool) {
			return append(out, d.sessions[ai][si]...), true
		})
	})
	if !ok {
		// A field of the same name elsewhere: encode the whole formation.
		if d.formation, err = json.Marshal(f); err != nil {
			return nil, err
		}
		return d, nil
	}
	d.formation = out
	return d, nil
}

// spliceArray appends to out the object doc whose field encoded as key
// (`"Name":null`, found exactly once) becomes an array of n elements
// appended by elem.
func spliceArray(out, doc []byte, key string, n int, elem func([]byte, int) ([]byte, bool)) ([]byte, bool) {
	k := []byte(key)
	i := bytes.Index(doc, k)
	if i < 0 || bytes.Index(doc[i+len(k):], k) >= 0 {
		return nil, false
	}
	field := len(k) - len("null")
	out = append(out, doc[:i+field]...)
	out = append(out, '[')
	for e := range n {
		if e > 0 {
			out = append(out, ',')
		}
		var ok bool
		if out, ok = elem(out, e); !ok {
			return nil, false
		}
	}
	out = append(out, ']')
	return append(out, doc[i+len(k):]...), true
}

func mainPlace(a *lheo.Action) *lheo.Adresse {
	var first *lheo.Adresse
	for i := range a.LieuxDeFormation {
		ad := a.LieuxDeFormation[i].Coordonnees.Adresse
		if ad == nil {
			continue
		}
		if a.LieuxDeFormation[i].Tag == "principal" {
			return ad
		}
		if first == nil {
			first = ad
		}
	}
	return first
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
