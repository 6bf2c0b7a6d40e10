package board

import "runtime/debug"

// armVersion is the GOARM this binary was built for.
func armVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOARM" {
				return s.Value
			}
		}
	}
	return "?"
}
