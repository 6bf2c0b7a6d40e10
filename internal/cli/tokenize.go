package cli

// runTokenize implements 'edgewatt tokenize'.
func runTokenize(env *Env) error {
	return usagef("tokenize: not implemented yet")
}
