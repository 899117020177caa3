package lheo

import (
	"encoding/xml"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// xsdSchema is the part of lheo.xsd the cross-check needs.
type xsdSchema struct {
	ComplexTypes []struct {
		Name     string `xml:"name,attr"`
		Sequence *struct {
			Elements []struct {
				Ref       string `xml:"ref,attr"`
				MinOccurs string `xml:"minOccurs,attr"`
				MaxOccurs string `xml:"maxOccurs,attr"`
			} `xml:"element"`
		} `xml:"sequence"`
		Choice *struct {
			Elements []struct {
				Ref string `xml:"ref,attr"`
			} `xml:"element"`
		} `xml:"choice"`
	} `xml:"complexType"`
	SimpleTypes []struct {
		Name        string `xml:"name,attr"`
		Restriction struct {
			Base      string `xml:"base,attr"`
			MinLength *struct {
				Value int `xml:"value,attr"`
			} `xml:"minLength"`
			MaxLength *struct {
				Value int `xml:"value,attr"`
			} `xml:"maxLength"`
			Length *struct {
				Value int `xml:"value,attr"`
			} `xml:"length"`
			Pattern *struct {
				Value string `xml:"value,attr"`
			} `xml:"pattern"`
			Enumerations []struct {
				Value string `xml:"value,attr"`
			} `xml:"enumeration"`
		} `xml:"restriction"`
	} `xml:"simpleType"`
	Elements []struct {
		Name string `xml:"name,attr"`
	} `xml:"element"`
}

// TestSchemaMatchesXSD checks the schema generated from lheo-gml.xml
// against the official lheo.xsd: every element, every sequence (order and
// cardinalities), every text length, enumeration, integer and date type.
func TestSchemaMatchesXSD(t *testing.T) {
	data, err := os.ReadFile("testdata/lheo.xsd")
	if err != nil {
		t.Fatal(err)
	}
	var xsd xsdSchema
	if err := xml.Unmarshal(data, &xsd); err != nil {
		t.Fatal(err)
	}
	if len(xsd.Elements) != len(schema) {
		t.Errorf("XSD has %d elements, schema %d", len(xsd.Elements), len(schema))
	}
	for _, e := range xsd.Elements {
		if schema[e.Name] == nil {
			t.Errorf("element %s missing from schema", e.Name)
		}
	}
	checked := 0
	for _, ct := range xsd.ComplexTypes {
		name, ok := strings.CutSuffix(ct.Name, "-subtype")
		if !ok {
			continue
		}
		def := schema[name]
		switch {
		case def == nil:
			t.Errorf("%s: not in schema", name)
		case ct.Sequence != nil:
			var want []childDef
			for _, e := range ct.Sequence.Elements {
				hi := unbounded
				if e.MaxOccurs != "unbounded" {
					hi, _ = strconv.Atoi(e.MaxOccurs)
				}
				lo, _ := strconv.Atoi(e.MinOccurs)
				want = append(want, childDef{strings.TrimPrefix(e.Ref, "lheo:"), lo, hi})
			}
			if def.kind != kindSequence || !slices.Equal(def.children, want) {
				t.Errorf("%s: schema %v, XSD %v", name, def.children, want)
			}
			checked++
		case ct.Choice != nil:
			if def.kind != kindChoice || len(def.children) != len(ct.Choice.Elements) {
				t.Errorf("%s: choice differs", name)
			}
			checked++
		}
	}
	for _, st := range xsd.SimpleTypes {
		name, ok := strings.CutSuffix(st.Name, "-subtype")
		if !ok {
			continue
		}
		def, r := schema[name], st.Restriction
		switch {
		case def == nil:
			t.Errorf("%s: not in schema", name)
			continue
		case r.Base == "xs:long":
			if def.kind != kindInt {
				t.Errorf("%s: integer in the XSD", name)
			}
		case r.Pattern != nil:
			if def.kind != kindDate || r.Length == nil || r.Length.Value != 8 {
				t.Errorf("%s: date in the XSD", name)
			}
		case len(r.Enumerations) > 0:
			var codes []string
			for _, e := range Entries(def.table) {
				codes = append(codes, e.Code)
			}
			var enum []string
			for _, e := range r.Enumerations {
				enum = append(enum, e.Value)
			}
			if def.kind != kindCode || !slices.Equal(codes, enum) {
				t.Errorf("%s: table %s %v, XSD %v", name, def.table, codes, enum)
			}
		case r.Base == "xs:string":
			lo, hi := 0, -1
			if r.MinLength != nil {
				lo = r.MinLength.Value
			}
			if r.MaxLength != nil {
				hi = r.MaxLength.Value
			}
			if def.kind != kindText || def.minLen != lo || def.maxLen != hi {
				t.Errorf("%s: text %d..%d, XSD %d..%d", name, def.minLen, def.maxLen, lo, hi)
			}
		default:
			t.Errorf("%s: unexpected XSD type %s", name, r.Base)
		}
		checked++
	}
	if checked != len(schema)-1 { // extra is xs:anyType
		t.Errorf("checked %d types, want %d", checked, len(schema)-1)
	}
}

// TestCountingReaderPositions compares the lines of countingReader with
// those of encoding/xml at every token of the samples, in LF and CRLF.
func TestCountingReaderPositions(t *testing.T) {
	for _, name := range []string{"intercarif-occitanie-daeu.lheo22.xml", "onisep-bts-nrc.ns23.xml"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, eol := range []string{"\n", "\r\n"} {
			doc := strings.ReplaceAll(string(data), "\n", eol)
			cr := newCountingReader(strings.NewReader(doc))
			xd := xml.NewDecoder(cr)
			for {
				line, col := cr.pos(xd.InputOffset())
				wantLine, wantCol := xd.InputPos()
				if line != wantLine {
					t.Fatalf("%s: line %d, encoding/xml says %d", name, line, wantLine)
				}
				// encoding/xml counts bytes; check the ASCII-only case.
				off := xd.InputOffset()
				lineStart := strings.LastIndexByte(doc[:off], '\n') + 1
				if !strings.ContainsFunc(doc[lineStart:off], func(r rune) bool { return r > 127 }) && col != wantCol {
					t.Fatalf("%s: column %d, encoding/xml says %d", name, col, wantCol)
				}
				if _, err := xd.Token(); err != nil {
					break
				}
			}
		}
	}
}

func TestCountingReaderBudget(t *testing.T) {
	cr := newCountingReader(strings.NewReader(strings.Repeat("a", 200<<10)))
	read := 0
	cr.budget(100 << 10)
	for {
		_, err := cr.ReadByte()
		if err == errTokenTooLarge {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		read++
	}
	if read != 100<<10 {
		t.Errorf("read %d bytes, want %d", read, 100<<10)
	}
	cr.budget(1 << 20) // a new token: the budget is renewed
	if _, err := cr.ReadByte(); err != nil {
		t.Errorf("after a new budget: %v", err)
	}
}
