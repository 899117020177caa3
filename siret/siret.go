// Package siret checks the French identifiers of a training organisation:
// SIRET (establishment), SIREN (company) and NDA (numéro de déclaration
// d'activité). It is pure: no I/O, no state.
package siret

import "strings"

// LaPosteSIREN is the SIREN of La Poste, whose establishments' SIRETs do not
// follow the Luhn key but the rule "sum of the digits is a multiple of 5".
const LaPosteSIREN = "356000000"

// laPosteHeadOffice is La Poste's head office, whose SIRET follows the Luhn key.
const laPosteHeadOffice = "35600000000048"

// Normalize removes the spaces, dots and dashes people type in identifiers.
func Normalize(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '\u00a0', '\u202f':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Luhn reports whether the string of digits s has a valid Luhn key.
func Luhn(s string) bool {
	sum := 0
	for i := 0; i < len(s); i++ {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func digitSum(s string) int {
	sum := 0
	for i := 0; i < len(s); i++ {
		sum += int(s[i] - '0')
	}
	return sum
}

// SIREN returns the SIREN of a SIRET (its first 9 digits), or "" when s is too short.
func SIREN(siret string) string {
	if len(siret) < 9 {
		return ""
	}
	return siret[:9]
}

// CheckSIRET returns "" when s (normalized) is a valid SIRET, otherwise the
// French message to show. The SIREN it contains is checked too.
func CheckSIRET(s string) string {
	if s == "" {
		return "Le SIRET est obligatoire."
	}
	if !digits(s, 14) {
		return "Le SIRET doit comporter exactement 14 chiffres (par exemple 732 829 320 00074)."
	}
	if strings.HasPrefix(s, LaPosteSIREN) && s != laPosteHeadOffice {
		if digitSum(s)%5 != 0 {
			return "Ce SIRET de La Poste n'est pas valide : la somme de ses chiffres doit être un multiple de 5. Vérifiez sa saisie."
		}
		return ""
	}
	if !Luhn(s) {
		return "Ce SIRET n'est pas valide : sa clé de contrôle ne correspond pas. Vérifiez sa saisie."
	}
	if msg := CheckSIREN(SIREN(s)); msg != "" {
		return "Le SIREN contenu dans ce SIRET (ses 9 premiers chiffres) n'est pas valide : sa clé de contrôle ne correspond pas."
	}
	return ""
}

// CheckSIREN returns "" when s is a valid SIREN (9 digits, Luhn key).
func CheckSIREN(s string) string {
	if !digits(s, 9) {
		return "Le SIREN doit comporter exactement 9 chiffres."
	}
	if !Luhn(s) {
		return "Ce SIREN n'est pas valide : sa clé de contrôle ne correspond pas."
	}
	return ""
}

// CheckNDA returns "" when s (normalized) is a plausible numéro de
// déclaration d'activité: 11 digits, not all zero.
func CheckNDA(s string) string {
	if s == "" {
		return "Le numéro de déclaration d'activité (NDA) est obligatoire."
	}
	if !digits(s, 11) {
		return "Le numéro de déclaration d'activité doit comporter exactement 11 chiffres (par exemple 76 31 01234 56)."
	}
	if strings.Trim(s, "0") == "" {
		return "Ce numéro de déclaration d'activité n'est pas valide."
	}
	return ""
}
