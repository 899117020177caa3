package lheo_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"kairos/lheo"
)

// minimal is a small valid formation; %s is its numero.
const minimal = `<formation numero="%s">
<domaine-formation>
<code-FORMACODE ref="V12">15093</code-FORMACODE>
</domaine-formation>
<intitule-formation>Soudage TIG</intitule-formation>
<objectif-formation>-</objectif-formation>
<resultats-attendus>-</resultats-attendus>
<contenu-formation>-</contenu-formation>
<certifiante>0</certifiante>
<contact-formation>
<coordonnees>
<courriel>contact@exemple.fr</courriel>
</coordonnees>
</contact-formation>
<parcours-de-formation>1</parcours-de-formation>
<code-niveau-entree>0</code-niveau-entree>
<action numero="A1">
<rythme-formation>-</rythme-formation>
<code-public-vise ref="V12">80001</code-public-vise>
<niveau-entree-obligatoire>0</niveau-entree-obligatoire>
<modalites-alternance>-</modalites-alternance>
<modalites-enseignement>0</modalites-enseignement>
<conditions-specifiques>-</conditions-specifiques>
<prise-en-charge-frais-possible>0</prise-en-charge-frais-possible>
<modalites-entrees-sorties>0</modalites-entrees-sorties>
<session numero="S1">
<periode>
<debut>20250901</debut>
<fin>20260630</fin>
</periode>
<adresse-inscription>
<adresse>
<ligne>-</ligne>
<codepostal>31000</codepostal>
<ville>Toulouse</ville>
</adresse>
</adresse-inscription>
<etat-recrutement>1</etat-recrutement>
</session>
<nombre-heures-total>350</nombre-heures-total>
<organisme-financeur>
<code-financeur>2</code-financeur>
</organisme-financeur>
</action>
<organisme-formation-responsable>
<numero-activite>7331P001531</numero-activite>
<SIRET-organisme-formation>
<SIRET>19311383400389</SIRET>
</SIRET-organisme-formation>
<nom-organisme>OF</nom-organisme>
<raison-sociale>OF SARL</raison-sociale>
<coordonnees-organisme>
<coordonnees/>
</coordonnees-organisme>
<contact-organisme>
<coordonnees/>
</contact-organisme>
</organisme-formation-responsable>
</formation>
`

// formation returns minimal with numero and the replacements old, new, …
func formation(numero string, replace ...string) string {
	return strings.NewReplacer(replace...).Replace(fmt.Sprintf(minimal, numero))
}

