#!/usr/bin/env bash
# make demo: the whole pipeline on the embedded defaults (SQLite catalog,
# filesystem store) in ./demo, narrated. Needs only the built binary.
set -euo pipefail
BIN=${1:-bin/issuerkit}
DEMO=demo
HOME_DIR=$DEMO/home
ik() { "$BIN" --home "$HOME_DIR" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$DEMO"
mkdir -p "$DEMO"

step "1. Create an issuer home for the Central Board of Secondary Education"
ik init --issuer-id in.gov.cbse --issuer-name "Central Board of Secondary Education" --issuer-type CG

step "1b. Before registering the DocType with DigiLocker: check the profile against the official schema"
"$BIN" profile check --profile samples/profiles/cbse-sscer.yaml samples/cbse-sscer-2025.csv

step "2. Issue the sample Class X results (24 students) as signed marksheets"
ik ingest --profile samples/profiles/cbse-sscer.yaml samples/cbse-sscer-2025.csv

step "3. The same results again, this time from the board's spreadsheet (XLSX): nothing is issued twice"
ik ingest --profile samples/profiles/cbse-sscer.yaml samples/cbse-sscer-2025.xlsx

step "4. A student's marksheet by roll number and year"
ik get --doctype SSCER --roll 7500003 --year 2025 > "$DEMO/marksheet-7500003.xml"
grep -o '<Person [^>]*>' "$DEMO/marksheet-7500003.xml" | sed -n 1p
grep -o '<Performance [^>]*>' "$DEMO/marksheet-7500003.xml" | sed -n 1p
echo "(saved as $DEMO/marksheet-7500003.xml; the Aadhaar is masked in the document)"

step "5. Verify its signature, then a copy with one mark changed"
sed 's/marksTheory="\([0-9]\)/marksTheory="9/' "$DEMO/marksheet-7500003.xml" > "$DEMO/tampered.xml"
ik verify "$DEMO/marksheet-7500003.xml" "$DEMO/tampered.xml" || echo "(the tampered copy fails, as it must)"

step "6. A locker pulls the marksheet through the repository API (Pull URI, HMAC-signed)"
API=127.0.0.1:18480
LOCKER=127.0.0.1:18490
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; return 1; }
"$BIN" --home "$HOME_DIR" --log-level warn serve --addr $API &
PIDS+=($!)
wait_port $API
PULL="go run ./internal/tools/pull -url http://$API -api-key-file $HOME_DIR/keys/api-key"
echo "right name and date of birth:"
$PULL -doctype SSCER -name "MEERA NAIR" -dob 11-12-2009 -param RollNo=7500003 -param Year=2025
echo "wrong date of birth (answered exactly as an unknown roll number):"
$PULL -doctype SSCER -name "Meera Nair" -dob 12-12-2009 -param RollNo=7500003 -param Year=2025
echo "results day: 5,000 such requests from 16 clients at once (each audited; make bench runs 64 clients on 100,000 documents):"
$PULL -doctype SSCER -name "Meera Nair" -dob 11-12-2009 -param RollNo=7500003 -param Year=2025 -n 5000 -c 16

step "6b. The same pull as DigiLocker's v1.13 template writes it: default namespace, ver 3.0, keyhash, extra fields"
KEY=$(cat "$HOME_DIR/keys/api-key")
TS=2025-06-01T10:00:00+05:30
KEYHASH=$(printf %s "$KEY$TS" | openssl dgst -sha256 | awk '{print $NF}')
BODY='<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<PullURIRequest xmlns="http://tempuri.org/" ver="3.0" ts="'$TS'" txn="demo-v113" orgId="in.gov.digilocker" keyhash="'$KEYHASH'" format="xml">
 <DocDetails>
    <DocType>SSCER</DocType>
    <DigiLockerId>123e4567-e89b-12d3-a456-426655440000</DigiLockerId>
    <UID></UID>
    <FullName> Meera Nair </FullName>
    <DOB>11-12-2009</DOB>
    <Mobile>6552475663</Mobile>
    <RollNo>7500003</RollNo>
    <Year>2025</Year>
 </DocDetails>
</PullURIRequest>'
SIG=$(printf %s "$BODY" | openssl dgst -sha256 -hmac "$KEY" | awk '{printf "%s", $NF}' | base64 -w0)
curl -sS -H "Content-Type: application/xml" -H "x-digilocker-hmac: $SIG" --data-binary "$BODY" "http://$API/digilocker/pulluri" |
  sed -e 's#<DataContent>[^<]*</DataContent>#<DataContent>…signed Certificate, base64…</DataContent>#'
echo
echo "(HTTP 200, Status 1; Mobile was ignored; the reply's Person says gender=\"Female\")"

