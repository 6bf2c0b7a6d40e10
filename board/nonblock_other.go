//go:build !unix

package board

const oNonblock = 0
