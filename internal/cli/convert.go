package cli

// runConvert implements 'edgewatt convert'.
func runConvert(env *Env) error {
	return usagef("convert: not implemented yet")
}
