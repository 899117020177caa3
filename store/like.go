package store

import "strings"

// Contains is the LIKE pattern of "contains s" (lower case, with % _ and \
// escaped), for `LOWER(col) LIKE ? ESCAPE '\'` on either engine.
func Contains(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(s)) + "%"
}
