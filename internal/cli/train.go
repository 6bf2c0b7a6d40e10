package cli

// runTrain implements 'edgewatt train'.
func runTrain(env *Env) error {
	return usagef("train: not implemented yet")
}
