package repository

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkApplySQLite: one ingest commit, 500 new documents with their
// pushes, in one Apply (the pipeline's batch).
func BenchmarkApplySQLite(b *testing.B) {
	c, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "catalog.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.StartBatch(ctx, Batch{ID: "b"}); err != nil {
		b.Fatal(err)
	}
	n := 0
	changes := make([]Change, 500)
	b.ReportAllocs()
	for b.Loop() {
		for i := range changes {
			n++
			id := fmt.Sprintf("%09d", n)
			changes[i] = Change{Doc: Document{URI: "in.gov.bench-SSCER-" + id, DocType: "SSCER", DocID: id, Version: 1,
				ObjectKey: "in.gov.bench/SSCER/" + id + "/v1.xml", ObjectSHA256: "ab", ContentHash: "h", Status: "A",
				SearchKey: "RollNo=" + id, UIDHash: "u" + id, HolderName: "N", HolderDOB: "01-01-2000", IssueDate: "01-05-2025"},
				Size: 2300, Outbox: &OutboxEntry{Action: ActionAdd, DocName: "Marksheet", IssuedOn: "01/05/2025",
					ValidFrom: "01/05/2025", AadhaarEnc: make([]byte, 60)}}
		}
		if err := c.Apply(ctx, "b", changes, &Watermark{Seq: n}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(changes))/b.Elapsed().Seconds(), "docs/s")
}
