package lheo

import (
	"bufio"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// Encoder writes a LHÉO 2.3 document (namespace Namespace23), one formation
// at a time, in the element order required by the XSD. Each formation is
// validated before it is written; an invalid one is refused with a
// *RecordError and nothing of it is written.
type Encoder struct {
	w       *bufio.Writer
	tree    tree
	started bool
	closed  bool
	err     error // sticky write error
}

// NewEncoder returns an Encoder writing to w. Call Close to finish the
// document.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: bufio.NewWriterSize(w, 64<<10)}
}

const header = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
	`<lheo xmlns="` + Namespace23 + `">` + "\n<offres>\n"

// Encode validates f and writes it.
func (e *Encoder) Encode(f *Formation) error {
	switch {
	case e.err != nil:
		return e.err
	case e.closed:
		return errors.New("lheo: Encode après Close")
	case f == nil:
		return errors.New("lheo: Encode d'une formation nil")
	}
	e.tree.reset()
	b := builder{t: &e.tree}
	root := b.formation(f)
	v := validator{t: &e.tree, strict: true, reasons: b.reasons}
	v.validate(root)
	if len(v.reasons) > 0 {
		return &RecordError{Line: f.Line, Numero: f.Numero, Reasons: v.reasons}
	}
	if !e.started {
		e.started = true
		e.w.WriteString(header)
	}
	e.write(root)
	// bufio.Writer keeps the first write error: an empty Write returns it.
	if _, err := e.w.Write(nil); err != nil {
		e.err = err
	}
	return e.err
}

// Close writes the end of the document and flushes it. It does not close the
// underlying writer. A LHÉO document holds at least one formation: Close
// fails and writes nothing if none was encoded.
func (e *Encoder) Close() error {
	if e.closed || e.err != nil {
		return e.err
	}
	e.closed = true
	if !e.started {
		e.err = errors.New("aucune formation à exporter : un document LHÉO en contient au moins une")
		return e.err
	}
	e.w.WriteString("</offres>\n</lheo>\n")
	if err := e.w.Flush(); err != nil {
		e.err = err
	}
	return e.err
}

func (e *Encoder) write(i int32) {
	n := &e.tree.nodes[i]
	w := e.w
	if n.name == "extras" {
		w.WriteString(string(n.raw))
		w.WriteByte('\n')
		return
	}
	w.WriteByte('<')
	w.WriteString(n.name)
	for _, a := range n.attrs {
		w.WriteByte(' ')
		w.WriteString(a.Name.Local)
		w.WriteString(`="`)
		escapeAttr(w, a.Value)
		w.WriteByte('"')
	}
	w.WriteByte('>')
	if k := schema[n.name].kind; k == kindSequence || k == kindChoice {
		w.WriteByte('\n')
		for c := n.first; c != none; c = e.tree.nodes[c].next {
			e.write(c)
		}
	} else {
		escapeText(w, n.text)
	}
	w.WriteString("</")
	w.WriteString(n.name)
	w.WriteString(">\n")
}

// validXML reports whether s is valid UTF-8 made of XML 1.0 characters.
func validXML(s string) bool {
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			// Either invalid UTF-8 or a literal U+FFFD, which is allowed.
			return utf8.ValidString(s) && validXMLSlow(s)
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r',
			r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return false
		}
	}
	return true
}

func validXMLSlow(s string) bool {
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}

// builder turns a Formation into a tree, in XSD order. Mandatory elements
// are always emitted, so that the validator reports them when empty.
type builder struct {
	t       *tree
	reasons []Reason
}

func (b *builder) el(parent int32, name string) int32 { return b.t.add(parent, name, 0) }

func (b *builder) text(parent int32, name, s string) int32 {
	i := b.el(parent, name)
	b.t.nodes[i].text = s
	return i
}

func (b *builder) opt(parent int32, name, s string) {
	if s != "" {
		b.text(parent, name, s)
	}
}

func (b *builder) texts(parent int32, name string, ss []string) {
	for _, s := range ss {
		b.text(parent, name, s)
	}
}

// wrap emits <wrapper><name>s</name>…</wrapper> when ss is not empty.
func (b *builder) wrap(parent int32, wrapper, name string, ss ...string) {
	if len(ss) == 0 || (len(ss) == 1 && ss[0] == "") {
		return
	}
	b.texts(b.el(parent, wrapper), name, ss)
}

func (b *builder) bool(parent int32, name string, v bool) {
	s := "0"
	if v {
		s = "1"
	}
	b.text(parent, name, s)
}

