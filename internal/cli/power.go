package cli

// runPower implements 'edgewatt power'.
func runPower(env *Env) error {
	return usagef("power: not implemented yet")
}
