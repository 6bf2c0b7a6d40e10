//go:build !noasm && !amd64 && !arm64

package runtime

// Architectures without assembly kernels (arm GOARM 6/7 on Pi Zero to Pi 3 in 32-bit mode)
// use the unrolled pure-Go kernels.
func archKernels() kernels { return unrolled }

func archVariants() []kernelVariant { return nil }
