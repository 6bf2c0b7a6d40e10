package cli

import (
	"encoding/json"

	"github.com/edgewatt/edgewatt/internal/buildinfo"
)

// runVersion implements 'edgewatt version' (and 'edgewatt --version').
func runVersion(env *Env) error {
	fs := newFlagSet(env, "version", "[--json]\n\nModule version, commit, build date (the commit's time), Go version, target and the kernels this CPU runs.")
	asJSON := fs.Bool("json", false, "print one JSON object")
	args, err := parseFlags(fs, env.Args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return usagef("version: unexpected argument %q", args[0])
	}
	in := buildinfo.Read()
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(in)
	}
	return in.Write(env.Stdout)
}
