package api

import "fmt"

// renderPDF returns the document's signed PDF, rendered and signed once per
// version and kept in the object cache under the version's hash;
// concurrent requests for a version not yet cached wait for one signature.
// A PDF that cannot be signed is an error: no unsigned PDF is served.
func (s *Server) renderPDF(f *found) (*object, error) {
	if o, ok := s.objects.get(renderedPDF, f.doc.ObjectSHA256); ok {
		return o, nil
	}
	v, err, _ := s.pdfs.Do(f.doc.ObjectSHA256, func() (any, error) {
		if o, ok := s.objects.get(renderedPDF, f.doc.ObjectSHA256); ok {
			return o, nil
		}
		raw, err := f.obj.raw()
		if err != nil {
			return nil, err
		}
		b, err := s.cfg.PDF.Render(raw, f.doc.URI)
		if err != nil {
			return nil, err
		}
		o := newObject(b)
		s.objects.put(renderedPDF, f.doc.ObjectSHA256, o)
		return o, nil
	})
	if err != nil {
		return nil, fmt.Errorf("render %s as PDF: %w", f.doc.URI, err)
	}
	return v.(*object), nil
}
