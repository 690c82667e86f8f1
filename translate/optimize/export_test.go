package optimize

// SetExpandCost sets when tables have too many anonymous sets (tests
// make a small ruleset expand its sets); it returns the old value.
func SetExpandCost(c float64) float64 {
	old := expandCost
	expandCost = c
	return old
}
