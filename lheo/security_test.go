package lheo_test

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"kairos/lheo"
)

// endless returns prefix then repeats unit up to limit bytes in all, and
// counts what was read.
type endless struct {
	prefix, unit string
	limit, read  int64
	pos          int // in prefix, then in unit
	inUnit       bool
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && e.read < e.limit {
		src := e.prefix
		if e.inUnit {
			src = e.unit
		}
		k := copy(p[n:], src[e.pos:])
		n += k
		e.read += int64(k)
		e.pos += k
		if e.pos == len(src) {
			e.pos, e.inUnit = 0, true
		}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// allocated returns the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

const head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<lheo xmlns=\"http://lheo.gouv.fr/2.3\">\n<offres>\n"

// TestHostileInputsAreBounded feeds documents of up to 1 GiB built to
// exhaust memory and checks that the decoder stops early, with a document
// error, after reading and allocating little.
func TestHostileInputsAreBounded(t *testing.T) {
	const GiB = 1 << 30
	formationStart := head + "<formation numero=\"F\">\n<domaine-formation/>\n"
	tests := []struct {
		name, prefix, unit string
		want               string
	}{
		{"huge text node", formationStart + "<intitule-formation>", "a",
			"ligne 6, colonne 21 : texte de plus de 1048576 octets dans <intitule-formation>"},
		{"huge attribute", head + `<formation numero="`, "a", "nœud XML (texte, balise ou commentaire) de plus de 1048576 octets"},
		{"huge element name", head + "<formation", "a", "nœud XML (texte, balise ou commentaire) de plus de 1048576 octets"},
		{"huge comment", head + "<!--", "a", "nœud XML (texte, balise ou commentaire) de plus de 1048576 octets"},
		{"huge DOCTYPE", `<!DOCTYPE lheo SYSTEM "`, "a", "nœud XML (texte, balise ou commentaire) de plus de 1048576 octets"},
		{"text in many CDATA sections", formationStart + "<intitule-formation>", "<![CDATA[" + strings.Repeat("a", 1000) + "]]>",
			"texte de plus de 1048576 octets dans <intitule-formation>"},
		{"deep nesting", formationStart + "<extras>", "<extras>", "plus de 64 éléments imbriqués"},
		{"deep nesting outside records", "<lheo xmlns=\"http://lheo.gouv.fr/2.3\"><offres><extras>", "<extras>", "plus de 64 éléments imbriqués"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &endless{prefix: tt.prefix, unit: tt.unit, limit: GiB}
			var err error
			alloc := allocated(func() {
				d := lheo.NewDecoder(r, nil)
				for err == nil {
					_, err = d.Next()
				}
			})
			var de *lheo.DocumentError
			if !errors.As(err, &de) {
				t.Fatalf("got %v, want a DocumentError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if r.read > 2<<20 {
				t.Errorf("read %d bytes before failing, want < 2 MiB", r.read)
			}
			if alloc > 16<<20 {
				t.Errorf("allocated %d MiB, want < 16 MiB", alloc>>20)
			}
			t.Logf("stopped after reading %d KiB, allocating %d KiB", r.read>>10, alloc>>10)
		})
	}
}

func TestBillionLaughs(t *testing.T) {
	const lol = `<?xml version="1.0"?>
<!DOCTYPE lheo [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lheo xmlns="http://lheo.gouv.fr/2.3"><offres><formation>&lol9;</formation></offres></lheo>`
	tests := []struct{ name, data, want string }{
		{"DOCTYPE with entity declarations", lol, "ligne 2, colonne 1 : DOCTYPE avec déclarations internes (entités) interdit"},
		{"external entity", `<!DOCTYPE lheo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><lheo/>`, "ligne 1, colonne 1 : DOCTYPE avec déclarations internes"},
		{"entity used without declaration", lol[strings.Index(lol, "<lheo"):], "ligne 1, colonne 58 : entité inconnue &lol9;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			alloc := allocated(func() { _, err = decodeAll([]byte(tt.data), nil) })
			var de *lheo.DocumentError
			if !errors.As(err, &de) || !strings.HasPrefix(de.Error(), tt.want) {
				t.Errorf("got %v, want a DocumentError starting with %q", err, tt.want)
			}
			if alloc > 1<<20 {
				t.Errorf("allocated %d bytes", alloc)
			}
		})
	}
}

// TestRecordTooBig: a record over MaxRecordSize is rejected alone and the
// next one is read.
func TestRecordTooBig(t *testing.T) {
	big := formation("BIG", "<objectif-formation>-<", "<objectif-formation>"+strings.Repeat("x", 3000)+"<")
	big = strings.Replace(big, "</formation>", strings.Repeat("<extras><extra>"+strings.Repeat("y", 1000)+"</extra></extras>\n", 100)+"</formation>", 1)
	data := doc(formation("F1"), big, formation("F2"))
	rs, err := decodeAll([]byte(data), &lheo.Options{MaxRecordSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 || rs[0].f == nil || rs[1].err == nil || rs[2].f == nil {
		t.Fatalf("got %+v", rs)
	}
	want := "formation de plus de 65536 octets : limite de taille dépassée"
	if e := rs[1].err; e.Numero != "BIG" || e.Line != lineOf(t, data, `"BIG"`) || len(e.Reasons) != 1 || e.Reasons[0].Msg != want {
		t.Errorf("got %v", e)
	}
	if rs[2].f.Numero != "F2" {
		t.Errorf("next record %q", rs[2].f.Numero)
	}
}

func TestOptionsMaxTextSize(t *testing.T) {
	data := doc(formation("F", "<objectif-formation>-<", "<objectif-formation>"+strings.Repeat("x", 2000)+"<"))
	if _, err := decodeAll([]byte(data), nil); err != nil {
		t.Fatalf("default limit: %v", err)
	}
	_, err := decodeAll([]byte(data), &lheo.Options{MaxTextSize: 1000})
	var de *lheo.DocumentError
	if !errors.As(err, &de) || !strings.Contains(de.Msg, "plus de 1000 octets") || de.Line != 9 {
		t.Errorf("got %v", err)
	}
}
