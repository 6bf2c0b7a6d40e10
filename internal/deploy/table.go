package deploy

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the summary: one row per host, then the reason for every host that did
// not end as asked.
func WriteTable(w io.Writer, res []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tBOARD\tARCH\tRELEASE\tMODEL SHA256\tRESULT\tTIME")
	for _, r := range res {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.1fs\n", r.Host, dash(r.Board), dash(r.Arch), dash(r.Release), dash(r.ModelSHA), r.Result, r.Time.Seconds())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range res {
		if r.Err != nil {
			if _, err := fmt.Fprintf(w, "%s: %v\n", r.Host, r.Err); err != nil {
				return err
			}
		}
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
