package cli

// runBoard implements 'edgewatt board'.
func runBoard(env *Env) error {
	return usagef("board: not implemented yet")
}
