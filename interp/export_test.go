package interp

// WithoutPlans makes m run every state through enter's general path, for
// tests that compare the planned paths (plan.go) with it.
func WithoutPlans(m *Machine) {
	m.plans, m.first = nil, nil
}
