//go:build !arm

package board

func armVersion() string { return "" }
