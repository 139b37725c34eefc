package locker

import "html/template"

// pages holds the citizen pages' templates: one layout, readable on a
// phone, no script.
var pages = template.Must(template.New("layout").Parse(`{{define "top"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Reference DigiLocker</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#f6f7fb}
header{background:#3f51b5;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.8rem;align-items:center}
header a,header button{color:#fff;text-decoration:none;background:none;border:0;font:inherit;cursor:pointer;padding:.7rem .3rem;min-height:44px;display:inline-block;box-sizing:border-box}
header .brand{font-weight:700;margin-right:auto}
main{max-width:46rem;margin:1rem auto;padding:0 1rem}
h1{font-size:1.35rem}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8rem 1rem;margin:.7rem 0}
.meta{color:#666;font-size:.9rem}
label{display:block;margin:.6rem 0 .2rem}
input{font-size:1rem;padding:.45rem;width:100%;max-width:20rem;box-sizing:border-box}
button.btn,a.btn{background:#3f51b5;color:#fff;padding:.75rem 1.1rem;border:0;border-radius:4px;font-size:1rem;text-decoration:none;display:inline-block;margin-top:.6rem;cursor:pointer}
button.deny{background:#b71c1c}
.error{background:#fdecea;border:1px solid #f5c2c0;padding:.6rem;border-radius:4px}
.notice{background:#e8f5e9;border:1px solid #b9e0bc;padding:.6rem;border-radius:4px}
.ok{color:#1b5e20;font-weight:600}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.3rem;text-align:left}
</style></head><body>
<header><span class="brand">Reference DigiLocker</span>{{if .Citizen}}<a href="/issued">Issued Documents</a><a href="/issuers">Issuers</a>
<a href="/activity">Activity</a>{{if not .Citizen.Linked}}<a href="/aadhaar">Link Aadhaar</a>{{end}}
<form method="post" action="/logout" style="display:inline"><input type="hidden" name="csrf" value="{{.CSRF}}"><button id="logout">Sign out</button></form>{{end}}</header>
<main><h1>{{.Title}}</h1>
{{if and .Error (not .Field)}}<p class="error" id="error" role="alert">{{.Error}}</p>{{end}}{{if .Notice}}<p class="notice" id="notice">{{.Notice}}</p>{{end}}
{{end}}

{{define "bottom"}}</main></body></html>{{end}}

{{define "signin"}}{{template "top" .}}
<form method="post" action="/signin" class="card"><input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="next" value="{{.Data.Next}}">
<label for="mobile">Mobile number</label><input id="mobile" name="mobile" type="tel" inputmode="tel" autocomplete="tel" maxlength="20" value="{{.Data.Mobile}}" required{{if .ErrorAt "mobile"}} aria-invalid="true" aria-describedby="mobile-error" autofocus{{end}}>{{with .ErrorAt "mobile"}}<p class="error" id="mobile-error" role="alert">{{.}}</p>{{end}}
<button class="btn" id="send-otp">Send OTP</button></form>
<p class="meta">New here? Signing in with your mobile creates your locker; you choose a 6-digit security PIN.</p>
{{template "bottom" .}}{{end}}

{{define "otp"}}{{template "top" .}}
<form method="post" action="/signin/verify" class="card"><input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="next" value="{{.Data.Next}}">
<input type="hidden" name="mobile" value="{{.Data.Mobile}}">
<label for="otp">OTP (6 digits)</label><input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required{{if .ErrorAt "otp"}} aria-invalid="true" aria-describedby="otp-error" autofocus{{end}}>{{with .ErrorAt "otp"}}<p class="error" id="otp-error" role="alert">{{.}}</p>{{end}}
<label for="pin">Security PIN (6 digits; the first sign-in sets it)</label><input id="pin" name="pin" type="password" inputmode="numeric" maxlength="6" required{{if .ErrorAt "pin"}} aria-invalid="true" aria-describedby="pin-error" autofocus{{end}}>{{with .ErrorAt "pin"}}<p class="error" id="pin-error" role="alert">{{.}}</p>{{end}}
<button class="btn" id="verify">Sign in</button></form>
{{template "bottom" .}}{{end}}

{{define "aadhaar"}}{{template "top" .}}
<form method="post" action="/aadhaar" class="card"><input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="aadhaar">Aadhaar number</label><input id="aadhaar" name="aadhaar" inputmode="numeric" maxlength="16" autocomplete="off" required{{if .ErrorAt "aadhaar"}} aria-invalid="true" aria-describedby="aadhaar-error" autofocus{{end}}>{{with .ErrorAt "aadhaar"}}<p class="error" id="aadhaar-error" role="alert">{{.}}</p>{{end}}
<label for="name">Name as on Aadhaar</label><input id="name" name="name" value="{{.Data.Name}}" required{{if .ErrorAt "name"}} aria-invalid="true" aria-describedby="name-error" autofocus{{end}}>{{with .ErrorAt "name"}}<p class="error" id="name-error" role="alert">{{.}}</p>{{end}}
<label for="dob">Date of birth as on Aadhaar (DD-MM-YYYY)</label><input id="dob" name="dob" placeholder="DD-MM-YYYY" value="{{.Data.DOB}}" required{{if .ErrorAt "dob"}} aria-invalid="true" aria-describedby="dob-error" autofocus{{end}}>{{with .ErrorAt "dob"}}<p class="error" id="dob-error" role="alert">{{.}}</p>{{end}}
<button class="btn" id="link">Link Aadhaar</button></form>
<p class="meta">The sandbox takes the KYC details as given. The number is kept only encrypted and as a keyed hash.</p>
{{template "bottom" .}}{{end}}

{{define "issuers"}}{{template "top" .}}
{{if not .Citizen.Linked}}<p class="notice">Link your Aadhaar first: issuers match your name and date of birth. <a href="/aadhaar">Link Aadhaar</a></p>{{end}}
{{range $j, $is := .Data}}<section class="card"><h2>{{$is.Name}}</h2><p class="meta">{{$is.ID}}</p>
{{range $i, $dt := $is.DocTypes}}<form method="post" action="/pull" class="card" id="pull-{{$is.ID}}-{{$dt.DocType}}">{{with $.ErrorAt (printf "pull-%s-%s" $is.ID $dt.DocType)}}<p class="error" id="pull-error" role="alert">{{.}}</p>{{end}}<input type="hidden" name="csrf" value="{{$.CSRF}}">
<input type="hidden" name="issuer" value="{{$is.ID}}"><input type="hidden" name="doctype" value="{{$dt.DocType}}">
<strong>{{$dt.Name}}</strong> <span class="meta">{{$dt.DocType}}</span>
{{range $dt.Parameters}}<label for="p{{$j}}-{{$i}}-{{.}}">{{.}}</label><input id="p{{$j}}-{{$i}}-{{.}}" name="p.{{.}}" required>{{end}}
<button class="btn">Get document</button></form>{{else}}<p class="meta">No documents to pull from this issuer.</p>{{end}}</section>
{{else}}<p>No issuers are registered (issuerkit locker issuer add).</p>{{end}}
{{template "bottom" .}}{{end}}

{{define "issued"}}{{template "top" .}}
<p class="meta">{{len .Data}} document(s).</p>
{{range .Data}}<div class="card doc"><div><strong>{{.DocName}}</strong></div>
<div class="meta">{{.Issuer}} · {{.DocType}} · issued {{.IssuedOn}} · by {{.Source}}</div><div class="meta">{{.URI}}</div>
<a class="btn" href="/issued/{{.URI}}">View</a></div>
{{else}}<p>No documents yet. <a href="/issuers">Get one from an issuer</a>.</p>{{end}}
{{template "bottom" .}}{{end}}

{{define "document"}}{{template "top" .}}{{with .Data}}
<p class="ok" id="verified">✔ Signature verified ({{.Verified}})</p>
<div class="card"><table>
<tr><th>Document</th><td>{{.Held.DocName}} ({{.Held.DocType}})</td></tr>
<tr><th>Number</th><td>{{.Number}}</td></tr><tr><th>Issued by</th><td>{{.Held.Issuer}}</td></tr>
<tr><th>Issued on</th><td>{{.IssueDate}}</td></tr><tr><th>Status</th><td>{{.Status}}</td></tr>
<tr><th>Issued to</th><td id="holder">{{.Holder}}</td></tr><tr><th>Date of birth</th><td>{{.DOB}}</td></tr></table></div>
{{if .Subjects}}<div class="card"><table><tr><th>Subject</th><th>Marks</th><th>Max</th><th>Grade</th></tr>
{{range .Subjects}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table></div>{{end}}
<p><a class="btn" href="/api/me/issued/{{.Held.URI}}?format=xml">XML</a> <a class="btn" href="/api/me/issued/{{.Held.URI}}?format=json">JSON</a>
<a class="btn" href="/api/me/issued/{{.Held.URI}}?format=pdf">PDF</a></p>
{{if .VerifyURL}}<p class="meta">Anyone holding the printed copy can check it at the issuer: <a href="{{.VerifyURL}}">{{.VerifyURL}}</a> (with the code in the PDF's QR).</p>{{end}}
{{end}}{{template "bottom" .}}{{end}}

{{define "activity"}}{{template "top" .}}
<table class="card">{{range .Data}}<tr class="entry"><td class="meta"><time datetime="{{.At}}">{{.When}}</time></td><td>{{.What}}</td><td>{{.Detail}}</td></tr>{{else}}<tr><td>Nothing yet.</td></tr>{{end}}</table>
{{template "bottom" .}}{{end}}

{{define "consent"}}{{template "top" .}}{{with .Data}}
<div class="card"><p><strong id="requester">{{.Session.Requester.Name}}</strong> ({{.Session.Requester.ID}}) asks to read:</p>
<ul>{{range .Session.DocTypes}}<li>{{with index $.Data.Names .}}{{.}} {{end}}({{.}}){{if not (index $.Data.Held .)}} — <em>you hold none yet</em>{{end}}</li>{{end}}</ul>
<p>Purpose: <span id="purpose">{{.Session.Purpose}}</span></p>
<p>For how long: {{.Until}} after you allow it. This request waits until {{.Session.Expires.Format "15:04 MST"}}.</p>
<form method="post" action="/consent/{{.Session.ID}}"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<button class="btn" name="decision" value="grant" id="grant">Allow</button> <button class="btn deny" name="decision" value="deny" id="deny">Deny</button></form></div>
{{end}}{{template "bottom" .}}{{end}}

{{define "decided"}}{{template "top" .}}<p class="notice" id="decided">Your decision was recorded.</p>
<p><a class="btn" href="{{.Data}}">Return to the requester</a></p>{{template "bottom" .}}{{end}}

{{define "message"}}{{template "top" .}}<p><a href="/issued">Issued Documents</a></p>{{template "bottom" .}}{{end}}
`))
