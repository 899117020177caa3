package lheo

// Mapping of a validated tree to the domain types. The tree has been checked
// by the validator, so cardinalities, codes, integers and dates are known to
// be right here.

type mapper struct{ t *tree }

func decodeFormation(t *tree, root int32) *Formation {
	m := mapper{t}
	n := m.n(root)
	f := &Formation{
		Attrs:    m.attrs(root),
		DateCrea: m.dateAttr(root, "datecrea"),
		DateMaj:  m.dateAttr(root, "datemaj"),
		Href:     t.attr(root, "href"),
		File:     t.attr(root, "file"),
		Line:     int(n.line),
	}
	for c := n.first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "domaine-formation":
			f.Domaine = m.domaine(c)
		case "intitule-formation":
			f.Intitule = cn.text
		case "objectif-formation":
			f.Objectif = cn.text
		case "resultats-attendus":
			f.ResultatsAttendus = cn.text
		case "contenu-formation":
			f.Contenu = cn.text
		case "certifiante":
			f.Certifiante = m.bool(c)
		case "contact-formation":
			f.Contacts = append(f.Contacts, m.contact(c))
		case "parcours-de-formation":
			f.Parcours = m.code(c)
		case "code-niveau-entree":
			f.NiveauEntree = m.code(c)
		case "objectif-general-formation":
			f.ObjectifGeneral = m.code(c)
		case "certification":
			f.Certifications = append(f.Certifications, m.certification(c))
		case "code-type-formation":
			f.TypesFormation = append(f.TypesFormation, m.codeTypeFormation(c))
		case "code-niveau-sortie":
			f.NiveauSortie = m.code(c)
		case "url-formation":
			f.URLs = m.texts(c)
		case "action":
			f.Actions = append(f.Actions, m.action(c))
		case "organisme-formation-responsable":
			f.OrganismeResponsable = m.organismeResponsable(c)
		case "identifiant-module":
			f.IdentifiantModule = cn.text
		case "positionnement":
			f.Positionnement = m.code(c)
		case "sous-modules":
			for s := cn.first; s != none; s = m.n(s).next {
				if m.n(s).name == "sous-module" {
					f.SousModules = append(f.SousModules, m.sousModule(s))
				}
			}
		case "modules-prerequis":
			f.ModulesPrerequis = m.texts(c)
		case "extras":
			f.Extras = append(f.Extras, cn.raw)
		}
	}
	return f
}

func (m mapper) n(i int32) *node { return &m.t.nodes[i] }

func (m mapper) attrs(i int32) Attrs {
	var a Attrs
	for _, x := range m.n(i).attrs {
		switch x.Name.Local {
		case "numero":
			a.Numero = x.Value
		case "ref":
			a.Ref = x.Value
		case "info":
			a.Info = x.Value
		case "tag":
			a.Tag = x.Value
		}
	}
	return a
}

func (m mapper) dateAttr(i int32, name string) Date {
	d, _ := parseDateAttr(m.t.attr(i, name))
	return d
}

func (m mapper) code(i int32) string { return trimSpace(m.n(i).text) }

func (m mapper) bool(i int32) bool { return m.code(i) == "1" }

func (m mapper) boolp(i int32) *bool {
	b := m.bool(i)
	return &b
}

func (m mapper) int(i int32) int {
	v, _ := parseInt(m.n(i).text)
	return v
}

func (m mapper) intp(i int32) *int {
	v := m.int(i)
	return &v
}

func (m mapper) date(i int32) Date {
	d, _ := ParseDate(m.n(i).text)
	return d
}

// ref returns an open-referential code with its attributes.
func (m mapper) ref(i int32) Code {
	a := m.attrs(i)
	return Code{Value: m.code(i), Ref: a.Ref, Tag: a.Tag}
}

// texts returns the text of the children of i (urlweb, numtel,
// reference-module…).
func (m mapper) texts(i int32) []string {
	var out []string
	for c := m.n(i).first; c != none; c = m.n(c).next {
		if m.n(c).name != "extras" {
			out = append(out, m.n(c).text)
		}
	}
	return out
}

// refs returns the codes of the children of i (potentiel).
func (m mapper) refs(i int32) []Code {
	var out []Code
	for c := m.n(i).first; c != none; c = m.n(c).next {
		if m.n(c).name != "extras" {
			out = append(out, m.ref(c))
		}
	}
	return out
}

// childText returns the text of the child named name of i (SIRET of
// SIRET-formateur, code-UAI of code-UAI-formateur…).
func (m mapper) childText(i int32, name string) string {
	if c := m.child(i, name); c != none {
		return m.n(c).text
	}
	return ""
}

