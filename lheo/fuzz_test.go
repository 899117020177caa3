package lheo_test

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"kairos/lheo"
)

// FuzzDecode feeds arbitrary documents to the decoder: it must never panic
// nor loop, and must end with io.EOF or a *DocumentError, with record errors
// only in between. Run longer by hand:
// go test -run='^$' -fuzz=FuzzDecode -fuzztime=10m ./lheo
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"intercarif-occitanie-daeu.lheo22.xml", "onisep-bts-nrc.ns23.xml"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<lheo xmlns="http://lheo.gouv.fr/2.3"><offres><formation/></offres></lheo>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE lheo [<!ENTITY a "aaaa">]><lheo/>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		defer watchdog(doc)()
		dec := lheo.NewDecoder(strings.NewReader(string(doc)), &lheo.Options{MaxTextSize: 1 << 16, MaxRecordSize: 1 << 20})
		for i := 0; ; i++ {
			if i > len(doc)+10 {
				t.Fatal("decoder returns more records than bytes")
			}
			form, err := dec.Next()
			var re *lheo.RecordError
			var de *lheo.DocumentError
			switch {
			case err == io.EOF:
				return
			case errors.As(err, &de):
				if de.Line < 1 {
					t.Fatalf("document error without line: %v", de)
				}
				return
			case errors.As(err, &re):
				continue
			case err != nil:
				t.Fatalf("unexpected error type %T: %v", err, err)
			case form == nil:
				t.Fatal("nil formation without error")
			}
		}
	})
}
