// Package buildinfo says which edgewatt this is: module version, commit, build date, Go
// version, target (GOOS/GOARCH and GOARM) and the kernels the runtime picked.
//
// # Where each field comes from
//
// The Go toolchain records the module version and the build settings in every binary
// (runtime/debug.ReadBuildInfo): `go install github.com/edgewatt/edgewatt/cmd/edgewatt@v1.2.3`
// stamps v1.2.3; a build inside a git checkout stamps a pseudo-version and the vcs.revision,
// vcs.time and vcs.modified settings.
//
// Release builds (`make release`) are built with -trimpath and -buildvcs=false so that the
// same commit gives the same bytes whether or not the tree has build outputs in it (git
// would otherwise report it "modified"); they pass the version, the commit and the commit's
// time through the linker instead:
//
//	-X github.com/edgewatt/edgewatt/internal/buildinfo.version=v1.2.3
//	-X github.com/edgewatt/edgewatt/internal/buildinfo.commit=<40 hex>
//	-X github.com/edgewatt/edgewatt/internal/buildinfo.date=2026-12-01T18:00:00Z
//
// The date is the commit's time (SOURCE_DATE_EPOCH convention), never the wall clock, so a
// rebuild is byte-identical. Linker values win over the recorded build settings.
package buildinfo
