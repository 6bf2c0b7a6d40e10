// Package release names edgewatt's release targets and binaries, and maps a board to the
// binary that runs on it.
//
// # Targets
//
// `make release` builds one static (CGO_ENABLED=0) binary per target into dist/, named
// edgewatt-GOOS-ARCH[.exe], with SHA256SUMS beside them:
//
//	linux/amd64    PCs, servers
//	linux/arm64    Pi 3, 4, 5, Zero 2 W, CM3/4/5 on a 64-bit OS
//	linux/armv7    the same boards (and Pi 2) on a 32-bit OS (GOARM=7: VFPv3, NEON-capable CPUs)
//	linux/armv6    Pi Zero, Zero W, Pi 1, CM1 (ARM1176: GOARM=6)
//	darwin/amd64, darwin/arm64, windows/amd64   the desktops people convert models on
//
// # Reproducible builds
//
// The same commit gives the same bytes: -trimpath, -buildvcs=false, -buildid= and the
// commit's time as the build date (SOURCE_DATE_EPOCH); the tests build twice (a second time
// from a copy of the tree at another path with an empty build cache) and compare.
//
// # Installing the Go way
//
// `go install github.com/edgewatt/edgewatt/cmd/edgewatt@latest` needs a go.mod without
// replace directives and every package inside the module zip; the tests build that zip with
// golang.org/x/mod/zip (the code behind the go command and the module proxy), serve it
// from a file:// GOPROXY and install from it into an empty GOPATH without network.
package release
