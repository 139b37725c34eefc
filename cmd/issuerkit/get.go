package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/internal/issuer"
	"github.com/issuerkit/issuerkit/internal/report"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/xmlschema"
	"github.com/urfave/cli/v2"
)

// getOptions are get's flags.
type getOptions struct {
	DocType, Roll, Year, Format string
	Key                         cli.StringSlice
}

func getCommand(e *env) *cli.Command {
	o := &getOptions{}
	return &cli.Command{
		Name:      "get",
		Usage:     "print a document's current signed XML",
		ArgsUsage: "[URI]",
		Description: "Finds a document by URI, or by its profile's search keys (a student's roll number and year),\n" +
			"checks the stored bytes against the catalog and prints the signed XML to stdout.\n\n" +
			"Examples:\n" +
			"   issuerkit get in.gov.cbse-SSCER-51000032025\n" +
			"   issuerkit get --doctype SSCER --roll 5100003 --year 2025 > marksheet.xml\n" +
			"   issuerkit get --doctype SSCER --roll 5100003 --year 2025 --format json | jq .Certificate.CertificateData\n" +
			"   issuerkit get in.gov.cbse-SSCER-51000032025 --format pdf > marksheet.pdf\n" +
			"   issuerkit get in.gov.cbse-SSCER-51000032025 --format link   # the /verify link with its token",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "doctype", Destination: &o.DocType, Usage: "document `TYPE` to search (with --roll/--year or --key)"},
			&cli.StringFlag{Name: "roll", Destination: &o.Roll, Usage: "roll number (search key RollNo)"},
			&cli.StringFlag{Name: "year", Destination: &o.Year, Usage: "examination year (search key Year)"},
			&cli.StringSliceFlag{Name: "key", Destination: &o.Key, Usage: "other search key as `NAME=VALUE` (repeatable)"},
			&cli.StringFlag{Name: "format", Value: "xml", Destination: &o.Format, Usage: "output format: xml (the signed document), json (the Certificate as JSON, see README), pdf (a printable A4 page with a QR code, signed: PAdES) or link (the document's /verify link with its token, as the QR code carries it)"},
		},
		Action: func(c *cli.Context) error {
			format := o.Format
			if format != "xml" && format != "json" && format != "pdf" && format != "link" {
				return usageErr("--format %q: want xml, json, pdf or link", format)
			}
			search := map[string]string{}
			if v := o.Roll; v != "" {
				search["RollNo"] = v
			}
			if v := o.Year; v != "" {
				search["Year"] = v
			}
			for _, kv := range o.Key.Value() {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usageErr("--key %q: want NAME=VALUE", kv)
				}
				search[k] = v
			}
			byURI := c.NArg() == 1 && len(search) == 0 && o.DocType == ""
			bySearch := c.NArg() == 0 && len(search) > 0 && o.DocType != ""
			if !byURI && !bySearch {
				return usageErr("get: give a URI, or --doctype with --roll/--year or --key (see `issuerkit get --help`)")
			}
			r, err := openRepo(c, true)
			if err != nil {
				return err
			}
			defer r.Close()
			cat := r.Catalog
			var doc repository.Document
			if byURI {
				u, err := xmlschema.ParseURI(c.Args().First())
				if err != nil {
					return usageErr("%v", err)
				}
				doc, err = cat.Current(c.Context, u.String())
				if errors.Is(err, repository.ErrNotFound) {
					return fmt.Errorf("no document %s in this home", u)
				}
				if err != nil {
					return err
				}
			} else {
				doc, err = cat.FindBySearchKey(c.Context, o.DocType, repository.SearchKey(search))
				if errors.Is(err, repository.ErrNotFound) {
					return missingSearchKeys(c.Context, cat, o.DocType, search)
				}
				if err != nil {
					return err
				}
			}
			if (format == "link" || format == "pdf") && r.Home.Config.API.PublicURL == "" {
				fmt.Fprintf(e.stderr, "get: api.public_url is not set in issuerkit.yaml: the /verify link%s names %s, which only this machine may reach; set it to the address holders reach\n",
					map[bool]string{true: " in the PDF's QR code"}[format == "pdf"], r.Home.PublicURL(""))
			}
			if format == "link" {
				return printLink(e, r.Home, doc)
			}
			data, err := repository.GetVerified(c.Context, r.Store, doc)
			if err != nil {
				return err
			}
			if doc.Held(time.Now()) {
				// The operator sees it; lockers and /verify do not, yet.
				fmt.Fprintf(e.stderr, "get: %s is held until %s: not public yet (`issuerkit release` releases it)\n", doc.URI, report.ISTTime(doc.ReleaseAt))
			}
			if format == "pdf" {
				if data, err = issuer.RenderPDF(r.Home, data, doc.URI); err != nil {
					return err
				}
			}
			if format == "json" {
				if data, err = xmlschema.MarshalJSONDocument(data); err != nil {
					return err
				}
				data = append(data, '\n')
			}
			_, err = e.stdout.Write(data)
			return err
		},
	}
}