func (b *builder) optBool(parent int32, name string, v *bool) {
	if v != nil {
		b.bool(parent, name, *v)
	}
}

func (b *builder) int(parent int32, name string, v int) {
	b.text(parent, name, strconv.Itoa(v))
}

func (b *builder) optInt(parent int32, name string, v *int) {
	if v != nil {
		b.int(parent, name, *v)
	}
}

func (b *builder) date(parent int32, name string, d Date) {
	b.text(parent, name, d.String())
}

func (b *builder) codes(parent int32, name string, cs []Code) {
	for _, c := range cs {
		i := b.text(parent, name, c.Value)
		b.attrs(i, Attrs{Ref: c.Ref, Tag: c.Tag})
	}
}

func (b *builder) attrs(i int32, a Attrs, extra ...xml.Attr) {
	var out []xml.Attr
	add := func(name, v string) {
		if v != "" {
			out = append(out, xml.Attr{Name: xml.Name{Local: name}, Value: v})
		}
	}
	add("numero", a.Numero)
	add("ref", a.Ref)
	add("info", a.Info)
	add("tag", a.Tag)
	for _, x := range extra {
		add(x.Name.Local, x.Value)
	}
	for _, x := range out {
		if !validXML(x.Value) {
			b.reasons = append(b.reasons, Reason{Msg: "attribut " + x.Name.Local + " : caractère interdit en XML"})
		}
	}
	b.t.nodes[i].attrs = out
}

func dateAttrs(crea, maj Date) []xml.Attr {
	var out []xml.Attr
	if crea != UnknownDate {
		out = append(out, xml.Attr{Name: xml.Name{Local: "datecrea"}, Value: crea.String()})
	}
	if maj != UnknownDate {
		out = append(out, xml.Attr{Name: xml.Name{Local: "datemaj"}, Value: maj.String()})
	}
	return out
}

func (b *builder) extras(parent int32, xs []RawXML) {
	for _, x := range xs {
		i := b.el(parent, "extras")
		b.t.nodes[i].raw = canonicalExtras(x, func(_ int, format string, args ...any) {
			v := validator{reasons: b.reasons}
			v.addf(0, format, args...)
			b.reasons = v.reasons
		})
	}
}

func (b *builder) formation(f *Formation) int32 {
	r := b.el(none, "formation")
	b.attrs(r, f.Attrs, append(dateAttrs(f.DateCrea, f.DateMaj),
		xml.Attr{Name: xml.Name{Local: "href"}, Value: f.Href},
		xml.Attr{Name: xml.Name{Local: "file"}, Value: f.File})...)

	d := b.el(r, "domaine-formation")
	b.codes(d, "code-FORMACODE", f.Domaine.Formacodes)
	b.codes(d, "code-NSF", f.Domaine.NSF)
	b.codes(d, "code-ROME", f.Domaine.ROME)
	b.extras(d, f.Domaine.Extras)

	b.text(r, "intitule-formation", f.Intitule)
	b.text(r, "objectif-formation", f.Objectif)
	b.text(r, "resultats-attendus", f.ResultatsAttendus)
	b.text(r, "contenu-formation", f.Contenu)
	b.bool(r, "certifiante", f.Certifiante)
	b.contacts(r, "contact-formation", f.Contacts)
	b.text(r, "parcours-de-formation", f.Parcours)
	b.text(r, "code-niveau-entree", f.NiveauEntree)
	b.opt(r, "objectif-general-formation", f.ObjectifGeneral)
	for _, c := range f.Certifications {
		i := b.el(r, "certification")
		b.opt(i, "code-RNCP", c.CodeRNCP)
		b.opt(i, "code-CERTIFINFO", c.CodeCERTIFINFO)
		b.opt(i, "code-RS", c.CodeRS)
		b.opt(i, "code-CPF", c.CodeCPF)
		b.opt(i, "reference-code-FORMACODE", c.ReferenceCodeFORMACODE)
		b.extras(i, c.Extras)
	}
	for _, c := range f.TypesFormation {
		i := b.el(r, "code-type-formation")
		b.opt(i, "code-CPF", c.CodeCPF)
		b.opt(i, "code-ELU", c.CodeELU)
		b.extras(i, c.Extras)
	}
	b.opt(r, "code-niveau-sortie", f.NiveauSortie)
	b.wrap(r, "url-formation", "urlweb", f.URLs...)
	for k := range f.Actions {
		b.action(r, &f.Actions[k])
	}
	b.responsable(r, &f.OrganismeResponsable)
	b.opt(r, "identifiant-module", f.IdentifiantModule)
	b.opt(r, "positionnement", f.Positionnement)
	if len(f.SousModules) > 0 {
		sm := b.el(r, "sous-modules")
		for _, s := range f.SousModules {
			i := b.el(sm, "sous-module")
			b.text(i, "reference-module", s.ReferenceModule)
			b.text(i, "type-module", s.TypeModule)
			b.extras(i, s.Extras)
		}
	}
	b.wrap(r, "modules-prerequis", "reference-module", f.ModulesPrerequis...)
	b.extras(r, f.Extras)
	return r
}

