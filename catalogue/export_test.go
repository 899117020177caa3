package catalogue

// SetDenseWalk sets, for a test, the longest dense walk of a broad SQLite
// search (0: never) and its length whatever the density (0: estimated); it
// returns the function that restores them.
func SetDenseWalk(longest, length int) (restore func()) {
	m, t := denseWalkMax, denseWalkTest
	denseWalkMax, denseWalkTest = longest, length
	return func() { denseWalkMax, denseWalkTest = m, t }
}
