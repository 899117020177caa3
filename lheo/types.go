package lheo

// Domain types of the LHÉO training offer: formation → action → session.
//
// Field order follows the XSD sequence order. Conventions:
//   - text and code fields are strings, "" meaning absent for optional ones;
//     text is kept exactly as decoded from XML (HTML markup that was escaped
//     in the file, like "&lt;p&gt;", is decoded to "<p>": see PlainText);
//   - code fields hold the code of the table named in their comment (see
//     Label and Valid);
//   - dict-boolean codes (0/1) are bool, or *bool when optional;
//   - integers are *int when optional (nil = absent);
//   - single-child wrappers of the XML (url-action/urlweb,
//     SIRET-formateur/SIRET, adresse-inscription/adresse, …) are flattened;
//   - Extras keep the <extras> children of an element verbatim, see RawXML.

// Attrs holds the common LHÉO attributes kept by this package. The others
// (id, idref, uri, horodatage-*) are document-scoped or rarely used and are
// not kept.
type Attrs struct {
	Numero string // @numero: the de-facto business identifier, not unique
	Ref    string // @ref: referential version (e.g. "V12") or internal id
	Info   string // @info
	Tag    string // @tag, e.g. "principal"
}

// RawXML is an <extras> element kept as XML text, e.g.
// `<extras info="FLUX-CARIF"><extra info="numero-CARIF">15</extra></extras>`.
// Elements of the LHÉO namespace are written without prefix: the text is
// meant to be embedded in a document whose default namespace is LHÉO 2.3
// (which also moves 2.2 extras to 2.3). On extras and extra elements only the
// numero, info, ref and tag attributes are kept.
type RawXML string

// Code is a code from an open referential (FORMACODE, NSF, ROME, public
// visé, modalité pédagogique) with the version of the referential in Ref.
type Code struct {
	Value string
	Ref   string // @ref, e.g. "V12" for FORMACODE version 12
	Tag   string // @tag, e.g. "principal"
}

// Formation is an offre de formation, the unit of a LHÉO file and of this
// package's decoder: a record.
type Formation struct {
	Attrs
	DateCrea Date   // @datecrea, UnknownDate when absent
	DateMaj  Date   // @datemaj, UnknownDate when absent
	Href     string // @href
	File     string // @file

	// Line is the line of the <formation> start tag in the decoded file.
	// It is set by the Decoder and ignored by the Encoder.
	Line int

	Domaine           DomaineFormation
	Intitule          string              // intitule-formation, 1–255
	Objectif          string              // objectif-formation, 1–3000
	ResultatsAttendus string              // resultats-attendus, 1–3000
	Contenu           string              // contenu-formation, 1–3000
	Certifiante       bool                // certifiante
	Contacts          []Contact           // contact-formation, 1..n
	Parcours          string              // parcours-de-formation, TableTypeParcours
	NiveauEntree      string              // code-niveau-entree, TableNiveaux
	ObjectifGeneral   string              // objectif-general-formation, TableAIS
	Certifications    []Certification     // certification, 0..5
	TypesFormation    []CodeTypeFormation // code-type-formation, 0..5
	NiveauSortie      string              // code-niveau-sortie, TableNiveaux
	URLs              []string            // url-formation/urlweb, 0 or 1..3
	Actions           []Action            // action, 1..n

	OrganismeResponsable OrganismeFormationResponsable

	IdentifiantModule string       // identifiant-module
	Positionnement    string       // positionnement, TableTypePositionnement
	SousModules       []SousModule // sous-modules/sous-module, 0 or 1..n
	ModulesPrerequis  []string     // modules-prerequis/reference-module, 0 or 1..n
	Extras            []RawXML
}

// DomaineFormation is domaine-formation: the subject codes. The first
// FORMACODE is the main one.
type DomaineFormation struct {
	Formacodes []Code // code-FORMACODE, 0..5
	NSF        []Code // code-NSF, 0..3
	ROME       []Code // code-ROME, 0..5
	Extras     []RawXML
}

// Certification is a certification préparée.
type Certification struct {
	CodeRNCP               string
	CodeCERTIFINFO         string
	CodeRS                 string
	CodeCPF                string
	ReferenceCodeFORMACODE string
	Extras                 []RawXML
}

// CodeTypeFormation holds the CPF or ELU code of a training that is not
// strictly certifying.
type CodeTypeFormation struct {
	CodeCPF string
	CodeELU string
	Extras  []RawXML
}

