package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
)

// runCompletion implements 'edgewatt completion bash|zsh|fish'. The flag lists are read from
// each command's own -h output, so a new command or flag is completed without editing this
// file.
func runCompletion(env *Env) error {
	fs := newFlagSet(env, "completion", "bash|zsh|fish\n\n"+
		"  bash:  source <(edgewatt completion bash)     # or save it in /etc/bash_completion.d/edgewatt\n"+
		"  zsh:   source <(edgewatt completion zsh)      # or save it as _edgewatt in a directory on $fpath\n"+
		"  fish:  edgewatt completion fish > ~/.config/fish/completions/edgewatt.fish")
	args, err := parseFlags(fs, env.Args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usagef("completion: name one shell: bash, zsh or fish")
	}
	cmds := completionCommands()
	switch args[0] {
	case "bash":
		return writeBashCompletion(env.Stdout, cmds)
	case "zsh":
		return writeZshCompletion(env.Stdout, cmds)
	case "fish":
		return writeFishCompletion(env.Stdout, cmds)
	}
	return usagef("completion: unknown shell %q: use bash, zsh or fish", args[0])
}

// allCommands is the commands map, set in init because the map itself refers to
// runCompletion (a direct reference would be an initialization cycle).
var allCommands map[string]command

func init() { allCommands = commands }

type completionCommand struct {
	name, summary string
	flags         []string // names without dashes
}

// completionCommands lists the commands and, for each, the flags its -h prints.
func completionCommands() []completionCommand {
	var out []completionCommand
	for name, c := range allCommands {
		cc := completionCommand{name: name, summary: c.summary}
		if name != "completion" {
			var help bytes.Buffer
			_ = c.run(&Env{Args: []string{"-h"}, Stdin: strings.NewReader(""), Stdout: &help, Stderr: io.Discard})
			cc.flags = helpFlags(help.String())
		}
		out = append(out, cc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// helpFlags extracts flag names from flag.PrintDefaults output ("  -name value\n    \tusage").
func helpFlags(help string) []string {
	var flags []string
	sc := bufio.NewScanner(strings.NewReader(help))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "  -") {
			continue
		}
		f := strings.Fields(line[3:])
		if len(f) > 0 {
			flags = append(flags, f[0])
		}
	}
	return flags
}

func dashed(flags []string) string {
	var b strings.Builder
	for i, f := range flags {
		if i > 0 {
			b.WriteByte(' ')
		}
		if len(f) == 1 {
			b.WriteString("-" + f)
		} else {
			b.WriteString("--" + f)
		}
	}
	return b.String()
}

func writeBashCompletion(w io.Writer, cmds []completionCommand) error {
	var b strings.Builder
	b.WriteString("# bash completion for edgewatt: source <(edgewatt completion bash)\n_edgewatt() {\n")
	b.WriteString("    local cur=${COMP_WORDS[COMP_CWORD]} flags=\n")
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.name
	}
	fmt.Fprintf(&b, "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n        COMPREPLY=($(compgen -W %q -- \"$cur\"))\n        return\n    fi\n", strings.Join(names, " ")+" help")
	b.WriteString("    case ${COMP_WORDS[1]} in\n")
	for _, c := range cmds {
		switch c.name {
		case "completion":
			fmt.Fprintf(&b, "        completion) COMPREPLY=($(compgen -W 'bash zsh fish' -- \"$cur\")); return ;;\n")
		default:
			fmt.Fprintf(&b, "        %s) flags=%q ;;\n", c.name, dashed(c.flags))
		}
	}
	fmt.Fprintf(&b, "        help) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", strings.Join(names, " "))
	b.WriteString("    esac\n    if [[ $cur == -* ]]; then\n        COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n    else\n        COMPREPLY=($(compgen -f -- \"$cur\"))\n    fi\n}\n")
	b.WriteString("complete -o filenames -F _edgewatt edgewatt\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeZshCompletion(w io.Writer, cmds []completionCommand) error {
	var b strings.Builder
	b.WriteString("#compdef edgewatt\n# zsh completion for edgewatt: source <(edgewatt completion zsh)\n_edgewatt() {\n    local -a cmds flags\n    cmds=(\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "        %s\n", zshQuote(c.name+":"+c.summary))
	}
	b.WriteString("    )\n    if (( CURRENT == 2 )); then\n        _describe 'command' cmds\n        return\n    fi\n    case $words[2] in\n")
	for _, c := range cmds {
		switch c.name {
		case "completion":
			b.WriteString("        completion) compadd bash zsh fish; return ;;\n")
		default:
			fmt.Fprintf(&b, "        %s) flags=(%s) ;;\n", c.name, dashed(c.flags))
		}
	}
	b.WriteString("        help) _describe 'command' cmds; return ;;\n    esac\n    if [[ $PREFIX == -* ]]; then\n        compadd -- $flags\n    else\n        _files\n    fi\n}\ncompdef _edgewatt edgewatt\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeFishCompletion(w io.Writer, cmds []completionCommand) error {
	var b strings.Builder
	b.WriteString("# fish completion for edgewatt: edgewatt completion fish > ~/.config/fish/completions/edgewatt.fish\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "complete -c edgewatt -f -n __fish_use_subcommand -a %s -d %s\n", c.name, fishQuote(c.summary))
	}
	b.WriteString("complete -c edgewatt -f -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n")
	for _, c := range cmds {
		for _, f := range c.flags {
			opt := "-l " + f
			if len(f) == 1 {
				opt = "-s " + f
			}
			fmt.Fprintf(&b, "complete -c edgewatt -n '__fish_seen_subcommand_from %s' %s\n", c.name, opt)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// zshQuote and fishQuote single-quote s for the shell ('it'\”s' style for zsh, \' for fish).
func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}
