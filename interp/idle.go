package interp

// TimersOnly tells whether a running execution waits on timers alone (Wait
// states and Retry back-offs): no task, no child execution, no Map item
// read or export is outstanding. Only a timer the host fires can then move
// it, so a host may drop it from memory until then and replay it.
func (x *Execution) TimersOnly() bool {
	if x.Status != Running || len(x.waiting) == 0 {
		return false
	}
	for _, f := range x.waiting {
		if f.phase != phaseWait && f.phase != phaseRetry {
			return false
		}
	}
	return true
}
