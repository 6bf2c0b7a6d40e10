package cli

// runBenchEnergy implements 'edgewatt bench --energy' (issue 7; this stub is replaced there).
func runBenchEnergy(env *Env, o benchOptions) error {
	return usagef("bench --energy: not implemented yet")
}