func (m mapper) child(i int32, name string) int32 {
	for c := m.n(i).first; c != none; c = m.n(c).next {
		if m.n(c).name == name {
			return c
		}
	}
	return none
}

func (m mapper) domaine(i int32) DomaineFormation {
	var d DomaineFormation
	for c := m.n(i).first; c != none; c = m.n(c).next {
		switch m.n(c).name {
		case "code-FORMACODE":
			d.Formacodes = append(d.Formacodes, m.ref(c))
		case "code-NSF":
			d.NSF = append(d.NSF, m.ref(c))
		case "code-ROME":
			d.ROME = append(d.ROME, m.ref(c))
		case "extras":
			d.Extras = append(d.Extras, m.n(c).raw)
		}
	}
	return d
}

func (m mapper) certification(i int32) Certification {
	var x Certification
	for c := m.n(i).first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "code-RNCP":
			x.CodeRNCP = cn.text
		case "code-CERTIFINFO":
			x.CodeCERTIFINFO = cn.text
		case "code-RS":
			x.CodeRS = cn.text
		case "code-CPF":
			x.CodeCPF = cn.text
		case "reference-code-FORMACODE":
			x.ReferenceCodeFORMACODE = cn.text
		case "extras":
			x.Extras = append(x.Extras, cn.raw)
		}
	}
	return x
}

func (m mapper) codeTypeFormation(i int32) CodeTypeFormation {
	var x CodeTypeFormation
	for c := m.n(i).first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "code-CPF":
			x.CodeCPF = cn.text
		case "code-ELU":
			x.CodeELU = cn.text
		case "extras":
			x.Extras = append(x.Extras, cn.raw)
		}
	}
	return x
}

func (m mapper) referenceCertification(i int32) ReferenceCertification {
	var x ReferenceCertification
	for c := m.n(i).first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "reference-code-RNCP":
			x.CodeRNCP = cn.text
		case "reference-code-CERTIFINFO":
			x.CodeCERTIFINFO = cn.text
		case "reference-code-RS":
			x.CodeRS = cn.text
		case "extras":
			x.Extras = append(x.Extras, cn.raw)
		}
	}
	return x
}

func (m mapper) sousModule(i int32) SousModule {
	var x SousModule
	for c := m.n(i).first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "reference-module":
			x.ReferenceModule = cn.text
		case "type-module":
			x.TypeModule = m.code(c)
		case "extras":
			x.Extras = append(x.Extras, cn.raw)
		}
	}
	return x
}

func (m mapper) contact(i int32) Contact {
	var x Contact
	for c := m.n(i).first; c != none; c = m.n(c).next {
		switch m.n(c).name {
		case "type-contact":
			x.Type = m.code(c)
		case "coordonnees":
			x.Coordonnees = m.coordonnees(c)
		case "extras":
			x.Extras = append(x.Extras, m.n(c).raw)
		}
	}
	return x
}

func (m mapper) coordonnees(i int32) Coordonnees {
	x := Coordonnees{Attrs: m.attrs(i)}
	for c := m.n(i).first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "civilite":
			x.Civilite = cn.text
		case "nom":
			x.Nom = cn.text
		case "prenom":
			x.Prenom = cn.text
		case "ligne":
			x.Lignes = append(x.Lignes, cn.text)
		case "adresse":
			a := m.adresse(c)
			x.Adresse = &a
		case "telfixe":
			x.TelFixe = m.texts(c)
		case "portable":
			x.Portable = m.texts(c)
		case "fax":
			x.Fax = m.texts(c)
		case "courriel":
			x.Courriel = cn.text
		case "web":
			x.Web = m.texts(c)
		case "extras":
			x.Extras = append(x.Extras, cn.raw)
		}
	}
	return x
}

func (m mapper) adresse(i int32) Adresse {
	x := Adresse{Attrs: m.attrs(i)}
	for c := m.n(i).first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "denomination":
			x.Denomination = cn.text
		case "ligne":
			x.Lignes = append(x.Lignes, cn.text)
		case "codepostal":
			x.CodePostal = cn.text
		case "ville":
			x.Ville = cn.text
		case "departement":
			x.Departement = cn.text
		case "code-INSEE-commune":
			x.CodeINSEECommune = cn.text
		case "code-INSEE-canton":
			x.CodeINSEECanton = cn.text
		case "region":
			x.Region = cn.text
		case "pays":
			x.Pays = cn.text
		case "geolocalisation":
			g := Geolocalisation{
				Latitude:  m.childText(c, "latitude"),
				Longitude: m.childText(c, "longitude"),
			}
			for e := cn.first; e != none; e = m.n(e).next {
				if m.n(e).name == "extras" {
					g.Extras = append(g.Extras, m.n(e).raw)
				}
			}
			x.Geolocalisation = &g
		case "extras":
			x.Extras = append(x.Extras, cn.raw)
		}
	}
	return x
}

