package cli

// runInspect implements 'edgewatt inspect'.
func runInspect(env *Env) error {
	return usagef("inspect: not implemented yet")
}
