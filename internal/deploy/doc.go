// Package deploy installs a model and the matching edgewatt build on Raspberry Pi-class hosts
// over SSH, checks it there and rolls back on any failure ('edgewatt deploy').
//
// # Transport
//
// Everything goes through the system's OpenSSH client (ssh(1)), so the user's ~/.ssh/config,
// agent, known_hosts, ProxyJump and ControlMaster settings apply as they do for 'ssh HOST'.
// BatchMode is always on (a missing key or an unknown host key fails at once, with a message
// saying which, instead of prompting) and host-key checking is never relaxed. Unless the
// user's configuration already multiplexes, each host's commands share one connection
// (ControlMaster in a private directory, closed at the end): a Pi Zero spends a second or
// more on every key exchange.
//
// Remote commands are fixed POSIX sh scripts (scripts.go) run as
// 'sh -c SCRIPT sh ARG...': host names, prefixes, texts and checksums arrive as quoted
// positional parameters (Quote, Command, Script) and are never pasted into script text. When
// the login user may not write the prefix (pi and /opt on Raspberry Pi OS), the scripts that
// change files run through 'sudo -n', as does the unit installation. Files
// travel as the standard input of 'cat > FILE'; the host needs sh, coreutils and nothing
// else (no scp or sftp subsystem).
//
// # Layout on the host
//
//	PREFIX/releases/ID/edgewatt            the binary for this host's target
//	PREFIX/releases/ID/model.safetensors
//	PREFIX/releases/ID/SHA256SUMS          checked on the host with sha256sum -c
//	PREFIX/releases/ID/release.json        target, checksums, source, time, smoke text and scores
//	PREFIX/current -> releases/ID          switched atomically: ln -s to a temporary name, mv -T
//	PREFIX/previous -> releases/ID'        what --rollback and a failed deployment go back to
//
// ID is the first 12 hex digits of the sha256 of the binary's and the model's checksums and
// the service settings, so deploying the same thing again finds it current, verifies it and
// does nothing. PREFIX defaults to /opt/edgewatt; a host may carry its own
// ("pi@shed:/srv/edgewatt").
//
// # One host
//
//  1. Probe (one read-only script): uname -m, getconf LONG_BIT, /proc/device-tree/model,
//     /proc/cpuinfo, id -u, free space (df -Pk) where PREFIX is or will be, the current and
//     previous links.
//  2. Choose the target (Choose): on ARM the userland's word size decides, not the kernel's
//     (a Pi 4 with 32-bit Raspberry Pi OS runs an aarch64 kernel under an armhf userland:
//     armv7); armv6l is an ARM1176 (Pi Zero/1: armv6).
//  3. Find the binary: --binary, else dist/edgewatt-linux-ARCH from 'make release' (checked
//     against dist/SHA256SUMS), else this executable when it was built for that target, else
//     a build with the local Go toolchain in the source tree. The log says which and why.
//  4. Refuse early when the file system lacks room for the release (nothing is changed).
//  5. Upload into releases/.ID.partial, verify the checksums and run 'edgewatt version' on the
//     host (a binary for the wrong CPU fails here), rename to releases/ID.
//  6. Switch current (previous keeps the old release).
//  7. --init systemd: render the unit with the release's own binary ('edgewatt serve -m ...
//     --systemd-unit': hardened, Type=notify, groups i2c and video for the power sensors), so
//     the unit always matches the version it runs; install it, daemon-reload, enable,
//     restart, and wait until it is active (Type=notify: edgewatt serve said READY=1). Not
//     root: through 'sudo -n'. --init none leaves the service to the user.
//  8. Smoke prediction through current/: the label must equal this machine's and every score
//     be within 1e-5 of it (the kernels differ by CPU in summation order only).
//  9. Any failure after step 6 restores current and previous, reinstalls the previous
//     release's unit, removes the failed release and says why. Success prunes releases beyond
//     the newest Keep (current and previous always stay).
//
// # Fleets
//
// Hosts come from --host (repeatable) and --inventory (one per line). --canary K deploys to
// the first K hosts first; if any of them fails the rest are skipped. Then --parallel N at a
// time. The summary table (host, board, arch, release, model sha256, result, time) is
// followed by the reason for every failure; the command exits 1 when any host failed.
// --status prints the same table from the hosts (verifying their current release) and
// --rollback swaps current and previous, checking the smoke prediction recorded in
// release.json.
package deploy
