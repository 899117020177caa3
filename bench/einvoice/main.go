// Command einvoice measures the generation of one invoice (issue 14): the
// CII XML and the Factur-X PDF/A-3 of a 3-line invoice to France Travail,
// against two baselines run in the same invocation — encoding/xml
// marshalling the same invoice model (what any XML writer costs) and fpdf
// writing a one-page PDF with a core font (the floor of the PDF library,
// without font embedding nor PDF/A). It prints the time per invoice and the
// ratios. Target: XML + PDF < 20 ms.
//
// Usage: go run ./bench/einvoice [-lines 3] [-benchtime 2s]
package main

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"kairos/calendar"
	"kairos/einvoice"
)

func main() {
	lines := flag.Int("lines", 3, "invoice lines (one per attested month)")
	testing.Init()
	flag.Parse()
	inv := invoice(*lines)
	created := time.Date(2026, 6, 2, 9, 30, 0, 0, time.UTC)
	x := einvoice.XML(inv)
	pdf, err := einvoice.PDF(inv, x, created)
	if err != nil {
		fmt.Fprintln(os.Stderr, "einvoice:", err)
		os.Exit(1)
	}

	type result struct {
		name string
		r    testing.BenchmarkResult
	}
	var rs []result
	run := func(name string, f func(b *testing.B)) testing.BenchmarkResult {
		r := testing.Benchmark(f)
		rs = append(rs, result{name, r})
		return r
	}
	baseXML := run("baseline: encoding/xml.Marshal of the model", func(b *testing.B) {
		for b.Loop() {
			if _, err := xml.Marshal(inv); err != nil {
				b.Fatal(err)
			}
		}
	})
	basePDF := run("baseline: fpdf one page, core font", func(b *testing.B) {
		for b.Loop() {
			f := fpdf.New("P", "mm", "A4", "")
			f.SetCreationDate(created)
			f.SetModificationDate(created)
			f.AddPage()
			f.SetFont("Helvetica", "", 10)
			f.Cell(40, 10, "Facture "+inv.Number)
			var buf bytes.Buffer
			if err := f.Output(&buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	rx := run("einvoice.XML (CII D16B)", func(b *testing.B) {
		for b.Loop() {
			einvoice.XML(inv)
		}
	})
	rc := run("einvoice.Check (BR-CO, BR-E)", func(b *testing.B) {
		for b.Loop() {
			einvoice.Check(inv)
		}
	})
	rp := run("einvoice.PDF (Factur-X PDF/A-3)", func(b *testing.B) {
		for b.Loop() {
			if _, err := einvoice.PDF(inv, x, created); err != nil {
				b.Fatal(err)
			}
		}
	})
	rt := run("check + XML + PDF of one invoice", func(b *testing.B) {
		for b.Loop() {
			einvoice.Check(inv)
			xx := einvoice.XML(inv)
			if _, err := einvoice.PDF(inv, xx, created); err != nil {
				b.Fatal(err)
			}
		}
	})
	_ = rc
	ms := func(r testing.BenchmarkResult) float64 { return float64(r.NsPerOp()) / 1e6 }
	fmt.Printf("invoice of %d lines: XML %d bytes, PDF %d bytes\n\n", *lines, len(x), len(pdf))
	fmt.Printf("%-46s %10s %12s %10s\n", "", "ms/op", "allocs/op", "KB/op")
	for _, r := range rs {
		fmt.Printf("%-46s %10.3f %12d %10d\n", r.name, ms(r.r), r.r.AllocsPerOp(), r.r.AllocedBytesPerOp()/1024)
	}
	fmt.Printf("\nratio XML / encoding/xml baseline: %.2f\n", ms(rx)/ms(baseXML))
	fmt.Printf("ratio PDF / fpdf baseline:         %.2f\n", ms(rp)/ms(basePDF))
	verdict := "OK"
	if ms(rt) >= 20 {
		verdict = "TOO SLOW"
	}
	fmt.Printf("one invoice (check + XML + PDF):   %.2f ms — target < 20 ms: %s\n", ms(rt), verdict)
}

func invoice(n int) *einvoice.Invoice {
	var items []einvoice.HoursItem
	m := calendar.NewMonth(2026, time.January)
	for i := range n {
		mm := m.AddMonths(i)
		items = append(items, einvoice.HoursItem{
			Label:        "Formation Développeur web — Jean Dupont — " + strconv.Itoa(int(mm.Month())) + "/" + strconv.Itoa(mm.Year()),
			Period:       mm.Days(),
			QuarterHours: int64(4*100 + i%4),
		})
	}
	lines, allowances := einvoice.PrepareLines(items, 1250, 0, "DEV-2026-000042")
	inv := &einvoice.Invoice{
		Number: "FA-2026-00001", TypeCode: einvoice.TypeInvoice,
		IssueDate: calendar.NewDate(2026, time.June, 2), DueDate: calendar.NewDate(2026, time.July, 2),
		Seller: einvoice.Party{Name: "Formations & Avenir", SIRET: "73282932000074", NDA: "11755012375", VATID: "FR44732829320",
			Address: einvoice.Address{Line1: "12 rue de l'Échiquier", PostalCode: "75010", City: "Paris", Country: "FR"}},
		Buyer: einvoice.Party{Name: "France Travail", SIRET: "13000548100010",
			Address: einvoice.Address{Line1: "1 avenue du Docteur Gley", PostalCode: "75020", City: "Paris", Country: "FR"}},
		BuyerReference: "FT-SERV-75-AIF", OrderReference: "DEV-2026-000042",
		IBAN: "FR7630006000011234567890189", BIC: "AGRIFRPP", AccountName: "Formations et Avenir",
		Lines: lines, Allowances: allowances,
	}
	inv.Compute()
	if vs := einvoice.Check(inv); len(vs) != 0 {
		panic(fmt.Sprint(vs))
	}
	return inv
}
