package lheo

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"testing"
)

// splitChunks cuts the formations of doc out as Options.Split does.
func splitChunks(tb testing.TB, doc []byte) []*Chunk {
	tb.Helper()
	d := NewDecoder(bytes.NewReader(doc), &Options{Split: true})
	var out []*Chunk
	for {
		_, err := d.Next()
		switch {
		case errors.Is(err, ErrChunk):
			out = append(out, d.Chunk())
		case err == io.EOF:
			return out
		case err != nil:
			var re *RecordError
			if !errors.As(err, &re) {
				tb.Fatalf("document: %v", err)
			}
		}
	}
}

type lineToken struct {
	Line int
	Tok  token
}

// copied returns t with its text copied (valid after the next token).
func copied(t token) token {
	if t.text != nil {
		t.text = append([]byte{}, t.text...)
	}
	return t
}

// slowTokens reads data with encoding/xml as Chunk.Decode's slow path does,
// each token with the line where it starts, up to the first error.
func slowTokens(data []byte, line int) ([]lineToken, error) {
	cr := &countingReader{r: eofReader{}, buf: data, n: len(data), line: line}
	xd := xml.NewDecoder(cr)
	xd.Strict = true
	var out []lineToken
	for {
		l, _ := cr.pos(xd.InputOffset())
		cr.budget(1<<16 + tagSlack)
		tok, err := xd.Token()
		if err != nil {
			return out, err
		}
		out = append(out, lineToken{l, copied(fromXML(xml.CopyToken(tok)))})
	}
}

// FuzzFastReader checks the fast reader against encoding/xml: every token
// it yields is the one encoding/xml yields, at the same line, and it
// never goes past the point where encoding/xml fails.
// go test -run='^$' -fuzz=FuzzFastReader -fuzztime=200000x ./lheo
func FuzzFastReader(f *testing.F) {
	for _, name := range []string{"onisep-bts-nrc.ns23.xml", "intercarif-occitanie-daeu.lheo22.xml"} {
		doc, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		for i, c := range splitChunks(f, doc) {
			if i < 3 {
				f.Add(c.data)
			}
		}
	}
	for _, s := range []string{
		`<lheo xmlns="http://lheo.gouv.fr/2.3" xmlns:xsi="x" xsi:a='1'><offres><formation numero="a"><b>x &amp; y &#233; &#xE9;</b><c/></formation>`,
		"<a>\r\n<b>x\ry</b><![CDATA[a]]b\r\n]]><c  d = 'e' f=\"g\"  /></a >",
		`<a xmlns="u"><b xmlns="u">]]&gt;</b></a>`,
		`<a><b>&#1;</b><c>&#xD800;</c><d>&#x110000;</d><e>&#X41;</e></a>`,
		`<a:b xmlns:a="u"/><a b="<"/><a b="&amp;"/><a b='1'c='2'/><a 1="x"/>`,
		"<a>\x00</a><a>\xff</a><a>\uFFFE</a><a b=\"\x01\"/>",
		`<a></b><a></a ><a></a></a><!-- c --><?p?>`,
		"<a\n\tb = \"1\"\r\n\tc='x\"y]]>'\n/><d>&#65;&#x4a;&#x4A;&#0;</d><d>&#xFFFE;</d><d>&am;</d><d>&amp</d><d>&;</d>",
		`<a xmlns=""><b xmlns="v"/><c xmlns:p="w"/><d p:e="1"/></a><a b="1" b="2"></a>`,
		"<a>é\u00e0\U0001F600\x7f\uFFFF</a><a b=\"\xc3\">\t</a><_a-.b1></_a-.b1><1a/>",
		"<a>x]]y]>z]]</a><a><![CDATA[<&>]]]]><![CDATA[>]]></a><a><![CDATA[x",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := slowTokens(data, 3)
		r := &fastReader{data: data, line: 3, max: 1 << 16}
		for i := 0; ; i++ {
			line := r.line
			var tok token
			err := r.next(&tok)
			if err != nil {
				if err != errBail {
					t.Fatalf("token %d: %v", i, err)
				}
				return
			}
			got := lineToken{line, copied(tok)}
			if i >= len(want) {
				t.Fatalf("token %d: fast reader yields %#v where encoding/xml fails: %v", i, got, wantErr)
			}
			if !reflect.DeepEqual(got, want[i]) {
				t.Fatalf("token %d: fast reader %s, encoding/xml %s", i, show(got), show(want[i]))
			}
		}
	})
}

func show(t lineToken) string {
	if t.Tok.kind == tokText {
		return fmt.Sprintf("line %d text %q", t.Line, t.Tok.text)
	}
	return fmt.Sprintf("line %d %#v", t.Line, t.Tok)
}
