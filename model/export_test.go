package model

// PendingLen is the slice a LoadBoard keeps, for tests of its growth.
func PendingLen(b *LoadBoard) int { return len(b.pending) }
