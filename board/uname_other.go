//go:build !linux

package board

func uname() (release, machine string) { return "", "" }
