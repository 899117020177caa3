package lheo_test

import (
	"testing"

	"kairos/lheo"
)

func TestTables(t *testing.T) {
	if n := len(lheo.Tables()); n != 19 {
		t.Errorf("%d tables, want 19", n)
	}
	sizes := map[lheo.Table]int{
		lheo.TableBoolean:         2,
		lheo.TableEtatRecrutement: 3,
		lheo.TableFinanceurs:      21,
		lheo.TableNiveaux:         17,
		lheo.TableAIS:             9, // "2" and "3" share a label
		lheo.TableTypeContact:     15,
	}
	for table, n := range sizes {
		if got := len(lheo.Entries(table)); got != n {
			t.Errorf("%s: %d entries, want %d", table, got, n)
		}
	}
	if got := lheo.TableFinanceurs.Name(); got != "Financeurs" {
		t.Errorf("Name() = %q", got)
	}
	if got := lheo.Entries(lheo.TableFinanceurs)[:4]; got[0].Code != "11" || got[3].Code != "2" {
		t.Errorf("financeurs not in the order of the standard: %v", got)
	}
}

func TestLabelValid(t *testing.T) {
	tests := []struct {
		table lheo.Table
		code  string
		label string
	}{
		{lheo.TableEtatRecrutement, lheo.EtatRecrutementOuvert, "ouvert"},
		{lheo.TableEtatRecrutement, lheo.EtatRecrutementFerme, "fermé"},
		{lheo.TableEtatRecrutement, lheo.EtatRecrutementSuspendu, "suspendu"},
		{lheo.TableEtatRecrutement, "4", ""},
		{lheo.TableFinanceurs, "16", "OPCO"},
		{lheo.TableFinanceurs, "20", "OFII - Office français de l’immigration et de l'intégration"},
		{lheo.TableFinanceurs, "21", ""},
		{lheo.TableAIS, "2", "Perfectionnement, élargissement des compétences"},
		{lheo.TableAIS, "3", "Perfectionnement, élargissement des compétences"},
		{lheo.TableNiveaux, "4", "niveau V (CAP, BEP, CFPA du premier degré)"},
		{lheo.TableNiveaux, "11", "Niveau 1. Maîtrise des savoirs de base"},
		{lheo.TableModalitesES, "1", "entrées/sorties permanentes"},
		{lheo.TableBoolean, "true", ""},
		{lheo.TableBoolean, " 1", ""},
		{"dict-inconnue", "1", ""},
	}
	for _, tt := range tests {
		if got := lheo.Label(tt.table, tt.code); got != tt.label {
			t.Errorf("Label(%s, %q) = %q, want %q", tt.table, tt.code, got, tt.label)
		}
		if got := lheo.Valid(tt.table, tt.code); got != (tt.label != "") {
			t.Errorf("Valid(%s, %q) = %v", tt.table, tt.code, got)
		}
	}
}