func (b *builder) contacts(parent int32, name string, cs []Contact) {
	for k := range cs {
		c := &cs[k]
		i := b.el(parent, name)
		b.opt(i, "type-contact", c.Type)
		b.coordonnees(i, &c.Coordonnees)
		b.extras(i, c.Extras)
	}
}

func (b *builder) coordonnees(parent int32, c *Coordonnees) {
	i := b.el(parent, "coordonnees")
	b.attrs(i, c.Attrs)
	b.opt(i, "civilite", c.Civilite)
	b.opt(i, "nom", c.Nom)
	b.opt(i, "prenom", c.Prenom)
	b.texts(i, "ligne", c.Lignes)
	if c.Adresse != nil {
		b.adresse(i, c.Adresse)
	}
	b.wrap(i, "telfixe", "numtel", c.TelFixe...)
	b.wrap(i, "portable", "numtel", c.Portable...)
	b.wrap(i, "fax", "numtel", c.Fax...)
	b.opt(i, "courriel", c.Courriel)
	b.wrap(i, "web", "urlweb", c.Web...)
	b.extras(i, c.Extras)
}

func (b *builder) adresse(parent int32, a *Adresse) {
	i := b.el(parent, "adresse")
	b.attrs(i, a.Attrs)
	b.opt(i, "denomination", a.Denomination)
	if len(a.Lignes) == 0 {
		b.text(i, "ligne", "") // reported as empty by the validator
	}
	b.texts(i, "ligne", a.Lignes)
	b.text(i, "codepostal", a.CodePostal)
	b.text(i, "ville", a.Ville)
	b.opt(i, "departement", a.Departement)
	b.opt(i, "code-INSEE-commune", a.CodeINSEECommune)
	b.opt(i, "code-INSEE-canton", a.CodeINSEECanton)
	b.opt(i, "region", a.Region)
	b.opt(i, "pays", a.Pays)
	if g := a.Geolocalisation; g != nil {
		gi := b.el(i, "geolocalisation")
		b.text(gi, "latitude", g.Latitude)
		b.text(gi, "longitude", g.Longitude)
		b.extras(gi, g.Extras)
	}
	b.extras(i, a.Extras)
}

func (b *builder) periode(parent int32, p Periode) {
	i := b.el(parent, "periode")
	b.date(i, "debut", p.Debut)
	b.date(i, "fin", p.Fin)
}

func (b *builder) referenceCertification(parent int32, r *ReferenceCertification) {
	i := b.el(parent, "reference-certification")
	b.opt(i, "reference-code-RNCP", r.CodeRNCP)
	b.opt(i, "reference-code-CERTIFINFO", r.CodeCERTIFINFO)
	b.opt(i, "reference-code-RS", r.CodeRS)
	b.extras(i, r.Extras)
}

