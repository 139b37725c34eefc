package ingest

import (
	"hash/maphash"
	"math/bits"
	"unsafe"
)

// docIDSet remembers where each DocID of a batch was first seen, in 12
// bytes a slot (13 when the batch has several inputs) off the Go heap: a
// keyed 64-bit hash of the DocID and its line, with linear probing, grown
// by doubling at 80% load, or sized once from an estimate of the input's
// rows (reserve). The table need not be a power of two (a hash picks its
// slot by multiplying, not masking), so a reserved one is no larger than
// 80% load needs: a 5-million-row input takes 75 MB (6.6M slots), where a
// map of strings took ~75 bytes a row.
//
// Two different DocIDs share a hash with probability about n²/2⁶⁵ (7 in
// ten million at n = 5M); the later one would then be reported as a
// duplicate of the earlier.
type docIDSet struct {
	seed   maphash.Seed
	keys   []uint64 // 0: empty (a hash of 0 is stored as 1)
	lines  []uint32
	inputs []uint8 // nil until a DocID of input > 0 is remembered
	n      int
	blocks [][]byte // the memory of keys, lines and inputs, to release
}

func newDocIDSet() *docIDSet {
	s := &docIDSet{seed: maphash.MakeSeed()}
	s.alloc(1<<12, false)
	return s
}

func (s *docIDSet) hash(docID string) uint64 {
	h := maphash.String(s.seed, docID)
	if h == 0 {
		h = 1
	}
	return h
}

// reserve makes room for n DocIDs in all at once, so that the set does not
// double (holding the old and the new table for a moment, 1.5 × the
// memory) while they arrive.
func (s *docIDSet) reserve(n int) {
	if slots := (n*5 + 3) / 4; slots > len(s.keys) {
		s.rehash(slots, s.inputs != nil)
	}
}

// home is the slot where h's probe starts: h scaled to the table's size.
func (s *docIDSet) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(s.keys)))
	return int(hi)
}

// get reports where docID was first seen.
func (s *docIDSet) get(docID string) (seenAt, bool) {
	h := s.hash(docID)
	for i := s.home(h); ; i = s.next(i) {
		switch s.keys[i] {
		case 0:
			return seenAt{}, false
		case h:
			at := seenAt{line: int32(s.lines[i])}
			if s.inputs != nil {
				at.input = int32(s.inputs[i])
			}
			return at, true
		}
	}
}

// put records docID at at, unless it is already there.
func (s *docIDSet) put(docID string, at seenAt) {
	if at.input > 0 && s.inputs == nil {
		s.addInputs()
	}
	if (s.n+1)*5 > len(s.keys)*4 {
		s.grow()
	}
	if s.insert(s.hash(docID), uint32(at.line), uint8(min(at.input, 255))) {
		s.n++
	}
}

// next is the slot after i, wrapping around.
func (s *docIDSet) next(i int) int {
	if i++; i == len(s.keys) {
		return 0
	}
	return i
}

func (s *docIDSet) insert(h uint64, line uint32, input uint8) bool {
	for i := s.home(h); ; i = s.next(i) {
		switch s.keys[i] {
		case 0:
			s.keys[i], s.lines[i] = h, line
			if s.inputs != nil {
				s.inputs[i] = input
			}
			return true
		case h:
			return false
		}
	}
}

// alloc gives the set empty tables of n slots.
func (s *docIDSet) alloc(n int, inputs bool) {
	size := n * 12
	if inputs {
		size += n
	}
	b := allocOffHeap(size)
	s.blocks = append(s.blocks, b)
	s.keys = unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), n)
	s.lines = unsafe.Slice((*uint32)(unsafe.Pointer(&b[n*8])), n)
	s.inputs = nil
	if inputs {
		s.inputs = b[n*12 : n*13]
	}
}

func (s *docIDSet) grow() { s.rehash(len(s.keys)*2, s.inputs != nil) }

func (s *docIDSet) addInputs() { s.rehash(len(s.keys), true) }

// rehash moves every entry into new tables of n slots.
func (s *docIDSet) rehash(n int, inputs bool) {
	keys, lines, ins, old := s.keys, s.lines, s.inputs, s.blocks
	s.blocks = nil
	s.alloc(n, inputs)
	for i, h := range keys {
		if h == 0 {
			continue
		}
		var in uint8
		if ins != nil {
			in = ins[i]
		}
		s.insert(h, lines[i], in)
	}
	for _, b := range old {
		freeOffHeap(b)
	}
}

// release returns the set's memory; the set must not be used after.
func (s *docIDSet) release() {
	for _, b := range s.blocks {
		freeOffHeap(b)
	}
	s.blocks, s.keys, s.lines, s.inputs = nil, nil, nil, nil
}

// uriSet is a set of URIs by keyed 64-bit hash off the Go heap (a
// docIDSet whose lines go unused: 12 bytes a slot), for the URIs the
// catalog already has (a hit is then confirmed by the catalog, so a
// collision costs a lookup, never a wrong answer).
type uriSet struct{ ids *docIDSet }

func newURISet() *uriSet { return &uriSet{ids: newDocIDSet()} }

func (u *uriSet) add(uri string) { u.ids.put(uri, seenAt{}) }

func (u *uriSet) mayHave(uri string) bool {
	_, ok := u.ids.get(uri)
	return ok
}

func (u *uriSet) release() { u.ids.release() }