// ReferenceCertification refers to a Certification of the formation.
type ReferenceCertification struct {
	CodeRNCP       string // reference-code-RNCP
	CodeCERTIFINFO string // reference-code-CERTIFINFO
	CodeRS         string // reference-code-RS
	Extras         []RawXML
}

// SousModule is a sub-module reference of a formation used as a module.
type SousModule struct {
	ReferenceModule string
	TypeModule      string // TableTypeModule
	Extras          []RawXML
}

// Contact is a contact-formation, contact-session, contact-organisme or
// contact-formateur.
type Contact struct {
	Type        string // type-contact, TableTypeContact
	Coordonnees Coordonnees
	Extras      []RawXML
}

// Coordonnees are contact details.
type Coordonnees struct {
	Attrs
	Civilite string
	Nom      string
	Prenom   string
	Lignes   []string // ligne, 0..3
	Adresse  *Adresse
	TelFixe  []string // telfixe/numtel, 0 or 1..3
	Portable []string // portable/numtel, 0 or 1..3
	Fax      []string // fax/numtel, 0 or 1..3
	Courriel string
	Web      []string // web/urlweb, 0 or 1..3
	Extras   []RawXML
}

// Adresse is a postal address.
type Adresse struct {
	Attrs
	Denomination     string
	Lignes           []string // ligne, 1..4
	CodePostal       string
	Ville            string
	Departement      string
	CodeINSEECommune string
	CodeINSEECanton  string
	Region           string
	Pays             string // ISO 3166-1 alpha-2
	Geolocalisation  *Geolocalisation
	Extras           []RawXML
}

// Geolocalisation holds WGS84 coordinates in decimal degrees, as written in
// the file (see LatLon).
type Geolocalisation struct {
	Latitude  string
	Longitude string
	Extras    []RawXML
}

// Periode is a period between two dates (debut ≤ fin).
type Periode struct {
	Debut Date
	Fin   Date
}

// Action is an action de formation: where, how and at what price a
// formation is delivered.
type Action struct {
	Attrs
	DateCrea Date // @datecrea
	DateMaj  Date // @datemaj
	Line     int  // line of the <action> start tag, set by the Decoder

	Rythme                        string // rythme-formation, 1–3000
	PublicsVises                  []Code // code-public-vise, 1..10
	InfoPublicVise                string
	NiveauEntreeObligatoire       bool
	ModalitesAlternance           string // 1–3000
	ModalitesEnseignement         string // TableModalitesEnseignement
	ConditionsSpecifiques         string // 1–3000
	PriseEnChargeFraisPossible    bool
	LieuxDeFormation              []LieuDeFormation
	ModalitesEntreesSorties       string   // TableModalitesES
	URLs                          []string // url-action/urlweb, 0 or 1..3
	DureeCycle                    *int
	Sessions                      []Session // 1..n
	AdresseInformation            *Adresse  // adresse-information/adresse
	DatesInformation              []Date    // date-information/date, 0..3
	Restauration                  string
	Hebergement                   string
	Transport                     string
	AccesHandicapes               string
	Langues                       []string // langue-formation (ISO 639-1), 0..5
	ModalitesRecrutement          string
	ModalitesPedagogiques         string
	ModalitesPedagogiquesCodes    []Code // code-modalite-pedagogique, 0..5
	Equipements                   []Equipement
	FraisRestants                 string
	CodePerimetreRecrutement      string // TablePerimetreRecrutement
	InfosPerimetreRecrutement     string
	PrixHoraireTTC                Prix
	PrixTotalTTC                  Prix
	DureeIndicative               string
	NombreHeuresCentre            *int
	NombreHeuresEntreprise        *int
	NombreHeuresTotal             *int
	DetailConditionsPriseEnCharge string
	Conventionnement              *bool
	DureeConventionnee            *int
	OrganismesFormateurs          []OrganismeFormateur
	Financeurs                    []Financeur // organisme-financeur, 0..8
	Enseignements                 []Enseignement
	Extras                        []RawXML
}

// LieuDeFormation is a training place.
type LieuDeFormation struct {
	Attrs              // Tag "principal" marks the main place
	SIRET       string // SIRET-lieu-formation/SIRET
	CodeUAI     string // code-UAI-lieu-formation/code-UAI
	Coordonnees Coordonnees
	Extras      []RawXML
}