func (b *builder) action(parent int32, a *Action) {
	r := b.el(parent, "action")
	b.attrs(r, a.Attrs, dateAttrs(a.DateCrea, a.DateMaj)...)
	b.text(r, "rythme-formation", a.Rythme)
	b.codes(r, "code-public-vise", a.PublicsVises)
	if len(a.PublicsVises) == 0 {
		b.text(r, "code-public-vise", "") // reported as empty by the validator
	}
	b.opt(r, "info-public-vise", a.InfoPublicVise)
	b.bool(r, "niveau-entree-obligatoire", a.NiveauEntreeObligatoire)
	b.text(r, "modalites-alternance", a.ModalitesAlternance)
	b.text(r, "modalites-enseignement", a.ModalitesEnseignement)
	b.text(r, "conditions-specifiques", a.ConditionsSpecifiques)
	b.bool(r, "prise-en-charge-frais-possible", a.PriseEnChargeFraisPossible)
	for k := range a.LieuxDeFormation {
		l := &a.LieuxDeFormation[k]
		i := b.el(r, "lieu-de-formation")
		b.attrs(i, l.Attrs)
		b.wrap(i, "SIRET-lieu-formation", "SIRET", l.SIRET)
		b.wrap(i, "code-UAI-lieu-formation", "code-UAI", l.CodeUAI)
		b.coordonnees(i, &l.Coordonnees)
		b.extras(i, l.Extras)
	}
	b.text(r, "modalites-entrees-sorties", a.ModalitesEntreesSorties)
	b.wrap(r, "url-action", "urlweb", a.URLs...)
	b.optInt(r, "duree-cycle", a.DureeCycle)
	for k := range a.Sessions {
		b.session(r, &a.Sessions[k])
	}
	if a.AdresseInformation != nil {
		b.adresse(b.el(r, "adresse-information"), a.AdresseInformation)
	}
	for _, d := range a.DatesInformation {
		b.date(b.el(r, "date-information"), "date", d)
	}
	b.opt(r, "restauration", a.Restauration)
	b.opt(r, "hebergement", a.Hebergement)
	b.opt(r, "transport", a.Transport)
	b.opt(r, "acces-handicapes", a.AccesHandicapes)
	b.texts(r, "langue-formation", a.Langues)
	b.opt(r, "modalites-recrutement", a.ModalitesRecrutement)
	b.opt(r, "modalites-pedagogiques", a.ModalitesPedagogiques)
	b.codes(r, "code-modalite-pedagogique", a.ModalitesPedagogiquesCodes)
	for _, e := range a.Equipements {
		i := b.el(r, "equipement")
		b.text(i, "type-equipement", e.Type)
		b.optInt(i, "cout-indicatif-equipement", e.CoutIndicatif)
		b.opt(i, "commentaire", e.Commentaire)
		b.extras(i, e.Extras)
	}
	b.opt(r, "frais-restants", a.FraisRestants)
	b.opt(r, "code-perimetre-recrutement", a.CodePerimetreRecrutement)
	b.opt(r, "infos-perimetre-recrutement", a.InfosPerimetreRecrutement)
	b.opt(r, "prix-horaire-TTC", string(a.PrixHoraireTTC))
	b.opt(r, "prix-total-TTC", string(a.PrixTotalTTC))
	b.opt(r, "duree-indicative", a.DureeIndicative)
	b.optInt(r, "nombre-heures-centre", a.NombreHeuresCentre)
	b.optInt(r, "nombre-heures-entreprise", a.NombreHeuresEntreprise)
	b.optInt(r, "nombre-heures-total", a.NombreHeuresTotal)
	b.opt(r, "detail-conditions-prise-en-charge", a.DetailConditionsPriseEnCharge)
	b.optBool(r, "conventionnement", a.Conventionnement)
	b.optInt(r, "duree-conventionnee", a.DureeConventionnee)
	for k := range a.OrganismesFormateurs {
		o := &a.OrganismesFormateurs[k]
		i := b.el(r, "organisme-formateur")
		b.attrs(i, o.Attrs)
		b.text(b.el(i, "SIRET-formateur"), "SIRET", o.SIRET)
		b.text(i, "raison-sociale-formateur", o.RaisonSociale)
		b.contacts(i, "contact-formateur", o.Contacts)
		b.potentiel(i, o.Potentiel)
		b.wrap(i, "code-UAI-formateur", "code-UAI", o.CodeUAI)
		for k := range o.ReferencesCertification {
			b.referenceCertification(i, &o.ReferencesCertification[k])
		}
		b.extras(i, o.Extras)
	}
	for _, fi := range a.Financeurs {
		i := b.el(r, "organisme-financeur")
		b.text(i, "code-financeur", fi.Code)
		b.optInt(i, "nb-places-financees", fi.NbPlacesFinancees)
		b.extras(i, fi.Extras)
	}
	for _, e := range a.Enseignements {
		i := b.el(r, "enseignement")
		b.text(i, "libelle-enseignement", e.Libelle)
		b.text(i, "type-enseignement", e.Type)
		b.bool(i, "obligatoire", e.Obligatoire)
		b.opt(i, "commentaire", e.Commentaire)
		b.extras(i, e.Extras)
	}
	b.extras(r, a.Extras)
}

func (b *builder) potentiel(parent int32, cs []Code) {
	if len(cs) > 0 {
		b.codes(b.el(parent, "potentiel"), "code-FORMACODE", cs)
	}
}

