package lheo

// FastDecodes is the number of chunks the fast reader decoded so far.
func FastDecodes() int64 { return fastChunks.Load() }
