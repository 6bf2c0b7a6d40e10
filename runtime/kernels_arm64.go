//go:build !noasm

package runtime

func archKernels() kernels { return unrolled }

func archVariants() []kernelVariant { return nil }
