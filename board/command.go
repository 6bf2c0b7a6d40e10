package board

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// CommandError is a command that could not run or exited with an error.
type CommandError struct {
	Cmd    string // "vcgencmd pmic_read_adc"
	Output string // what it printed (stdout and stderr), trimmed
	Err    error  // exec.ErrNotFound, *exec.ExitError, context.DeadlineExceeded...
}

func (e *CommandError) Error() string {
	if e.Output != "" {
		return fmt.Sprintf("%s: %v: %s", e.Cmd, e.Err, clip(e.Output))
	}
	return fmt.Sprintf("%s: %v", e.Cmd, e.Err)
}

func (e *CommandError) Unwrap() error { return e.Err }

// commandTimeout bounds one vcgencmd call (it normally takes milliseconds).
const commandTimeout = 5 * time.Second

// ExecRunner runs name with args through os/exec with a timeout and returns its standard
// output; failures are *CommandError values carrying what the command printed.
func ExecRunner(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		out := strings.TrimSpace(stderr.String() + " " + stdout.String())
		return stdout.Bytes(), &CommandError{Cmd: strings.Join(append([]string{name}, args...), " "), Output: out, Err: err}
	}
	return stdout.Bytes(), nil
}

func runner(opt OpenOptions) Runner {
	if opt.Run != nil {
		return opt.Run
	}
	return ExecRunner
}

// vcgencmdHint says how to fix a failed vcgencmd call.
func vcgencmdHint(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return "vcgencmd is not installed or not on PATH: on Raspberry Pi OS install it with sudo apt install raspi-utils (libraspberrypi-bin on older releases); other boards have no vcgencmd"
	case strings.Contains(msg, "ermission denied") || strings.Contains(msg, "VCHI initialization failed") || strings.Contains(msg, "/dev/vcio"):
		return "/dev/vcio needs the video group: sudo usermod -aG video $USER, then log in again"
	case strings.Contains(msg, "Command not registered") || strings.Contains(msg, "not registered"):
		return "this firmware has no such command: pmic_read_adc needs a Raspberry Pi 5; update with sudo apt full-upgrade, or use an INA219/INA260 on other boards"
	}
	return ""
}
