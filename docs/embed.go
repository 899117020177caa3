// Package docs holds the documents of docs/ that the portal also serves as
// pages (the accessibility statement).
package docs

import _ "embed"

// Accessibility is the accessibility statement (RGAA), served at /accessibilite.
//
//go:embed ACCESSIBILITY.md
var Accessibility string