// Equipement is equipment paid by the learner.
type Equipement struct {
	Type          string // TableTypeEquipement
	CoutIndicatif *int
	Commentaire   string
	Extras        []RawXML
}

// Financeur is an organisme-financeur line of an action.
type Financeur struct {
	Code              string // code-financeur, TableFinanceurs
	NbPlacesFinancees *int
	Extras            []RawXML
}

// Enseignement is a subject taught (language, art, sport, speciality…).
type Enseignement struct {
	Libelle     string
	Type        string // TableTypeEnseignement
	Obligatoire bool
	Commentaire string
	Extras      []RawXML
}

// Session is a session de formation of an action: its dates and recruitment.
type Session struct {
	Attrs
	DateCrea Date // @datecrea
	DateMaj  Date // @datemaj
	Line     int  // line of the <session> start tag, set by the Decoder

	Periode                 Periode
	AdresseInscription      Adresse // adresse-inscription/adresse
	ModalitesInscription    string
	PeriodeInscription      *Periode // periode-inscription/periode
	EtatRecrutement         string   // TableEtatRecrutement: EtatRecrutementOuvert…
	Recrutements            []Recrutement
	URLs                    []string // url-session/urlweb, 0 or 1..3
	Contacts                []Contact
	ReferencesCertification []ReferenceCertification
	BlocsCompetences        []BlocsCompetences
	Cycles                  []Cycle
	Extras                  []RawXML
}

// Recrutement describes a recruitment event of a session.
type Recrutement struct {
	Modalite       string // modalite-recrutement, TableModaliteRecrutement
	CodePerimetre  string // code-perimetre-recrutement, TablePerimetreRecrutement
	InfosPerimetre string
	ADistance      *bool
	Adresse        *Adresse
	URL            string // urlweb
	NbPlaces       *int
	Periode        *Periode
	HeureDebut     string // e.g. "14h15"
	HeureFin       string
	Commentaire    string
	Extras         []RawXML
}

// BlocsCompetences lists the blocs de compétences validated by a session.
type BlocsCompetences struct {
	Validation             string // validation-blocs, TableTypeValidationBlocs
	ReferenceCertification ReferenceCertification
	Blocs                  []BlocCompetences // 1..n
	Extras                 []RawXML
}

// BlocCompetences is one bloc de compétences (RNCPxBCy).
type BlocCompetences struct {
	Libelle string
	Code    string
	Extras  []RawXML
}

// Cycle is a cycle de formation of a session.
type Cycle struct {
	Type               string // type-cycle, TableTypeCycle
	Annees             []int  // annee-cycle
	EffectifMinimal    *int
	CapaciteSimultanee *int
	CapaciteCumulee    *int
	Alternance         *Alternance
	Extras             []RawXML
}

// Alternance describes a work-study contract of a cycle.
type Alternance struct {
	Type   string // type-alternance, TableTypeAlternance
	Rythme *RythmeAlternance
	Extras []RawXML
}

// RythmeAlternance is the rhythm of work-study: units in company and centre.
type RythmeAlternance struct {
	Unite            string // unite-rythme-alternance, TableUniteRythme
	UnitesEntreprise int
	UnitesCentre     int
	Extras           []RawXML
}

// OrganismeFormationResponsable is the body legally responsible for the
// formation.
type OrganismeFormationResponsable struct {
	Attrs
	Href string // @href
	File string // @file

	NumeroActivite            string      // numéro de déclaration d'activité, 11 characters
	SIRET                     string      // SIRET-organisme-formation/SIRET
	Nom                       string      // nom-organisme
	RaisonSociale             string      // raison-sociale
	Coordonnees               Coordonnees // coordonnees-organisme/coordonnees
	Contacts                  []Contact   // contact-organisme, 1..n
	RenseignementsSpecifiques string
	Potentiel                 []Code // potentiel/code-FORMACODE, 0 or 1..25
	CodeUAI                   string // code-UAI-organisme-formation/code-UAI
	Extras                    []RawXML
}

// OrganismeFormateur is a body that delivers (part of) an action.
type OrganismeFormateur struct {
	Attrs
	SIRET                   string    // SIRET-formateur/SIRET
	RaisonSociale           string    // raison-sociale-formateur (may be empty)
	Contacts                []Contact // contact-formateur
	Potentiel               []Code    // potentiel/code-FORMACODE, 0 or 1..25
	CodeUAI                 string    // code-UAI-formateur/code-UAI
	ReferencesCertification []ReferenceCertification
	Extras                  []RawXML
}
