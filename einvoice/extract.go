package einvoice

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"regexp"
	"strconv"
)

// ErrNoFacturX means a PDF carries no factur-x.xml that this reader finds.
var ErrNoFacturX = errors.New("einvoice: no factur-x.xml embedded in the PDF")

var (
	reObj      = regexp.MustCompile(`(?m)^(\d+) 0 obj\b`)
	reEFRef    = regexp.MustCompile(`/EF\s*<<[^>]*?/F\s+(\d+)\s+0\s+R`)
	reLength   = regexp.MustCompile(`/Length\s+(\d+)(\s+0\s+R)?`)
	reFlate    = regexp.MustCompile(`/Filter\s*/FlateDecode|/Filter\s*\[\s*/FlateDecode\s*\]`)
	reFXName   = regexp.MustCompile(`/(?:UF|F)\s*\((?:factur-x|zugferd-invoice|xrechnung)\.xml\)`)
	reFXNameHx = regexp.MustCompile(`/UF\s*<FEFF0066006100630074007500720078002D0078006D006C>`)
)

// ExtractFacturX returns the bytes of the factur-x.xml embedded in pdf. It
// reads PDFs whose objects are not in compressed object streams (those
// Kairos writes, and most Factur-X producers'); the maximum inflated size is
// 10 MB, the limit of a Chorus Pro file.
func ExtractFacturX(pdf []byte) ([]byte, error) {
	objs := indexObjects(pdf)
	for _, body := range objs {
		if !bytes.Contains(body, []byte("/Filespec")) && !bytes.Contains(body, []byte("/EF")) {
			continue
		}
		dict := body
		if i := bytes.Index(body, []byte("stream")); i >= 0 {
			dict = body[:i]
		}
		if !reFXName.Match(dict) && !reFXNameHx.Match(dict) {
			continue
		}
		m := reEFRef.FindSubmatch(dict)
		if m == nil {
			continue
		}
		num, _ := strconv.Atoi(string(m[1]))
		file, ok := objs[num]
		if !ok {
			return nil, errors.New("einvoice: embedded file object missing")
		}
		return streamOf(file, objs)
	}
	return nil, ErrNoFacturX
}

// indexObjects maps object numbers to their text (the last definition wins,
// as with incremental updates).
func indexObjects(pdf []byte) map[int][]byte {
	locs := reObj.FindAllSubmatchIndex(pdf, -1)
	objs := make(map[int][]byte, len(locs))
	for i, l := range locs {
		end := len(pdf)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		num, _ := strconv.Atoi(string(pdf[l[2]:l[3]]))
		objs[num] = pdf[l[1]:end]
	}
	return objs
}

func streamOf(obj []byte, objs map[int][]byte) ([]byte, error) {
	i := bytes.Index(obj, []byte("stream"))
	if i < 0 {
		return nil, errors.New("einvoice: embedded file without stream")
	}
	dict := obj[:i]
	data := obj[i+len("stream"):]
	if bytes.HasPrefix(data, []byte("\r\n")) {
		data = data[2:]
	} else if bytes.HasPrefix(data, []byte("\n")) {
		data = data[1:]
	}
	m := reLength.FindSubmatch(dict)
	if m == nil {
		return nil, errors.New("einvoice: embedded file without /Length")
	}
	n, _ := strconv.Atoi(string(m[1]))
	if len(m[2]) > 0 { // indirect length
		lo, ok := objs[n]
		if !ok {
			return nil, errors.New("einvoice: /Length object missing")
		}
		n, _ = strconv.Atoi(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(lo), []byte("endobj")))))
	}
	if n < 0 || n > len(data) {
		return nil, errors.New("einvoice: embedded file stream truncated")
	}
	data = data[:n]
	if !reFlate.Match(dict) {
		return data, nil
	}
	r, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	const limit = 10 << 20
	out, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if len(out) > limit {
		return nil, errors.New("einvoice: factur-x.xml larger than 10 MB")
	}
	return out, nil
}
