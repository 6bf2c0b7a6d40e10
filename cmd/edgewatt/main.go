// Command edgewatt converts desktop-trained Keras text classifiers into one verified model
// file, runs them on Raspberry Pi-class boards and measures what each prediction costs in
// energy. See README.md.
package main

import (
	"os"

	"github.com/edgewatt/edgewatt/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
