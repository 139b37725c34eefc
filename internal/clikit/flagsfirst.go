package clikit

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// FlagsFirst lets flags follow positional arguments, as in the CONTRACT's
// `revoke URI --reason TEXT`: urfave/cli stops parsing flags at the first
// argument, so the leaf command's flags are moved before its arguments.
// Anything after "--" stays as it is.
func FlagsFirst(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	// Find the leaf command: global flags, then command names.
	cmds, flags := app.Commands, app.Flags
	i := 1
	for i < len(args) {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			i += 1 + arity(flags, a)
			continue
		}
		var next *cli.Command
		for _, c := range cmds {
			if c.HasName(a) {
				next = c
			}
		}
		if next == nil {
			break
		}
		cmds, flags = next.Subcommands, next.Flags
		i++
		if len(cmds) == 0 {
			break
		}
	}
	head := append([]string{}, args[:i]...)
	var pos, fl []string
	for j := i; j < len(args); j++ {
		a := args[j]
		if a == "--" {
			pos = append(pos, args[j:]...)
			break
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			n := arity(flags, a)
			fl = append(fl, args[j:min(len(args), j+1+n)]...)
			j += n
			continue
		}
		pos = append(pos, a)
	}
	return append(append(head, fl...), pos...)
}

// arity is 1 when the flag a (as written) takes a separate value.
func arity(flags []cli.Flag, a string) int {
	name := strings.TrimLeft(a, "-")
	if strings.Contains(name, "=") {
		return 0
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				if _, isBool := f.(*cli.BoolFlag); isBool {
					return 0
				}
				return 1
			}
		}
	}
	return 0
}
