package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/issuerkit/issuerkit/repository"
)

// Requesters lists the certificate API's clients: a table, or with
// asJSON one JSON array ([] for none).
func Requesters(w io.Writer, list []repository.Requester, asJSON bool) error {
	if asJSON {
		return jsonArray(w, list)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDOCTYPES\tCONSENT\tRATE/MIN\tADDED\tREVOKED")
	for _, q := range list {
		consent := "required"
		if q.NoConsent {
			consent = "not needed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", q.ID, orNone(strings.Join(q.DocTypes, ","), "all"),
			consent, orNone(fmt.Sprint(q.RatePerMin), "default"), q.AddedAt.Format(time.DateTime), timeOrDash(q.RevokedAt))
	}
	return tw.Flush()
}

// ConsentManagers lists the trusted consent managers: a table, or with
// asJSON one JSON array ([] for none).
func ConsentManagers(w io.Writer, list []repository.ConsentManager, asJSON bool) error {
	if asJSON {
		return jsonArray(w, list)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tADDED")
	for _, m := range list {
		fmt.Fprintf(tw, "%s\t%s\n", m.ID, m.AddedAt.Format(time.DateTime))
	}
	return tw.Flush()
}

// jsonArray prints list as one JSON array, [] when it is empty.
func jsonArray[T any](w io.Writer, list []T) error {
	if list == nil {
		list = []T{}
	}
	b, err := json.Marshal(list)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// orNone is s, or none when s is empty or "0".
func orNone(s, none string) string {
	if s == "" || s == "0" {
		return none
	}
	return s
}

// timeOrDash is t for people, or "-" for the zero time.
func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.DateTime)
}
