// Package board knows the board edgewatt runs on and reads its power.
//
// # Board detection
//
// Detect describes the machine: the Raspberry Pi model decoded from the device-tree model
// and the /proc/cpuinfo revision code, SoC, cores, architecture and CPU features, memory,
// OS and kernel, CPU frequency and governor, temperature and throttling. Every reader
// takes an fs.FS rooted at "/" and a command runner so that tests use fixtures; a machine
// that is not a Pi is reported as what it is.
//
// # Power sources
//
// A Source returns Readings in periph.io/x/conn/v3/physic units (nanowatts, nanovolts,
// nanoamperes, nanojoules), each stamped with its time and Quality flags. Open parses a
// spec (SpecHelp) and "auto" picks what the board has.
package board