func (m mapper) periode(i int32) Periode {
	var p Periode
	for c := m.n(i).first; c != none; c = m.n(c).next {
		switch m.n(c).name {
		case "debut":
			p.Debut = m.date(c)
		case "fin":
			p.Fin = m.date(c)
		}
	}
	return p
}

func (m mapper) action(i int32) Action {
	n := m.n(i)
	a := Action{
		Attrs:    m.attrs(i),
		DateCrea: m.dateAttr(i, "datecrea"),
		DateMaj:  m.dateAttr(i, "datemaj"),
		Line:     int(n.line),
	}
	for c := n.first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "rythme-formation":
			a.Rythme = cn.text
		case "code-public-vise":
			a.PublicsVises = append(a.PublicsVises, m.ref(c))
		case "info-public-vise":
			a.InfoPublicVise = cn.text
		case "niveau-entree-obligatoire":
			a.NiveauEntreeObligatoire = m.bool(c)
		case "modalites-alternance":
			a.ModalitesAlternance = cn.text
		case "modalites-enseignement":
			a.ModalitesEnseignement = m.code(c)
		case "conditions-specifiques":
			a.ConditionsSpecifiques = cn.text
		case "prise-en-charge-frais-possible":
			a.PriseEnChargeFraisPossible = m.bool(c)
		case "lieu-de-formation":
			a.LieuxDeFormation = append(a.LieuxDeFormation, m.lieu(c))
		case "modalites-entrees-sorties":
			a.ModalitesEntreesSorties = m.code(c)
		case "url-action":
			a.URLs = m.texts(c)
		case "duree-cycle":
			a.DureeCycle = m.intp(c)
		case "session":
			a.Sessions = append(a.Sessions, m.session(c))
		case "adresse-information":
			if ad := m.child(c, "adresse"); ad != none {
				x := m.adresse(ad)
				a.AdresseInformation = &x
			}
		case "date-information":
			if d := m.child(c, "date"); d != none {
				a.DatesInformation = append(a.DatesInformation, m.date(d))
			}
		case "restauration":
			a.Restauration = cn.text
		case "hebergement":
			a.Hebergement = cn.text
		case "transport":
			a.Transport = cn.text
		case "acces-handicapes":
			a.AccesHandicapes = cn.text
		case "langue-formation":
			a.Langues = append(a.Langues, cn.text)
		case "modalites-recrutement":
			a.ModalitesRecrutement = cn.text
		case "modalites-pedagogiques":
			a.ModalitesPedagogiques = cn.text
		case "code-modalite-pedagogique":
			a.ModalitesPedagogiquesCodes = append(a.ModalitesPedagogiquesCodes, m.ref(c))
		case "equipement":
			a.Equipements = append(a.Equipements, m.equipement(c))
		case "frais-restants":
			a.FraisRestants = cn.text
		case "code-perimetre-recrutement":
			a.CodePerimetreRecrutement = m.code(c)
		case "infos-perimetre-recrutement":
			a.InfosPerimetreRecrutement = cn.text
		case "prix-horaire-TTC":
			a.PrixHoraireTTC = Prix(cn.text)
		case "prix-total-TTC":
			a.PrixTotalTTC = Prix(cn.text)
		case "duree-indicative":
			a.DureeIndicative = cn.text
		case "nombre-heures-centre":
			a.NombreHeuresCentre = m.intp(c)
		case "nombre-heures-entreprise":
			a.NombreHeuresEntreprise = m.intp(c)
		case "nombre-heures-total":
			a.NombreHeuresTotal = m.intp(c)
		case "detail-conditions-prise-en-charge":
			a.DetailConditionsPriseEnCharge = cn.text
		case "conventionnement":
			a.Conventionnement = m.boolp(c)
		case "duree-conventionnee":
			a.DureeConventionnee = m.intp(c)
		case "organisme-formateur":
			a.OrganismesFormateurs = append(a.OrganismesFormateurs, m.formateur(c))
		case "organisme-financeur":
			a.Financeurs = append(a.Financeurs, m.financeur(c))
		case "enseignement":
			a.Enseignements = append(a.Enseignements, m.enseignement(c))
		case "extras":
			a.Extras = append(a.Extras, cn.raw)
		}
	}
	return a
}