// doc wraps formations in a LHÉO 2.3 document.
func doc(formations ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<lheo xmlns="http://lheo.gouv.fr/2.3">
<offres>
` + strings.Join(formations, "") + `</offres>
</lheo>
`
}

// lineOf returns the line of the first occurrence of sub in s.
func lineOf(tb testing.TB, s, sub string) int {
	tb.Helper()
	i := strings.Index(s, sub)
	if i < 0 {
		tb.Fatalf("%q not found", sub)
	}
	return strings.Count(s[:i], "\n") + 1
}

func TestDecodeSample(t *testing.T) {
	fs := MustDecode(t, MustReadFile(t, "intercarif-occitanie-daeu.lheo22.xml"))
	if len(fs) != 1 {
		t.Fatalf("%d formations, want 1", len(fs))
	}
	f := fs[0]
	a := f.Actions[0]
	s := a.Sessions[0]
	o := f.OrganismeResponsable
	checks := []struct {
		name      string
		got, want any
	}{
		{"numero", f.Numero, "15_464888"},
		{"datecrea", f.DateCrea, lheo.NewDate(2018, 6, 5)},
		{"datemaj", f.DateMaj.String(), "20180911"},
		{"line", f.Line, 4},
		{"action line", a.Line, 30},
		{"session line", s.Line, 65},
		{"intitulé", f.Intitule, "Diplôme d'accès aux études universitaires, option a, cours en présentiel"},
		{"objectif (HTML decoded once)", strings.HasPrefix(f.Objectif, "* être titulaire d'un diplôme national équivalent au Baccalauréat<br />- accéder"), true},
		{"contenu placeholder", lheo.IsPlaceholder(f.Contenu), true},
		{"certifiante", f.Certifiante, true},
		{"formacode", f.Domaine.Formacodes, []lheo.Code{{Value: "15093", Ref: "V12", Tag: "principal"}}},
		{"nsf", f.Domaine.NSF[0].Value, "410"},
		{"rncp", f.Certifications[0].CodeRNCP, "28217"},
		{"niveau sortie", lheo.Label(lheo.TableNiveaux, f.NiveauSortie), "niveau IV (BP, BT, baccalauréat professionnel ou technologique)"},
		{"modalités enseignement", lheo.Label(lheo.TableModalitesEnseignement, a.ModalitesEnseignement), "formation entièrement présentielle"},
		{"lieu INSEE", a.LieuxDeFormation[0].Coordonnees.Adresse.CodeINSEECommune, "31555"},
		{"lieu ligne with newlines", a.LieuxDeFormation[0].Coordonnees.Adresse.Lignes[0], "UT2J\nCampus du Mirail\n5 allées Antonio Machado"},
		{"géolocalisation", a.LieuxDeFormation[0].Coordonnees.Adresse.Geolocalisation.Latitude, "43.6"},
		{"heures", *a.NombreHeuresTotal, 250},
		{"conventionnement", *a.Conventionnement, true},
		{"financeur", lheo.Label(lheo.TableFinanceurs, a.Financeurs[0].Code), "Collectivité territoriale - Conseil régional"},
		{"financeur extras", a.Financeurs[0].Extras, []lheo.RawXML{"<extras info=\"specificites\">\n<extra info=\"code-public-vise\" ref=\"V12\">80001</extra>\n</extras>"}},
		{"formateur SIRET", a.OrganismesFormateurs[0].SIRET, "19311383400389"},
		{"formateur potentiel", len(a.OrganismesFormateurs[0].Potentiel), 25},
		{"période", s.Periode, lheo.Periode{Debut: lheo.NewDate(2018, 10, 1), Fin: lheo.NewDate(2019, 5, 24)}},
		{"adresse inscription", s.AdresseInscription.CodePostal, "31500"},
		{"état recrutement absent", s.EtatRecrutement, ""},
		{"OF numéro activité", o.NumeroActivite, "7331P001531"},
		{"OF SIRET", o.SIRET, "19311383400389"},
		{"OF contact code postal placeholder", o.Contacts[0].Coordonnees.Adresse.CodePostal, "00000"},
		{"extras formation", f.Extras, []lheo.RawXML{"<extras info=\"FLUX-CARIF\">\n<extra info=\"numero-CARIF\">15</extra>\n</extras>"}},
		{"action extras", len(a.Extras), 3},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	long := strings.Repeat("é", 256)
	tests := []struct {
		name    string
		replace []string // old, new pairs applied to minimal
		at      string   // the reason's line is the line of this text
		want    string
	}{
		{"missing mandatory element", []string{"<intitule-formation>Soudage TIG</intitule-formation>\n", ""},
			`<formation numero="F"`, "élément obligatoire <intitule-formation> (Intitulé de la formation) absent de <formation>"},
		{"missing session", []string{"<session numero=\"S1\">", "<!--", "</session>", "-->"},
			`<action numero="A1">`, "élément obligatoire <session> (Session de formation) absent de <action>"},
		{"empty mandatory text", []string{"<intitule-formation>Soudage TIG<", "<intitule-formation><"},
			"<intitule-formation>", "<intitule-formation> (Intitulé de la formation) est vide"},
		{"code outside its table", []string{"<code-financeur>2<", "<code-financeur>21<"},
			"<code-financeur>", "<code-financeur> (Code financeur) : code « 21 » absent de la table dict-financeurs (Financeurs)"},
		{"boolean as text", []string{"<certifiante>0<", "<certifiante>oui<"},
			"<certifiante>", "code « oui » absent de la table dict-boolean (Valeurs booléennes)"},
		{"ISO date", []string{"<debut>20250901<", "<debut>2025-09-01<"},
			"<debut>", "<debut> (Début) : date « 2025-09-01 » invalide : format AAAAMMJJ attendu"},
		{"month 13", []string{"<debut>20250901<", "<debut>20251301<"},
			"<debut>", "date « 20251301 » invalide : mois 13"},
		{"31 June", []string{"<fin>20260630<", "<fin>20260631<"},
			"<fin>", "date « 20260631 » invalide : jour 31"},
		{"day without month", []string{"<fin>20260630<", "<fin>20260030<"},
			"<fin>", "date « 20260030 » invalide : jour sans mois"},
		{"period backwards", []string{"<debut>20250901<", "<debut>20270901<"},
			"<periode>", "<periode> : début 20270901 postérieur à la fin 20260630"},
		{"not an integer", []string{"<nombre-heures-total>350<", "<nombre-heures-total>350h<"},
			"<nombre-heures-total>", "<nombre-heures-total> (Total du nombre d'heures) : « 350h » n'est pas un nombre entier"},
		{"text too long", []string{"Soudage TIG", long},
			"<intitule-formation>", "<intitule-formation> (Intitulé de la formation) : 256 caractères, 255 au plus"},
		{"fixed length", []string{"7331P001531", "7331"},
			"<numero-activite>", "4 caractères au lieu de 11 exactement"},
		{"unknown element", []string{"<nombre-heures-total>", "<foo>x</foo>\n<nombre-heures-total>"},
			"<foo>", "élément <foo> inconnu en LHÉO dans <action>"},
		{"element in the wrong place", []string{"<nombre-heures-total>", "<ville>x</ville>\n<nombre-heures-total>"},
			"<ville>x", "élément <ville> inattendu dans <action> (Action de formation)"},
		{"foreign namespace", []string{"<nombre-heures-total>", "<x:foo xmlns:x=\"urn:x\"/>\n<nombre-heures-total>"},
			"<x:foo", "élément <foo> d'un espace de noms inconnu (urn:x) dans <action>"},
		{"too many occurrences", []string{"<code-public-vise ref=\"V12\">80001</code-public-vise>", strings.Repeat("<code-public-vise>80001</code-public-vise>", 11)},
			`<action numero="A1">`, "<code-public-vise> (Code de public visé) présent 11 fois dans <action>, 10 au plus"},
		{"text in a complex element", []string{"<action numero=\"A1\">\n", "<action numero=\"A1\">texte\n"},
			`<action numero="A1">`, "texte inattendu dans <action> (Action de formation)"},
		{"element in a text element", []string{"Soudage TIG<", "Soudage <ligne>TIG</ligne><"},
			"<intitule-formation>", "élément <ligne> inattendu dans <intitule-formation>"},
		{"text in extras", []string{"</formation>", "<extras>texte</extras>\n</formation>"},
			"<extras>", "texte inattendu dans <extras>"},
		{"bad extras child", []string{"</formation>", "<extras>\n<foo/>\n</extras>\n</formation>"},
			"<foo/>", "élément <foo> inattendu dans <extras> : <extra> ou <extras> attendu"},
		{"bad datemaj", []string{`<formation numero="F">`, `<formation numero="F" datemaj="2025-01-01">`},
			`<formation numero="F"`, "<formation> : attribut datemaj : date « 2025-01-01 » invalide"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := formation("F", tt.replace...)
			if bad == formation("F") {
				t.Fatal("replacement did not apply")
			}
			data := doc(formation("OK1"), bad, formation("OK2"))
			rs, err := decodeAll([]byte(data), nil)
			if err != nil {
				t.Fatalf("document error: %v", err)
			}
			if len(rs) != 3 || rs[0].f == nil || rs[2].f == nil || rs[1].err == nil {
				t.Fatalf("want valid, rejected, valid; got %+v", rs)
			}
			re := rs[1].err
			if re.Numero != "F" || re.Line != lineOf(t, data, `<formation numero="F"`) {
				t.Errorf("RecordError numero %q line %d, want F line %d", re.Numero, re.Line, lineOf(t, data, `<formation numero="F"`))
			}
			for _, r := range re.Reasons {
				if strings.Contains(r.Msg, tt.want) {
					if want := lineOf(t, data[strings.Index(data, `<formation numero="F"`):], tt.at) + re.Line - 1; r.Line != want {
						t.Errorf("reason at line %d, want %d", r.Line, want)
					}
					return
				}
			}
			t.Errorf("reasons %v\ndo not contain %q", re.Reasons, tt.want)
		})
	}
}

func TestRecordErrorMessage(t *testing.T) {
	data := doc(formation("F", "<code-financeur>2<", "<code-financeur>99<"))
	rs, err := decodeAll([]byte(data), nil)
	if err != nil || len(rs) != 1 || rs[0].err == nil {
		t.Fatalf("got %v, %v", rs, err)
	}
	want := `ligne 4 : formation « F » rejetée : ligne 45 : <code-financeur> (Code financeur) : code « 99 » absent de la table dict-financeurs (Financeurs)`
	if got := rs[0].err.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}

// TestDecodeRealDataHabits: what real exports do and the standard allows.
func TestDecodeRealDataHabits(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		check func(t *testing.T, f *lheo.Formation)
	}{
		{"unknown dates", doc(formation("F", "<debut>20250901<", "<debut>00000000<", "<fin>20260630<", "<fin>99999999<")),
			func(t *testing.T, f *lheo.Formation) {
				p := f.Actions[0].Sessions[0].Periode
				if p.Debut != lheo.UnknownDate || p.Fin != lheo.UnknownEnd || !p.Debut.IsUnknown() || !p.Fin.IsUnknown() {
					t.Errorf("periode = %v", p)
				}
			}},
		{"month and year precision", doc(formation("F", "<debut>20250901<", "<debut>20250900<", "<fin>20260630<", "<fin>20260000<")),
			func(t *testing.T, f *lheo.Formation) {
				p := f.Actions[0].Sessions[0].Periode
				if p.Debut.Precision() != lheo.PrecisionMonth || p.Fin.Precision() != lheo.PrecisionYear {
					t.Errorf("periode = %v", p)
				}
			}},
		{"HTML escaped in text", doc(formation("F", "<objectif-formation>-<", "<objectif-formation>&lt;p&gt;Souder&amp;nbsp;l&amp;#39;acier &amp;eacute;pais&lt;/p&gt;&lt;ul&gt;&lt;li&gt;TIG&lt;/li&gt;&lt;/ul&gt;<")),
			func(t *testing.T, f *lheo.Formation) {
				if f.Objectif != "<p>Souder&nbsp;l&#39;acier &eacute;pais</p><ul><li>TIG</li></ul>" {
					t.Errorf("Objectif = %q", f.Objectif)
				}
				if got := lheo.PlainText(f.Objectif); got != "Souder l'acier épais\n\n- TIG" {
					t.Errorf("PlainText = %q", got)
				}
			}},
		{"CDATA", doc(formation("F", "<contenu-formation>-<", "<contenu-formation><![CDATA[<b>gras</b> & co]]><")),
			func(t *testing.T, f *lheo.Formation) {
				if f.Contenu != "<b>gras</b> & co" {
					t.Errorf("Contenu = %q", f.Contenu)
				}
			}},
		{"empty optional elements are absent", doc(formation("F",
			"<nombre-heures-total>350</nombre-heures-total>",
			"<restauration/><nombre-heures-centre> </nombre-heures-centre><nombre-heures-total></nombre-heures-total><conventionnement/>",
			"<etat-recrutement>1</etat-recrutement>", "<etat-recrutement></etat-recrutement><url-session/>",
			"<code-niveau-entree>0</code-niveau-entree>", "<code-niveau-entree>0</code-niveau-entree><code-niveau-sortie>\n</code-niveau-sortie>")),
			func(t *testing.T, f *lheo.Formation) {
				a := f.Actions[0]
				if a.Restauration != "" || a.NombreHeuresTotal != nil || a.NombreHeuresCentre != nil || a.Conventionnement != nil ||
					a.Sessions[0].EtatRecrutement != "" || a.Sessions[0].URLs != nil || f.NiveauSortie != "" {
					t.Errorf("empty elements not dropped: %+v", a)
				}
			}},
		{"white space around codes, integers and dates", doc(formation("F",
			"<certifiante>0<", "<certifiante> 1 <", "<nombre-heures-total>350<", "<nombre-heures-total>\n 350\t<",
			"<debut>20250901<", "<debut> 20250901\n<")),
			func(t *testing.T, f *lheo.Formation) {
				if !f.Certifiante || *f.Actions[0].NombreHeuresTotal != 350 || f.Actions[0].Sessions[0].Periode.Debut != lheo.NewDate(2025, 9, 1) {
					t.Errorf("got %v %v %v", f.Certifiante, *f.Actions[0].NombreHeuresTotal, f.Actions[0].Sessions[0].Periode.Debut)
				}
			}},
		{"element order not enforced", doc(formation("F",
			"<intitule-formation>Soudage TIG</intitule-formation>\n<objectif-formation>-</objectif-formation>",
			"<objectif-formation>-</objectif-formation>\n<intitule-formation>Soudage TIG</intitule-formation>")),
			func(t *testing.T, f *lheo.Formation) {
				if f.Intitule != "Soudage TIG" {
					t.Errorf("Intitule = %q", f.Intitule)
				}
			}},
		{"comments, processing instructions, DOCTYPE without subset, document extras",
			strings.Replace(strings.Replace(doc(formation("F", "<action numero=\"A1\">", "<!-- c --><?pi x?><action numero=\"A1\">")),
				"<lheo ", "<!DOCTYPE lheo SYSTEM \"http://lheo.gouv.fr/2.3/lheo.dtd\">\n<!-- c -->\n<lheo ", 1),
				"</offres>", "<extras><extra>x</extra></extras></offres><extras/>", 1),
			func(t *testing.T, f *lheo.Formation) {
				if f.Line != 6 {
					t.Errorf("Line = %d, want 6", f.Line)
				}
			}},
		{"CRLF line endings", strings.ReplaceAll(doc(formation("X"), formation("F")), "\n", "\r\n"),
			func(t *testing.T, f *lheo.Formation) {
				if f.Line != 4+strings.Count(minimal, "\n") || f.Actions[0].Line != f.Line+16 {
					t.Errorf("lines %d, %d", f.Line, f.Actions[0].Line)
				}
				if f.Intitule != "Soudage TIG" {
					t.Errorf("Intitule = %q", f.Intitule)
				}
			}},
		{"UTF-8 BOM", "\uFEFF" + doc(formation("F")),
			func(t *testing.T, f *lheo.Formation) {}},
		{"ISO-8859-1", strings.Replace(latin1(doc(formation("F", "Soudage TIG", "Électricité générale"))), "UTF-8", "ISO-8859-1", 1),
			func(t *testing.T, f *lheo.Formation) {
				if f.Intitule != "Électricité générale" {
					t.Errorf("Intitule = %q", f.Intitule)
				}
			}},
		{"windows-1252", strings.Replace(doc(formation("F", "Soudage TIG", "Prix \x80 \x9cuvre")), "UTF-8", "windows-1252", 1),
			func(t *testing.T, f *lheo.Formation) {
				if f.Intitule != "Prix € œuvre" {
					t.Errorf("Intitule = %q", f.Intitule)
				}
			}},
		{"LHÉO 2.2 namespace", strings.Replace(doc(formation("F")), "http://lheo.gouv.fr/2.3", "http://www.lheo.org/2.2", 1),
			func(t *testing.T, f *lheo.Formation) {}},
		{"prefixed elements", prefixed(doc(formation("F"))),
			func(t *testing.T, f *lheo.Formation) {
				if f.Actions[0].Sessions[0].AdresseInscription.Ville != "Toulouse" {
					t.Errorf("got %+v", f.Actions[0].Sessions[0].AdresseInscription)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := MustDecode(t, []byte(tt.data))
			tt.check(t, fs[len(fs)-1])
		})
	}
}

func latin1(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return string(b)
}

// prefixed rewrites a document to use the prefix l: for the LHÉO namespace.
func prefixed(s string) string {
	s = strings.ReplaceAll(s, "</", "</l:")
	s = strings.NewReplacer("<?", "<?", "<!", "<!", "</", "</", "<", "<l:").Replace(s)
	return strings.Replace(s, `xmlns="`, `xmlns:l="`, 1)
}

func TestDecodeDocumentErrors(t *testing.T) {
	const head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<lheo xmlns=\"http://lheo.gouv.fr/2.3\">\n<offres>\n"
	tests := []struct {
		name      string
		data      string
		line, col int
		want      string // prefix of Error()
	}{
		{"unexpected end tag", head + "<formation numero=\"F\">\n<domaine-formation>\n</domaine-formation>\n" +
			"<intitule-formation>x</intitule-formation>\n<objectif-formation>x</objectif-formation>\n" +
			"<resultats-attendus>x</resultats-attendus>\n<contenu-formation>x</contenu-formation>\n<contact-formation>\n    </action>\n",
			12, 5, "ligne 12, colonne 5 : balise fermante inattendue </action> (élément <contact-formation> ouvert)"},
		{"end tag without start", "<lheo xmlns=\"http://lheo.gouv.fr/2.3\"></offres>", 1, 39, "ligne 1, colonne 39 : balise fermante inattendue </offres>"},
		{"truncated", head + formation("F")[:200], 9, 34, "ligne 9, colonne 34 : fin de document inattendue"},
		{"undeclared entity", head + formation("F", "Soudage TIG", "Soudage &eacute;lectrique"), 8, 0, "ligne 8, colonne 29 : entité inconnue &eacute;"},
		{"invalid UTF-8", head + formation("F", "Soudage TIG", "Soudage \xff"), 8, 29, "ligne 8, colonne 29 : séquence UTF-8 invalide"},
		{"text after root", doc(formation("F")) + "\n  fin", 66, 3, "ligne 66, colonne 3 : texte après l'élément racine </lheo>"},
		{"bad attribute", head + "<formation numero=F>", 4, 0, "ligne 4, colonne 19 : valeur d'attribut manquante ou sans guillemets"},
		{"wrong root", "<?xml version=\"1.0\"?>\n  <catalogue xmlns=\"http://lheo.gouv.fr/2.3\"/>", 2, 3, "ligne 2, colonne 3 : élément racine <catalogue> inattendu : <lheo> attendu"},
		{"lheo-index root", "<lheo-index xmlns=\"http://lheo.gouv.fr/2.3\"/>", 1, 1, "ligne 1, colonne 1 : élément racine <lheo-index> non pris en charge"},
		{"unknown namespace", "<lheo xmlns=\"http://www.lheo.org/2.0\"><offres/></lheo>", 1, 1, "ligne 1, colonne 1 : espace de noms inconnu « http://www.lheo.org/2.0 »"},
		{"no namespace", "<lheo><offres/></lheo>", 1, 1, "ligne 1, colonne 1 : espace de noms absent"},
		{"empty document", " \n ", 2, 2, "ligne 2, colonne 2 : document vide"},
		{"no offres", "<lheo xmlns=\"http://lheo.gouv.fr/2.3\"><formation/></lheo>", 1, 39, "ligne 1, colonne 39 : élément <formation> inattendu dans <lheo> : <offres> attendu"},
		{"no formation", "<lheo xmlns=\"http://lheo.gouv.fr/2.3\"><offres>\n</offres></lheo>", 2, 1, "ligne 2, colonne 1 : le document ne contient aucune formation"},
		{"other element in offres", head + "<action/>", 4, 1, "ligne 4, colonne 1 : élément <action> inattendu dans <offres> : <formation> attendu"},
		{"text in offres", head + "bonjour", 4, 1, "ligne 4, colonne 1 : texte inattendu dans <offres>"},
		{"second root", doc(formation("F")) + "<lheo/>", 65, 1, "ligne 65, colonne 1 : élément <lheo> après l'élément racine </lheo>"},
		{"DOCTYPE with entities", "<!DOCTYPE lheo [<!ENTITY a \"b\">]>\n<lheo/>", 1, 1, "ligne 1, colonne 1 : DOCTYPE avec déclarations internes (entités) interdit"},
		{"UTF-16", "\xff\xfe<\x00l\x00", 1, 1, "ligne 1, colonne 1 : encodage UTF-16 non pris en charge"},
		{"unsupported encoding", "<?xml version=\"1.0\" encoding=\"EBCDIC-FR\"?><lheo/>", 1, 1, "ligne 1, colonne 1 : encodage « ebcdic-fr » non pris en charge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := decodeAll([]byte(tt.data), nil)
			var de *lheo.DocumentError
			if !errors.As(err, &de) {
				t.Fatalf("got %v (records %v), want a DocumentError", err, rs)
			}
			if !strings.HasPrefix(de.Error(), tt.want) {
				t.Errorf("Error() = %q\nwant prefix %q", de.Error(), tt.want)
			}
			if de.Line != tt.line || (tt.col != 0 && de.Column != tt.col) {
				t.Errorf("position %d:%d, want %d:%d", de.Line, de.Column, tt.line, tt.col)
			}
		})
	}
}

// TestDocumentErrorIsSticky: after a document error, Next keeps failing,
// even though valid records came before it.
func TestDocumentErrorIsSticky(t *testing.T) {
	data := doc(formation("F1"), formation("F2")) + "<trailing/>"
	d := lheo.NewDecoder(strings.NewReader(data), nil)
	for i := 0; i < 2; i++ {
		if f, err := d.Next(); err != nil || f == nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	_, err1 := d.Next()
	_, err2 := d.Next()
	var de *lheo.DocumentError
	if !errors.As(err1, &de) || err1 != err2 {
		t.Errorf("errors %v, %v: want the same DocumentError", err1, err2)
	}
}

func TestDecodeLines(t *testing.T) {
	data := doc(formation("F1"), "\n\n", formation("F2"), formation("F3"))
	fs := MustDecode(t, []byte(data))
	for i, numero := range []string{"F1", "F2", "F3"} {
		f := fs[i]
		want := lineOf(t, data, `<formation numero="`+numero+`">`)
		if f.Line != want || f.Actions[0].Line != want+16 || f.Actions[0].Sessions[0].Line != want+25 {
			t.Errorf("%s: lines %d/%d/%d, want %d/%d/%d", numero, f.Line, f.Actions[0].Line, f.Actions[0].Sessions[0].Line, want, want+16, want+25)
		}
	}
}

func TestNextAfterEOF(t *testing.T) {
	d := lheo.NewDecoder(strings.NewReader(doc(formation("F"))), nil)
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := d.Next(); err != io.EOF {
			t.Fatalf("got %v, want io.EOF", err)
		}
	}
}