step "7. Push every marksheet to its student's locker (the reference locker, started here)"
"$BIN" locker issuer add --data "$DEMO/locker" --id in.gov.cbse --api-key-file "$HOME_DIR/keys/api-key" \
  --pull-url "http://$API" --cert "$HOME_DIR/keys/signing.crt" \
  --name "Central Board of Secondary Education" --doctype "SSCER=Class X Marksheet:RollNo,Year"
"$BIN" --log-level warn locker serve --data "$DEMO/locker" --addr $LOCKER &
PIDS+=($!)
wait_port $LOCKER
ik --log-level warn push --once --gateway "http://$LOCKER"

step "8. The locker lists what it received (citizens are keyed hashes, never Aadhaar numbers)"
"$BIN" locker list --data "$DEMO/locker" > "$DEMO/locker-list.txt"
head -6 "$DEMO/locker-list.txt"
echo "…"

step "9. Meera opens her locker's Issued Documents and fetches her marksheet through it"
# Her pages open only with a signed link (a real locker signs her in).
LINK=$(sed -n 2p samples/cbse-sscer-2025.csv | cut -d, -f9 | "$BIN" locker citizen --data "$DEMO/locker" --link --base "http://$LOCKER")
curl -fsS "$LINK" | grep -E '"(uri|doc_name|issued_on)"'
PAGE=${LINK%%\?*} QUERY=${LINK#*\?}
curl -fsS -D "$DEMO/fetch-headers.txt" -o "$DEMO/from-locker.xml" "$PAGE/in.gov.cbse-SSCER-75000032025?$QUERY"
grep -i '^x-signature-verified' "$DEMO/fetch-headers.txt"
ik verify "$DEMO/from-locker.xml"
echo "(the locker pulled it from the board's API, checked the signature, and so did we; without the link: HTTP $(curl -s -o /dev/null -w '%{http_code}' "$PAGE"))"

step "9b. A bank verifies Meera's marksheet with her consent: the API Setu certificate API"
ik requester add --id bank.example --api-key-file "$DEMO/bank.key" --doctypes SSCER
# The consent manager (DigiLocker, in real life) signs what Meera agreed to; the board trusts its certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$DEMO/cm.key" -out "$DEMO/cm.crt" \
  -subj "/CN=Demo consent manager" -days 2 2>/dev/null
ik consent trust --id demo-cm --cert "$DEMO/cm.crt"
# The reference locker is a consent manager too (step 11b reads through this API); a running serve
# sees a newly trusted manager within 5 seconds, so the board trusts both before the first request.
"$BIN" locker cm-cert --data "$DEMO/locker" > "$DEMO/locker-cm.pem"
ik consent trust --id issuerkit-locker-cm --cert "$DEMO/locker-cm.pem"
MEERA_UID=$(sed -n 2p samples/cbse-sscer-2025.csv | cut -d, -f9)
cat > "$DEMO/consent.json" <<EOT
{"dataConsumer": {"id": "bank.example"}, "dataProvider": {"id": "in.gov.cbse"},
 "purpose": {"description": "education loan"}, "user": {"idType": "AADHAAR", "idNumber": "$MEERA_UID"},
 "data": {"id": "in.gov.cbse-SSCER-75000032025"},
 "permission": {"access": "VIEW", "frequency": {"unit": "DAY", "value": 1, "repeats": 3}}}
EOT
"$BIN" consent sign --key "$DEMO/cm.key" --consent "$DEMO/consent.json" > "$DEMO/artifact.json"
certificate() { # ARTIFACT-FILE OUT-FILE: the bank's request, as API Setu forwards it
  printf '{"txnId": "%s", "format": "xml", "certificateParameters": {"rollno": "7500003", "year": "2025", "FullName": "Meera Nair", "DOB": "11-12-2009"}, "consentArtifact": %s}' \
    "$(cat /proc/sys/kernel/random/uuid)" "$(cat "$1")" |
  curl -sS -H "X-APISETU-CLIENTID: bank.example" -H "X-APISETU-APIKEY: $(cat "$DEMO/bank.key")" -H 'Content-Type: application/json' \
    --data-binary @- -o "$2" -w "HTTP %{http_code} %{content_type}\n" "http://$API/apisetu/sscer/certificate"
}
certificate "$DEMO/artifact.json" "$DEMO/bank-copy.xml"
ik verify "$DEMO/bank-copy.xml"
echo "the same artifact with the purpose changed after signing:"
sed 's/education loan/car loan/' "$DEMO/artifact.json" > "$DEMO/tampered-artifact.json"
certificate "$DEMO/tampered-artifact.json" "$DEMO/refused.json" || true
cat "$DEMO/refused.json"; echo
echo "what Meera's document's audit log says (the bank learns only 'not authorized'):"
sleep 0.5 # serve writes its audit entries in batches, every quarter second
ik audit --uri in.gov.cbse-SSCER-75000032025 | grep -E '^ID|apisetu'

step "10. The board revokes a marksheet issued in error: a re-signed version 2, a D push, an audit entry"
ik revoke in.gov.cbse-SSCER-75000102025 --reason "issued in error (ticket 4411)"
ik --log-level warn push --once --gateway "http://$LOCKER"
"$BIN" locker list --data "$DEMO/locker" | grep -E "^URI|75000102025"
# /verify opens with the document's token, as its PDF's QR code carries it (get --format link).
VERIFY=$(ik get in.gov.cbse-SSCER-75000102025 --format link)
curl -fsS -H 'Accept: application/json' "http://$API/${VERIFY#http://*/}" | head -c 400; echo
echo "without the token, as for an unknown document: HTTP $(curl -s -o /dev/null -w '%{http_code}' "http://$API/verify/in.gov.cbse-SSCER-75000102025")"
ik audit --uri in.gov.cbse-SSCER-75000102025
ik audit --verify-chain

step "11. Results day: the supplementary exam's results go in the evening before, held until noon"
"$BIN" samples gen --rows 30 --seed 21 --out "$DEMO/supplementary.csv"
ik ingest --quiet --profile samples/profiles/cbse-sscer.yaml --release-at "$(date -d tomorrow +%Y-%m-%d)T12:00" "$DEMO/supplementary.csv"
echo "a locker asks for one before the release (Status 9: known, not issued yet):"
$PULL -doctype SSCER -name "Mohammed Joshi" -dob 10-09-2009 -param RollNo=7100003 -param Year=2025
ik --log-level warn push --once --gateway "http://$LOCKER"
echo "noon: the board releases them (the running API notices at once):"
ik release --doctype SSCER
sleep 0.2
$PULL -doctype SSCER -name "Mohammed Joshi" -dob 10-09-2009 -param RollNo=7100003 -param Year=2025
ik --log-level warn push --once --gateway "http://$LOCKER"

step "11b. The locker as a DigiLocker sandbox: Meera signs in, pulls her marksheet by roll number, a bank reads it with her consent through the board's certificate API"
L=http://$LOCKER
JAR=$DEMO/meera.cookies
J='Content-Type: application/json'
MOBILE=6552475663
curl -fsS -H "$J" -d '{"mobile":"'$MOBILE'"}' "$L/api/auth/otp"; echo
OTP=$("$BIN" locker otp --data "$DEMO/locker" --mobile $MOBILE)
echo "the sandbox's SMS outbox (issuerkit locker otp --mobile $MOBILE): $OTP"
echo "she signs in with it and sets her 6-digit security PIN:"
curl -fsS -c "$JAR" -H "$J" -d '{"mobile":"'$MOBILE'","otp":"'$OTP'","pin":"246810"}' "$L/api/auth/verify"; echo
echo "she links her Aadhaar with the name and date of birth on it (kept encrypted and as a keyed hash):"
AADHAAR=$(sed -n 2p samples/cbse-sscer-2025.csv | cut -d, -f9)
curl -fsS -b "$JAR" -H "$J" -d '{"aadhaar":"'$AADHAAR'","name":"Meera Nair","dob":"11-12-2009"}' "$L/api/me/aadhaar" | grep -E '"aadhaar_(linked|last4)"'
echo "she browses the board and enters her Roll No and Year (the locker sends the board's Pull URI, UID as MD5, HMAC):"
curl -fsS "$L/api/issuers" | grep -E '"(id|name|parameters)"' | head -4
curl -fsS -b "$JAR" -H "$J" -d '{"issuer":"in.gov.cbse","doctype":"SSCER","parameters":{"RollNo":"7500003","Year":"2025"}}' "$L/api/me/pull"; echo
curl -fsS -b "$JAR" -D "$DEMO/sandbox-headers.txt" -o "$DEMO/meera-from-sandbox.xml" "$L/api/me/issued/in.gov.cbse-SSCER-75000032025?format=xml"
grep -i '^x-signature-verified' "$DEMO/sandbox-headers.txt"
echo "the locker reads requesters' documents through the board's certificate API: the board, trusting its consent-manager"
echo "certificate since step 9b, registers it as a requester; the locker's registration of the board names the API:"
ik requester add --id issuerkit-locker --api-key-file "$DEMO/locker-setu.key" --doctypes SSCER
"$BIN" locker issuer add --data "$DEMO/locker" --id in.gov.cbse --api-key-file "$HOME_DIR/keys/api-key" \
  --pull-url "http://$API" --cert "$HOME_DIR/keys/signing.crt" \
  --name "Central Board of Secondary Education" --doctype "SSCER=Class X Marksheet:RollNo,Year" \
  --apisetu-url "http://$API" --apisetu-client-id issuerkit-locker --apisetu-key-file "$DEMO/locker-setu.key"
echo "a bank registers as a requester and opens a consent session (seed 004):"
"$BIN" locker requester add --data "$DEMO/locker" --id bank.example --name "Example Bank" --api-key-file "$DEMO/bank.key" \
  --redirect-url https://bank.example/digilocker/done
BANK=(-H "Authorization: bank.example" -H "x-api-key: $(cat "$DEMO/bank.key")")
SESSION=$(curl -fsS "${BANK[@]}" -H "$J" -d '{"flow":"signin","doc_types":["SSCER"],"purpose":"Education loan"}' "$L/kyc/digilocker/sessions/init")
echo "$SESSION"
SID=$(echo "$SESSION" | grep -o '"session_id": *"[^"]*"' | cut -d'"' -f4)
echo "before she decides, the bank gets HTTP $(curl -s -o /dev/null -w '%{http_code}' "${BANK[@]}" "$L/kyc/digilocker/sessions/$SID/documents/SSCER")"
echo "she allows it (in a browser: the authorization_url's consent screen):"
curl -fsS -b "$JAR" -H "$J" -d '{"session_id":"'$SID'","grant":true}' "$L/api/me/consents" | grep '"status"'
curl -fsS "${BANK[@]}" "$L/kyc/digilocker/sessions/$SID/status" | grep '"status"'
curl -fsS "${BANK[@]}" "$L/kyc/digilocker/sessions/$SID/documents/SSCER" | grep -E '"(uri|doc_type|issuer|signature_verified)"'
echo "the board's audit log: the locker's read, under a consent artifact it signed for the bank's purpose:"
sleep 0.5 # serve writes its audit entries in batches, every quarter second
ik audit --uri in.gov.cbse-SSCER-75000032025 | grep -E '^ID|apisetu:issuerkit-locker'
echo "her activity, newest first:"
curl -fsS -b "$JAR" "$L/api/me/activity" | grep '"action"' | head -8
echo "(in a browser: $L/signin, then Issuers, Issued Documents, a document, Activity; /consent/{session_id} for a request)"
kill "${PIDS[@]}"; wait "${PIDS[@]}" 2>/dev/null || true
trap - EXIT

step "12. Meera's marksheet as a printable PDF, with a QR code of its /verify page"
ik get --doctype SSCER --roll 7500003 --year 2025 --format pdf > "$DEMO/marksheet-7500003.pdf"
echo "$DEMO/marksheet-7500003.pdf: $(wc -c < "$DEMO/marksheet-7500003.pdf") bytes, A4, set in the Noto fonts built into the binary;"
echo "its QR code links to $(ik get in.gov.cbse-SSCER-75000032025 --format link) (api.public_url, with the document's token)"
echo "it is signed (PAdES) by the board's key:"
ik verify "$DEMO/marksheet-7500003.pdf"
if command -v pdfsig >/dev/null; then pdfsig "$DEMO/marksheet-7500003.pdf" | grep -E "Common Name|Total document|Signature Validation"; fi
echo "and the same marksheet as JSON (get --format json), first lines:"
ik get --doctype SSCER --roll 7500003 --year 2025 --format json > "$DEMO/marksheet-7500003.json"
head -12 "$DEMO/marksheet-7500003.json"

step "13. A results file with mistakes: 40 rows, about a quarter of them bad"
"$BIN" samples gen --rows 40 --seed 11 --bad-rate 0.25 --out "$DEMO/results-with-errors.csv"
set +e
ik ingest --profile samples/profiles/cbse-sscer.yaml --rejects "$DEMO/rejects.csv" "$DEMO/results-with-errors.csv"
code=$?
set -e
echo "(exit code $code: good rows issued, bad rows reported in $DEMO/rejects.csv, mode 0600)"

step "14. Another issuer, another kind of document: a transport department's driving licences"
"$BIN" --home "$DEMO/transport" init --issuer-id in.gov.transport --issuer-name "Transport Department" --key-type ecdsa-p256 | sed -n 1p
"$BIN" --home "$DEMO/transport" ingest --profile samples/profiles/transport-drvlc.yaml samples/transport-drvlc.xlsx
"$BIN" --home "$DEMO/transport" get --doctype DRVLC --key LicenceNo=KA01-20142500000 | grep -o '<DrivingLicense [^>]*>' | cut -c1-300

step "15. Status of the board's repository"
ik status

cat <<EOT

Done. Everything is in ./$DEMO: the homes (config, keys, catalog.db, store/), the locker's
data, the fetched marksheets and the rejects report. Every document is signed XML-DSig (RSA-SHA256, exclusive
C14N) and can also be checked independently:
  xmlsec1 --verify --trusted-pem $HOME_DIR/keys/signing.crt $DEMO/marksheet-7500003.xml
EOT
