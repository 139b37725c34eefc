package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/store"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// StatusChange is a lifecycle operation on one issued document.
type StatusChange struct {
	URI    string
	Action string // repository.AuditRevoke, AuditSuspend or AuditReinstate
	Reason string // required; goes to the audit log
	Actor  string // who asked; goes to the audit log
}

// transitions: for each action, the statuses it applies to and the one it
// sets, and the push it queues (a revoked document leaves the locker; a
// suspended or reinstated one is updated there).
var transitions = map[string]struct {
	from []xmlschema.Status
	to   xmlschema.Status
	push string
}{
	repository.AuditRevoke:    {[]xmlschema.Status{xmlschema.StatusActive, xmlschema.StatusSuspended, xmlschema.StatusExpired}, xmlschema.StatusRevoked, repository.ActionDelete},
	repository.AuditSuspend:   {[]xmlschema.Status{xmlschema.StatusActive}, xmlschema.StatusSuspended, repository.ActionUpdate},
	repository.AuditReinstate: {[]xmlschema.Status{xmlschema.StatusSuspended}, xmlschema.StatusActive, repository.ActionUpdate},
}

// ErrTransition: the document's status does not allow the change.
var ErrTransition = errors.New("status does not allow this change")

// ChangeStatus re-signs the current version of a document with a new
// status as a new version (every old version is kept), records it with
// its audit entry, and queues the push to the holder's locker. The object
// is stored and made durable before the catalog references it.
func ChangeStatus(ctx context.Context, d Deps, ch StatusChange) (repository.Document, error) {
	tr, ok := transitions[ch.Action]
	if !ok {
		return repository.Document{}, fmt.Errorf("unknown lifecycle action %q", ch.Action)
	}
	if strings.TrimSpace(ch.Reason) == "" {
		return repository.Document{}, errors.New("a reason is required: it is kept in the audit log")
	}
	u, err := xmlschema.ParseURI(ch.URI)
	if err != nil {
		return repository.Document{}, err
	}
	cur, err := d.Catalog.Current(ctx, ch.URI)
	if err != nil {
		return repository.Document{}, err
	}
	allowed := false
	for _, s := range tr.from {
		allowed = allowed || cur.Status == s
	}
	if !allowed {
		return repository.Document{}, fmt.Errorf("%s is %s: cannot %s it: %w", ch.URI, statusName(cur.Status), ch.Action, ErrTransition)
	}
	old, err := repository.GetVerified(ctx, d.Store, cur)
	if err != nil {
		return repository.Document{}, err
	}
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	if err := doc.ReadFromBytes(old); err != nil {
		return repository.Document{}, fmt.Errorf("%s v%d: %w", ch.URI, cur.Version, err)
	}
	root := doc.Root()
	if sig := root.SelectElement("Signature"); sig != nil {
		root.RemoveChild(sig)
	}
	root.CreateAttr("status", string(tr.to))
	if err := d.Signer.Sign(doc); err != nil {
		return repository.Document{}, err
	}
	data, err := xmlschema.Bytes(doc)
	if err != nil {
		return repository.Document{}, err
	}
	next := cur
	next.Version = cur.Version + 1
	next.Status = tr.to
	next.ObjectKey = store.ObjectKey(u, next.Version)
	sum := sha256.Sum256(data)
	next.ObjectSHA256 = hex.EncodeToString(sum[:])
	var rep []replaced
	if err := d.Store.Put(ctx, next.ObjectKey, data); err != nil {
		old, err := replaceOrphan(ctx, d, next, data, err)
		if err != nil {
			return repository.Document{}, err
		}
		rep = append(rep, old)
	}
	change := repository.Change{Doc: next, PrevVersion: cur.Version, Size: int64(len(data)),
		AuditAction: ch.Action, Actor: ch.Actor, Reason: ch.Reason}
	if last, err := d.Catalog.LastPush(ctx, ch.URI); err == nil {
		o := &repository.OutboxEntry{Action: tr.push, DocName: last.DocName, IssuedOn: last.IssuedOn,
			ValidFrom: last.ValidFrom, ValidTo: last.ValidTo, AadhaarEnc: last.AadhaarEnc}
		change.Outbox = o
	} else if !errors.Is(err, repository.ErrNotFound) {
		return repository.Document{}, err
	}
	batch := ch.Action + "-" + time.Now().UTC().Format("20060102T150405Z")
	if err := d.Catalog.Apply(ctx, batch, []repository.Change{change}, nil); err != nil {
		if errors.Is(err, repository.ErrConflict) {
			err = errors.Join(err, restoreReplaced(context.WithoutCancel(ctx), d, rep))
		}
		return repository.Document{}, err
	}
	next.BatchID = batch
	return next, nil
}

func statusName(s xmlschema.Status) string {
	switch s {
	case xmlschema.StatusActive:
		return "active"
	case xmlschema.StatusRevoked:
		return "revoked"
	case xmlschema.StatusSuspended:
		return "suspended"
	case xmlschema.StatusExpired:
		return "expired"
	}
	return string(s)
}