func (m mapper) lieu(i int32) LieuDeFormation {
	x := LieuDeFormation{Attrs: m.attrs(i)}
	for c := m.n(i).first; c != none; c = m.n(c).next {
		switch m.n(c).name {
		case "SIRET-lieu-formation":
			x.SIRET = m.childText(c, "SIRET")
		case "code-UAI-lieu-formation":
			x.CodeUAI = m.childText(c, "code-UAI")
		case "coordonnees":
			x.Coordonnees = m.coordonnees(c)
		case "extras":
			x.Extras = append(x.Extras, m.n(c).raw)
		}
	}
	return x
}

func (m mapper) equipement(i int32) Equipement {
	var x Equipement
	for c := m.n(i).first; c != none; c = m.n(c).next {
		switch m.n(c).name {
		case "type-equipement":
			x.Type = m.code(c)
		case "cout-indicatif-equipement":
			x.CoutIndicatif = m.intp(c)
		case "commentaire":
			x.Commentaire = m.n(c).text
		case "extras":
			x.Extras = append(x.Extras, m.n(c).raw)
		}
	}
	return x
}

func (m mapper) financeur(i int32) Financeur {
	var x Financeur
	for c := m.n(i).first; c != none; c = m.n(c).next {
		switch m.n(c).name {
		case "code-financeur":
			x.Code = m.code(c)
		case "nb-places-financees":
			x.NbPlacesFinancees = m.intp(c)
		case "extras":
			x.Extras = append(x.Extras, m.n(c).raw)
		}
	}
	return x
}

func (m mapper) enseignement(i int32) Enseignement {
	var x Enseignement
	for c := m.n(i).first; c != none; c = m.n(c).next {
		switch m.n(c).name {
		case "libelle-enseignement":
			x.Libelle = m.n(c).text
		case "type-enseignement":
			x.Type = m.code(c)
		case "obligatoire":
			x.Obligatoire = m.bool(c)
		case "commentaire":
			x.Commentaire = m.n(c).text
		case "extras":
			x.Extras = append(x.Extras, m.n(c).raw)
		}
	}
	return x
}

func (m mapper) session(i int32) Session {
	n := m.n(i)
	s := Session{
		Attrs:    m.attrs(i),
		DateCrea: m.dateAttr(i, "datecrea"),
		DateMaj:  m.dateAttr(i, "datemaj"),
		Line:     int(n.line),
	}
	for c := n.first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "periode":
			s.Periode = m.periode(c)
		case "adresse-inscription":
			if ad := m.child(c, "adresse"); ad != none {
				s.AdresseInscription = m.adresse(ad)
			}
		case "modalites-inscription":
			s.ModalitesInscription = cn.text
		case "periode-inscription":
			if p := m.child(c, "periode"); p != none {
				x := m.periode(p)
				s.PeriodeInscription = &x
			}
		case "etat-recrutement":
			s.EtatRecrutement = m.code(c)
		case "recrutement":
			s.Recrutements = append(s.Recrutements, m.recrutement(c))
		case "url-session":
			s.URLs = m.texts(c)
		case "contact-session":
			s.Contacts = append(s.Contacts, m.contact(c))
		case "reference-certification":
			s.ReferencesCertification = append(s.ReferencesCertification, m.referenceCertification(c))
		case "blocs-competences":
			s.BlocsCompetences = append(s.BlocsCompetences, m.blocs(c))
		case "cycle":
			s.Cycles = append(s.Cycles, m.cycle(c))
		case "extras":
			s.Extras = append(s.Extras, cn.raw)
		}
	}
	return s
}

func (m mapper) recrutement(i int32) Recrutement {
	var x Recrutement
	for c := m.n(i).first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "modalite-recrutement":
			x.Modalite = m.code(c)
		case "code-perimetre-recrutement":
			x.CodePerimetre = m.code(c)
		case "infos-perimetre-recrutement":
			x.InfosPerimetre = cn.text
		case "a-distance":
			x.ADistance = m.boolp(c)
		case "adresse":
			a := m.adresse(c)
			x.Adresse = &a
		case "urlweb":
			x.URL = cn.text
		case "nb-places":
			x.NbPlaces = m.intp(c)
		case "periode":
			p := m.periode(c)
			x.Periode = &p
		case "heure-debut":
			x.HeureDebut = cn.text
		case "heure-fin":
			x.HeureFin = cn.text
		case "commentaire":
			x.Commentaire = cn.text
		case "extras":
			x.Extras = append(x.Extras, cn.raw)
		}
	}
	return x
}