func (b *builder) session(parent int32, s *Session) {
	r := b.el(parent, "session")
	b.attrs(r, s.Attrs, dateAttrs(s.DateCrea, s.DateMaj)...)
	b.periode(r, s.Periode)
	b.adresse(b.el(r, "adresse-inscription"), &s.AdresseInscription)
	b.opt(r, "modalites-inscription", s.ModalitesInscription)
	if s.PeriodeInscription != nil {
		b.periode(b.el(r, "periode-inscription"), *s.PeriodeInscription)
	}
	b.opt(r, "etat-recrutement", s.EtatRecrutement)
	for k := range s.Recrutements {
		x := &s.Recrutements[k]
		i := b.el(r, "recrutement")
		b.text(i, "modalite-recrutement", x.Modalite)
		b.opt(i, "code-perimetre-recrutement", x.CodePerimetre)
		b.opt(i, "infos-perimetre-recrutement", x.InfosPerimetre)
		b.optBool(i, "a-distance", x.ADistance)
		if x.Adresse != nil {
			b.adresse(i, x.Adresse)
		}
		b.opt(i, "urlweb", x.URL)
		b.optInt(i, "nb-places", x.NbPlaces)
		if x.Periode != nil {
			b.periode(i, *x.Periode)
		}
		b.opt(i, "heure-debut", x.HeureDebut)
		b.opt(i, "heure-fin", x.HeureFin)
		b.opt(i, "commentaire", x.Commentaire)
		b.extras(i, x.Extras)
	}
	b.wrap(r, "url-session", "urlweb", s.URLs...)
	b.contacts(r, "contact-session", s.Contacts)
	for k := range s.ReferencesCertification {
		b.referenceCertification(r, &s.ReferencesCertification[k])
	}
	for k := range s.BlocsCompetences {
		x := &s.BlocsCompetences[k]
		i := b.el(r, "blocs-competences")
		b.text(i, "validation-blocs", x.Validation)
		b.referenceCertification(i, &x.ReferenceCertification)
		for _, bl := range x.Blocs {
			j := b.el(i, "bloc-competences")
			b.text(j, "libelle-bloc", bl.Libelle)
			b.text(j, "code-bloc", bl.Code)
			b.extras(j, bl.Extras)
		}
		b.extras(i, x.Extras)
	}
	for k := range s.Cycles {
		x := &s.Cycles[k]
		i := b.el(r, "cycle")
		b.text(i, "type-cycle", x.Type)
		for _, y := range x.Annees {
			b.int(i, "annee-cycle", y)
		}
		b.optInt(i, "effectif-minimal", x.EffectifMinimal)
		b.optInt(i, "capacite-simultanee", x.CapaciteSimultanee)
		b.optInt(i, "capacite-cumulee", x.CapaciteCumulee)
		if al := x.Alternance; al != nil {
			j := b.el(i, "alternance")
			b.text(j, "type-alternance", al.Type)
			if ry := al.Rythme; ry != nil {
				k := b.el(j, "rythme-alternance")
				b.text(k, "unite-rythme-alternance", ry.Unite)
				b.int(k, "unites-entreprise", ry.UnitesEntreprise)
				b.int(k, "unites-centre", ry.UnitesCentre)
				b.extras(k, ry.Extras)
			}
			b.extras(j, al.Extras)
		}
		b.extras(i, x.Extras)
	}
	b.extras(r, s.Extras)
}

func (b *builder) responsable(parent int32, o *OrganismeFormationResponsable) {
	r := b.el(parent, "organisme-formation-responsable")
	b.attrs(r, o.Attrs,
		xml.Attr{Name: xml.Name{Local: "href"}, Value: o.Href},
		xml.Attr{Name: xml.Name{Local: "file"}, Value: o.File})
	b.text(r, "numero-activite", o.NumeroActivite)
	b.text(b.el(r, "SIRET-organisme-formation"), "SIRET", o.SIRET)
	b.text(r, "nom-organisme", o.Nom)
	b.text(r, "raison-sociale", o.RaisonSociale)
	b.coordonnees(b.el(r, "coordonnees-organisme"), &o.Coordonnees)
	b.contacts(r, "contact-organisme", o.Contacts)
	b.opt(r, "renseignements-specifiques", o.RenseignementsSpecifiques)
	b.potentiel(r, o.Potentiel)
	b.wrap(r, "code-UAI-organisme-formation", "code-UAI", o.CodeUAI)
	b.extras(r, o.Extras)
}
