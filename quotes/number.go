package quotes

import (
	"fmt"
	"strconv"
	"strings"
)

// Number returns the number of quote id created in year:
//
//	AIF-AAAA-NNNNNNN-CC
//
// AAAA is the year of creation, NNNNNNN the quote's id on at least 7 digits
// (unique on the platform, so the number is unique), CC a check key
// (ISO 7064 MOD 97-10, as in IBANs: 98 − (AAAANNNNNNN × 100 mod 97)) that
// catches a mistyped digit or two swapped digits. Once the quote is
// validated, this number is the commitment reference (« numéro
// d'engagement ») that the OF's invoice carries (BT-13).
func Number(year int, id int64) string {
	body := fmt.Sprintf("%04d%07d", year, id)
	return fmt.Sprintf("AIF-%04d-%07d-%02d", year, id, checkKey(body))
}

func checkKey(digits string) int {
	r := 0
	for _, c := range digits + "00" {
		r = (r*10 + int(c-'0')) % 97
	}
	return 98 - r
}

// ValidNumber reports whether s is a well-formed quote number with a right key.
func ValidNumber(s string) bool {
	p := strings.Split(s, "-")
	if len(p) != 4 || p[0] != "AIF" || len(p[1]) != 4 || len(p[2]) < 7 || len(p[3]) != 2 || !digits(p[1]) || !digits(p[2]) || !digits(p[3]) {
		return false
	}
	k, _ := strconv.Atoi(p[3])
	return checkKey(p[1]+p[2]) == k
}