func (m mapper) blocs(i int32) BlocsCompetences {
	var x BlocsCompetences
	for c := m.n(i).first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "validation-blocs":
			x.Validation = m.code(c)
		case "reference-certification":
			x.ReferenceCertification = m.referenceCertification(c)
		case "bloc-competences":
			b := BlocCompetences{
				Libelle: m.childText(c, "libelle-bloc"),
				Code:    m.childText(c, "code-bloc"),
			}
			for e := cn.first; e != none; e = m.n(e).next {
				if m.n(e).name == "extras" {
					b.Extras = append(b.Extras, m.n(e).raw)
				}
			}
			x.Blocs = append(x.Blocs, b)
		case "extras":
			x.Extras = append(x.Extras, cn.raw)
		}
	}
	return x
}

func (m mapper) cycle(i int32) Cycle {
	var x Cycle
	for c := m.n(i).first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "type-cycle":
			x.Type = m.code(c)
		case "annee-cycle":
			x.Annees = append(x.Annees, m.int(c))
		case "effectif-minimal":
			x.EffectifMinimal = m.intp(c)
		case "capacite-simultanee":
			x.CapaciteSimultanee = m.intp(c)
		case "capacite-cumulee":
			x.CapaciteCumulee = m.intp(c)
		case "alternance":
			al := m.alternance(c)
			x.Alternance = &al
		case "extras":
			x.Extras = append(x.Extras, cn.raw)
		}
	}
	return x
}

func (m mapper) alternance(i int32) Alternance {
	var x Alternance
	for c := m.n(i).first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "type-alternance":
			x.Type = m.code(c)
		case "rythme-alternance":
			r := RythmeAlternance{}
			for e := cn.first; e != none; e = m.n(e).next {
				switch m.n(e).name {
				case "unite-rythme-alternance":
					r.Unite = m.code(e)
				case "unites-entreprise":
					r.UnitesEntreprise = m.int(e)
				case "unites-centre":
					r.UnitesCentre = m.int(e)
				case "extras":
					r.Extras = append(r.Extras, m.n(e).raw)
				}
			}
			x.Rythme = &r
		case "extras":
			x.Extras = append(x.Extras, cn.raw)
		}
	}
	return x
}

func (m mapper) organismeResponsable(i int32) OrganismeFormationResponsable {
	x := OrganismeFormationResponsable{
		Attrs: m.attrs(i),
		Href:  m.t.attr(i, "href"),
		File:  m.t.attr(i, "file"),
	}
	for c := m.n(i).first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "numero-activite":
			x.NumeroActivite = cn.text
		case "SIRET-organisme-formation":
			x.SIRET = m.childText(c, "SIRET")
		case "nom-organisme":
			x.Nom = cn.text
		case "raison-sociale":
			x.RaisonSociale = cn.text
		case "coordonnees-organisme":
			if co := m.child(c, "coordonnees"); co != none {
				x.Coordonnees = m.coordonnees(co)
			}
		case "contact-organisme":
			x.Contacts = append(x.Contacts, m.contact(c))
		case "renseignements-specifiques":
			x.RenseignementsSpecifiques = cn.text
		case "potentiel":
			x.Potentiel = m.refs(c)
		case "code-UAI-organisme-formation":
			x.CodeUAI = m.childText(c, "code-UAI")
		case "extras":
			x.Extras = append(x.Extras, cn.raw)
		}
	}
	return x
}

func (m mapper) formateur(i int32) OrganismeFormateur {
	x := OrganismeFormateur{Attrs: m.attrs(i)}
	for c := m.n(i).first; c != none; c = m.n(c).next {
		cn := m.n(c)
		switch cn.name {
		case "SIRET-formateur":
			x.SIRET = m.childText(c, "SIRET")
		case "raison-sociale-formateur":
			x.RaisonSociale = cn.text
		case "contact-formateur":
			x.Contacts = append(x.Contacts, m.contact(c))
		case "potentiel":
			x.Potentiel = m.refs(c)
		case "code-UAI-formateur":
			x.CodeUAI = m.childText(c, "code-UAI")
		case "reference-certification":
			x.ReferencesCertification = append(x.ReferencesCertification, m.referenceCertification(c))
		case "extras":
			x.Extras = append(x.Extras, cn.raw)
		}
	}
	return x
}
