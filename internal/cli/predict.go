package cli

// runPredict implements 'edgewatt predict'.
func runPredict(env *Env) error {
	return usagef("predict: not implemented yet")
}
