package einvoice

import (
	"strconv"
	"strings"
)

// ibanLengths is the length of an IBAN per country (ISO 13616 registry, SWIFT
// release 2024): the SEPA countries and their territories, plus the other
// countries of the registry a French OF may bank with.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
	"LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
	"NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
	"SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
	"TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

// NormalizeIBAN removes spaces and upper-cases an IBAN as typed.
func NormalizeIBAN(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// CheckIBAN returns "" when s (normalised) is a valid IBAN: known country,
// its length, only letters and digits, and the ISO 13616 key (the number
// with its first four characters moved to the end, letters as 10…35, is 1
// modulo 97). Otherwise it returns the French reason.
func CheckIBAN(s string) string {
	s = NormalizeIBAN(s)
	if s == "" {
		return "Saisissez l'IBAN du compte."
	}
	if len(s) < 5 {
		return "L'IBAN est trop court."
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return "L'IBAN ne contient que des lettres et des chiffres."
		}
	}
	country := s[:2]
	n, ok := ibanLengths[country]
	if !ok || s[0] < 'A' || s[1] < 'A' {
		return "L'IBAN doit commencer par le code d'un pays (FR pour la France)."
	}
	if s[2] > '9' || s[3] > '9' {
		return "Les 3e et 4e caractères de l'IBAN sont sa clé, deux chiffres."
	}
	if len(s) != n {
		return "Un IBAN " + country + " compte " + strconv.Itoa(n) + " caractères (" + strconv.Itoa(len(s)) + " saisis)."
	}
	if mod97(s[4:]+s[:4]) != 1 {
		return "La clé de l'IBAN est fausse : vérifiez chaque caractère."
	}
	return ""
}

// mod97 is the remainder modulo 97 of the number s, letters counting as 10…35.
func mod97(s string) int {
	r := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		default:
			r = (r*100 + int(c-'A'+10)) % 97
		}
	}
	return r
}

// NormalizeBIC removes spaces and upper-cases a BIC.
func NormalizeBIC(s string) string { return NormalizeIBAN(s) }

// CheckBIC returns "" when s is a valid BIC (ISO 9362): 4 letters (the
// bank), 2 letters (a country with IBANs or a known ISO code), 2 letters or
// digits (the place), and optionally 3 letters or digits (the branch).
func CheckBIC(s string) string {
	s = NormalizeBIC(s)
	if s == "" {
		return "Saisissez le BIC de la banque."
	}
	if len(s) != 8 && len(s) != 11 {
		return "Un BIC compte 8 ou 11 caractères (" + strconv.Itoa(len(s)) + " saisis)."
	}
	for i, c := range s {
		letter := c >= 'A' && c <= 'Z'
		digit := c >= '0' && c <= '9'
		if i < 6 && !letter {
			return "Les 6 premiers caractères d'un BIC sont des lettres (banque et pays)."
		}
		if !letter && !digit {
			return "Le BIC ne contient que des lettres et des chiffres."
		}
	}
	if _, ok := ibanLengths[s[4:6]]; !ok && !bicOnlyCountries[s[4:6]] {
		return "Les 5e et 6e caractères du BIC (" + s[4:6] + ") ne sont pas un code de pays."
	}
	return ""
}

// bicOnlyCountries are ISO 3166 codes that appear in BICs of banks a French
// OF may use without being in the IBAN registry (overseas collectivities and
// main trading partners).
var bicOnlyCountries = map[string]bool{
	"PF": true, "NC": true, "WF": true, "PM": true, "BL": true, "MF": true, "GP": true, "MQ": true,
	"GF": true, "RE": true, "YT": true, "US": true, "CA": true, "JP": true, "CN": true, "MA": true,
	"DZ": true, "SN": true, "CI": true,
}

// FrenchVATID is the intra-community VAT number of a French SIREN:
// "FR" + key + SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97.
func FrenchVATID(siren string) string {
	n, err := strconv.ParseInt(siren, 10, 64)
	if err != nil || len(siren) != 9 {
		return ""
	}
	key := (12 + 3*(n%97)) % 97
	return "FR" + twoDigits(key) + siren
}

// NormalizeVATID removes spaces and upper-cases a VAT number.
func NormalizeVATID(s string) string { return NormalizeIBAN(s) }

// CheckFrenchVATID returns "" when vat is the VAT number of the SIREN
// (9 first digits of the SIRET), otherwise the French reason.
func CheckFrenchVATID(vat, siret string) string {
	vat = NormalizeVATID(vat)
	if !strings.HasPrefix(vat, "FR") || len(vat) != 13 {
		return "Un numéro de TVA intracommunautaire français s'écrit FR, 2 caractères de clé et le SIREN (13 caractères)."
	}
	if len(siret) >= 9 && vat[4:] != siret[:9] {
		return "Le numéro de TVA doit se terminer par le SIREN de l'organisme (" + siret[:9] + ")."
	}
	if want := FrenchVATID(vat[4:]); want != "" && want != vat {
		return "La clé du numéro de TVA est fausse (attendu : " + want + ")."
	}
	return ""
}
