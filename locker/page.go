package locker

import "html/template"

// linkPageCSS is the look the signed-link pages share.
const linkPageCSS = `body{font-family:system-ui,sans-serif;margin:2rem auto;padding:0 1rem;max-width:46rem;color:#222}
h1{font-size:1.4rem;border-bottom:3px solid #3f51b5;padding-bottom:.4rem}`

// issuedPage is a citizen's "Issued Documents" section, shaped like the
// locker's own: one card per document with its issuer, name, id and date.
var issuedPage = template.Must(template.New("issued").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Issued Documents</title>
<style>
` + linkPageCSS + `
.card{border:1px solid #ddd;border-radius:6px;padding:.8rem 1rem;margin:.7rem 0;display:flex;justify-content:space-between;align-items:center}
.name{font-weight:600}.meta{color:#666;font-size:.9rem}a.btn{background:#3f51b5;color:#fff;padding:.75rem 1.1rem;border-radius:4px;text-decoration:none;display:inline-block}
</style></head><body>
<h1>Issued Documents</h1>
<p class="meta">{{len .Docs}} document(s) in this locker.</p>
{{range .Docs}}<div class="card"><div><div class="name">{{.DocName}}</div>
<div class="meta">{{.Issuer}} · {{.DocType}} · No. {{.DocID}} · issued {{.IssuedOn}}{{if .ValidTo}} · valid to {{.ValidTo}}{{end}}</div>
<div class="meta">{{.URI}}</div></div>
<a class="btn" href="issued/{{.URI}}?{{$.Link}}">View</a></div>
{{else}}<p>No documents have been issued to this locker yet.</p>{{end}}
</body></html>
`))

// linkMessagePage tells a citizen on a signed link what went wrong, in
// words, where a script gets JSON.
var linkMessagePage = template.Must(template.New("message").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>` + linkPageCSS + `</style></head><body>
<h1>{{.Title}}</h1><p>{{.Message}}</p>
</body></html>
`))
