package cli

// runBench implements 'edgewatt bench'.
func runBench(env *Env) error {
	return usagef("bench: not implemented yet")
}
