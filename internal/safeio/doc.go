// Package safeio is how edgewatt's commands touch files they did not make: inputs are
// opened only when they are regular files of a bounded size, outputs are written atomically
// and never onto one of the command's inputs or onto something that is not a regular file.
//
// # Inputs
//
// ReadFile and Open stat the path (following symbolic links) before opening it, so a FIFO,
// a character device such as /dev/zero or /dev/stdin, a socket or a directory is refused
// without being opened (opening a FIFO would block until a writer appears), then check the
// opened file again and read at most the limit the caller gives plus one byte: a file that
// grows while it is read is refused rather than slurped.
//
// # Outputs
//
// CheckOutputs compares every output with every input by device and inode after resolving
// symbolic links (os.SameFile), so `-o test.csv --eval test.csv`, a hard link or a symlink to
// an input are all refused with a message naming both paths; an output that exists must be a
// regular file (not a directory, a device or a FIFO). Two outputs of one command may not be
// the same file either.
//
// WriteAtomic writes to a temporary file in the target's directory, fsyncs it, renames it
// over the target and fsyncs the directory. Errors name the target, never the temporary
// file. On every error path the temporary file is removed. A process killed with SIGKILL
// cannot remove it: temporary files are named ".NAME.edgewatt-tmp-PID-RANDOM", and the next
// WriteAtomic to the same target removes those whose PID is no longer a running process.
package safeio
