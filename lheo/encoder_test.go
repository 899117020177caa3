package lheo_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"kairos/lheo"
	"kairos/lheo/lheotest"
)

func TestEncodeRefusesInvalidFormations(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *lheo.Formation)
		want   string
	}{
		{"empty formation", func(f *lheo.Formation) { *f = lheo.Formation{Attrs: lheo.Attrs{Numero: "X"}} },
			"<intitule-formation> (Intitulé de la formation) est vide"},
		{"no action", func(f *lheo.Formation) { f.Actions = nil },
			"élément obligatoire <action> (Action de formation) absent de <formation>"},
		{"no session", func(f *lheo.Formation) { f.Actions[0].Sessions = nil },
			"élément obligatoire <session> (Session de formation) absent de <action>"},
		{"no public visé", func(f *lheo.Formation) { f.Actions[0].PublicsVises = nil },
			"<code-public-vise> (Code de public visé) est vide"},
		{"code outside its table", func(f *lheo.Formation) { f.Actions[0].Financeurs[0].Code = "21" },
			"code « 21 » absent de la table dict-financeurs"},
		{"missing code", func(f *lheo.Formation) { f.Parcours = "" },
			"<parcours-de-formation> (Type de parcours de formation) est vide"},
		{"too many FORMACODE", func(f *lheo.Formation) {
			f.Domaine.Formacodes = make([]lheo.Code, 6)
			for i := range f.Domaine.Formacodes {
				f.Domaine.Formacodes[i].Value = "15093"
			}
		}, "<code-FORMACODE> (Code FORMACODE) présent 6 fois dans <domaine-formation>, 5 au plus"},
		{"invalid date", func(f *lheo.Formation) { f.Actions[0].Sessions[0].Periode.Debut = lheo.NewDate(2018, 13, 1) },
			"date « 20181301 » invalide : mois 13"},
		{"period backwards", func(f *lheo.Formation) {
			f.Actions[0].Sessions[0].Periode = lheo.Periode{Debut: lheo.NewDate(2019, 1, 1), Fin: lheo.NewDate(2018, 0, 0)}
		}, "début 20190101 postérieur à la fin 20180000"},
		{"text too long", func(f *lheo.Formation) { f.Intitule = strings.Repeat("x", 256) },
			"256 caractères, 255 au plus"},
		{"SIRET length", func(f *lheo.Formation) { f.OrganismeResponsable.SIRET = "123" },
			"<SIRET> (SIRET) : 3 caractères au lieu de 14 exactement"},
		{"address without line", func(f *lheo.Formation) { f.Actions[0].Sessions[0].AdresseInscription.Lignes = nil },
			"<ligne> (Ligne) est vide"},
		{"control character", func(f *lheo.Formation) { f.Intitule = "Soudage\x00" },
			"<intitule-formation> (Intitulé de la formation) : caractère interdit en XML"},
		{"invalid UTF-8", func(f *lheo.Formation) { f.Contenu = "\xff" },
			"<contenu-formation> (Contenu de la formation) : caractère interdit en XML"},
		{"control character in an attribute", func(f *lheo.Formation) { f.Numero = "F\x01" },
			"attribut numero : caractère interdit en XML"},
		{"extras not well-formed", func(f *lheo.Formation) { f.Extras = []lheo.RawXML{"<extras>"} },
			"extras : XML mal formé"},
		{"extras of another element", func(f *lheo.Formation) { f.Extras = []lheo.RawXML{"<extra>x</extra>"} },
			"élément <extra> inattendu : <extras> attendu"},
		{"two extras in one RawXML", func(f *lheo.Formation) { f.Extras = []lheo.RawXML{"<extras/><extras/>"} },
			"un seul élément <extras> attendu, 2 trouvés"},
		{"text in extras", func(f *lheo.Formation) { f.Extras = []lheo.RawXML{"<extras>texte</extras>"} },
			"texte inattendu dans <extras>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := lheotest.Formation(1, 2)
			tt.change(bad)
			var out bytes.Buffer
			enc := lheo.NewEncoder(&out)
			err := enc.Encode(bad)
			var re *lheo.RecordError
			if !errors.As(err, &re) {
				t.Fatalf("Encode: %v, want a RecordError", err)
			}
			found := false
			for _, r := range re.Reasons {
				found = found || strings.Contains(r.Msg, tt.want)
			}
			if !found {
				t.Fatalf("reasons %v do not contain %q", re.Reasons, tt.want)
			}
			// The encoder is still usable and nothing of bad was written.
			good := lheotest.Formation(2, 1)
			if err := enc.Encode(good); err != nil {
				t.Fatal(err)
			}
			if err := enc.Close(); err != nil {
				t.Fatal(err)
			}
			fs := MustDecode(t, out.Bytes())
			if len(fs) != 1 || fs[0].Numero != good.Numero {
				t.Errorf("document holds %d formations", len(fs))
			}
		})
	}
}

