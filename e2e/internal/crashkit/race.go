//go:build race

package crashkit

func init() { raceEnabled = true }
