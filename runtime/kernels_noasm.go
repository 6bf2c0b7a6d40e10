//go:build noasm

package runtime

// With -tags noasm every kernel is pure Go.
func archKernels() kernels {
	k := unrolled
	k.name = "go (noasm)"
	return k
}

func archVariants() []kernelVariant { return nil }