func TestEncoderClose(t *testing.T) {
	var out bytes.Buffer
	enc := lheo.NewEncoder(&out)
	if err := enc.Close(); err == nil || !strings.Contains(err.Error(), "aucune formation") {
		t.Errorf("Close without formation: %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("wrote %q", out.String())
	}
	if err := enc.Encode(lheotest.Formation(1, 1)); err == nil {
		t.Error("Encode after Close succeeded")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disque plein") }

func TestEncoderWriteError(t *testing.T) {
	enc := lheo.NewEncoder(failingWriter{})
	var err error
	for i := 0; i < 100 && err == nil; i++ { // the encoder buffers 64 KiB
		err = enc.Encode(lheotest.Formation(uint64(i), 3))
	}
	if err == nil {
		err = enc.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "disque plein") {
		t.Errorf("got %v, want the write error", err)
	}
}

// TestExtrasCanonical: extras are kept as XML text in a canonical form that
// stays valid in a LHÉO 2.3 document: namespaces re-declared, typed common
// attributes dropped from extras and extra.
func TestExtrasCanonical(t *testing.T) {
	in := formation("F", "</formation>", `<extras xmlns:x="urn:x" info="a" id="i1" horodatage-creation="hier">
<extra tag="t" uri="u" foo="bar"><x:data x:attr="1" xml:lang="fr">v &amp; w<x:sub/></x:data><libre a="b">texte</libre></extra>
<extras><extra/></extras>
</extras>
</formation>`)
	want := lheo.RawXML(`<extras info="a">
<extra tag="t"><data xmlns="urn:x" xmlns:ns1="urn:x" ns1:attr="1" xml:lang="fr">v &amp; w<sub></sub></data><libre a="b">texte</libre></extra>
<extras><extra></extra></extras>
</extras>`)
	for _, data := range []string{doc(in), strings.Replace(doc(in), "http://lheo.gouv.fr/2.3", "http://www.lheo.org/2.2", 1)} {
		fs := MustDecode(t, []byte(data))
		if got := fs[0].Extras[0]; got != want {
			t.Errorf("extras =\n%s\nwant\n%s", got, want)
		}
		out := MustEncode(t, fs...)
		checkXSD(t, out)
		again := MustDecode(t, out)
		MustEqualFormations(t, again, fs)
	}
}

// TestXSDCheckIsEffective makes sure MustValidateXSD would catch an invalid
// export: a valid document with one code changed must fail.
func TestXSDCheckIsEffective(t *testing.T) {
	path, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not found on PATH: XSD validation skipped")
	}
	data := MustEncode(t, lheotest.Formation(1, 1))
	bad := bytes.Replace(data, []byte("<certifiante>"), []byte("<certifiante>2"), 1) // "20" or "21"
	file := filepath.Join(t.TempDir(), "bad.xml")
	if err := os.WriteFile(file, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(path, "--noout", "--schema", "testdata/lheo.xsd", file).CombinedOutput(); err == nil {
		t.Errorf("xmllint accepted an invalid document:\n%s", out)
	}
}

func TestEncodeErrorMessage(t *testing.T) {
	f := lheotest.Formation(1, 1)
	f.Numero, f.Intitule = "X", ""
	err := lheo.NewEncoder(io.Discard).Encode(f)
	want := "formation « X » rejetée : <intitule-formation> (Intitulé de la formation) est vide"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if err := lheo.NewEncoder(io.Discard).Encode(nil); err == nil {
		t.Error("Encode(nil) succeeded")
	}
}
