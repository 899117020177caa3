package einvoice

import (
	"bytes"
	"compress/zlib"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// PDF/A-3 assembly. fpdf lays the page out and embeds the fonts; it cannot
// write an output intent, reference its XMP from the catalog, mark an
// embedded file's relationship, nor write a file identifier. assemblePDFA
// relinks fpdf's objects into a new file that has all PDF/A-3b and
// Factur-X need:
//   - the header %PDF-1.7 followed by a binary comment;
//   - every object of fpdf (pages, fonts, content) unchanged, except the
//     document information dictionary and the catalog, rewritten;
//   - the XMP metadata (pdfaid part 3 / B, Dublin Core, the Factur-X
//     extension schema and its fx: properties), uncompressed;
//   - an sRGB output intent (GTS_PDFA1) with its ICC profile;
//   - factur-x.xml as an embedded file (/Subtype /text#2Fxml, size,
//     checksum, date) with /AFRelationship /Data, listed in the catalog's
//     /AF array and /Names /EmbeddedFiles;
//   - a cross-reference table and a trailer with /ID.

type pdfaInfo struct {
	Title, Author, Subject string
	Created                time.Time
	XML                    []byte
}

const producer = "Kairos (go-pdf/fpdf)"

var (
	reStartXref = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	reRoot      = regexp.MustCompile(`/Root (\d+) 0 R`)
	reInfo      = regexp.MustCompile(`/Info (\d+) 0 R`)
	reObjHead   = regexp.MustCompile(`^(\d+) 0 obj`)
)

func assemblePDFA(src []byte, info pdfaInfo) ([]byte, error) {
	objs, root, infoNum, err := splitObjects(src)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(objs[root], []byte("/Pages 1 0 R")) {
		return nil, errors.New("einvoice: pdf: unexpected catalog")
	}
	n := len(objs) + 1 // objects are 1…n-1; new ones start at n
	next := func() int { n++; return n - 1 }
	metaNum, iccNum, intentNum, fileNum, specNum := next(), next(), next(), next(), next()
	created := info.Created
	pdfDate := "D:" + created.Format("20060102150405") + "+00'00'"
	xmpDate := created.Format("2006-01-02T15:04:05") + "+00:00"

	var out bytes.Buffer
	out.Grow(len(src) + len(info.XML) + 8192)
	out.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, n)
	write := func(num int, body []byte) {
		offsets[num] = out.Len()
		out.WriteString(strconv.Itoa(num) + " 0 obj\n")
		out.Write(body)
		out.WriteString("\nendobj\n")
	}
	nums := make([]int, 0, len(objs))
	for num := range objs {
		nums = append(nums, num)
	}
	sort.Ints(nums)
	for _, num := range nums {
		switch num {
		case root, infoNum:
			continue
		}
		offsets[num] = out.Len()
		out.Write(objs[num])
	}

	// Document information, consistent with the XMP (PDF/A 6.6.2.3).
	write(infoNum, []byte("<< /Title "+pdfText(info.Title)+" /Author "+pdfText(info.Author)+
		" /Subject "+pdfText(info.Subject)+" /Creator "+pdfText(producer)+" /Producer "+pdfText(producer)+
		" /CreationDate ("+pdfDate+") /ModDate ("+pdfDate+") >>"))

	xmp := xmpPacket(info, xmpDate)
	write(metaNum, append([]byte("<< /Type /Metadata /Subtype /XML /Length "+strconv.Itoa(len(xmp))+" >>\nstream\n"), append(xmp, "\nendstream"...)...))

	icc := deflate(srgbProfile())
	write(iccNum, append([]byte("<< /N 3 /Filter /FlateDecode /Length "+strconv.Itoa(len(icc))+" >>\nstream\n"), append(icc, "\nendstream"...)...))
	write(intentNum, []byte("<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1) /Info (sRGB IEC61966-2.1) /RegistryName (http://www.color.org) /DestOutputProfile "+ref(iccNum)+" >>"))

	sum := md5.Sum(info.XML)
	zx := deflate(info.XML)
	write(fileNum, append([]byte("<< /Type /EmbeddedFile /Subtype /text#2Fxml /Filter /FlateDecode /Length "+strconv.Itoa(len(zx))+
		" /Params << /ModDate ("+pdfDate+") /Size "+strconv.Itoa(len(info.XML))+" /CheckSum <"+hex.EncodeToString(sum[:])+"> >> >>\nstream\n"), append(zx, "\nendstream"...)...))
	write(specNum, []byte("<< /Type /Filespec /F ("+FacturXName+") /UF "+pdfText(FacturXName)+
		" /Desc (Factur-X invoice) /AFRelationship /Data /EF << /F "+ref(fileNum)+" /UF "+ref(fileNum)+" >> >>"))

	write(root, []byte("<< /Type /Catalog /Pages 1 0 R /Lang (fr-FR) /Metadata "+ref(metaNum)+
		" /OutputIntents ["+ref(intentNum)+"] /AF ["+ref(specNum)+"]"+
		" /Names << /EmbeddedFiles << /Names [("+FacturXName+") "+ref(specNum)+"] >> >>"+
		" /ViewerPreferences << /DisplayDocTitle true >> >>"))

	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", n)
	for num := 1; num < n; num++ {
		if offsets[num] == 0 {
			return nil, fmt.Errorf("einvoice: pdf: object %d missing", num)
		}
		fmt.Fprintf(&out, "%010d 00000 n \n", offsets[num])
	}
	id := md5.Sum(append([]byte(info.Title+pdfDate), sum[:]...))
	idHex := hex.EncodeToString(id[:])
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n", n, root, infoNum, idHex, idHex, xref)
	return out.Bytes(), nil
}

// splitObjects cuts fpdf's output into its objects (number → bytes from
// "N 0 obj" to the end of "endobj\n") using its cross-reference table, and
// returns the catalog's and the information dictionary's numbers.
func splitObjects(src []byte) (map[int][]byte, int, int, error) {
	m := reStartXref.FindSubmatch(src)
	if m == nil {
		return nil, 0, 0, errors.New("einvoice: pdf: no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if xref <= 0 || xref >= len(src) || !bytes.HasPrefix(src[xref:], []byte("xref")) {
		return nil, 0, 0, errors.New("einvoice: pdf: bad xref offset")
	}
	tail := src[xref:]
	lines := strings.Split(string(tail[:bytes.Index(tail, []byte("trailer"))]), "\n")
	if len(lines) < 3 {
		return nil, 0, 0, errors.New("einvoice: pdf: short xref")
	}
	var first, count int
	if _, err := fmt.Sscanf(lines[1], "%d %d", &first, &count); err != nil || first != 0 {
		return nil, 0, 0, errors.New("einvoice: pdf: bad xref subsection")
	}
	type span struct{ num, off int }
	spans := make([]span, 0, count)
	for i := 1; i < count; i++ {
		l := lines[2+i]
		if len(l) < 18 || l[17] != 'n' {
			return nil, 0, 0, fmt.Errorf("einvoice: pdf: bad xref entry %q", l)
		}
		off, err := strconv.Atoi(l[:10])
		if err != nil {
			return nil, 0, 0, err
		}
		spans = append(spans, span{i, off})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].off < spans[j].off })
	objs := make(map[int][]byte, len(spans))
	for i, s := range spans {
		end := xref
		if i+1 < len(spans) {
			end = spans[i+1].off
		}
		b := src[s.off:end]
		hm := reObjHead.FindSubmatch(b)
		if hm == nil || string(hm[1]) != strconv.Itoa(s.num) {
			return nil, 0, 0, fmt.Errorf("einvoice: pdf: object %d not at its offset", s.num)
		}
		objs[s.num] = b
	}
	trailer := tail[bytes.Index(tail, []byte("trailer")):]
	rm, im := reRoot.FindSubmatch(trailer), reInfo.FindSubmatch(trailer)
	if rm == nil || im == nil {
		return nil, 0, 0, errors.New("einvoice: pdf: trailer without /Root or /Info")
	}
	root, _ := strconv.Atoi(string(rm[1]))
	info, _ := strconv.Atoi(string(im[1]))
	if objs[root] == nil || objs[info] == nil {
		return nil, 0, 0, errors.New("einvoice: pdf: /Root or /Info missing")
	}
	return objs, root, info, nil
}

func ref(n int) string { return strconv.Itoa(n) + " 0 R" }

// pdfText is a PDF text string: literal when ASCII, else UTF-16BE with BOM.
func pdfText(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			ascii = false
			break
		}
	}
	if ascii {
		r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
		return "(" + r.Replace(s) + ")"
	}
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func xmlEsc(s string) string {
	var b bytes.Buffer
	xmlEscape(&b, s)
	return b.String()
}

func xmlEscape(b *bytes.Buffer, s string) {
	for _, r := range cleanText(s) {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
}

// xmpPacket is the XMP metadata: PDF/A-3 identification, the document's
// Dublin Core and dates (the same as the information dictionary), and the
// Factur-X extension schema with its properties (Factur-X 1.0, §A.4).
func xmpPacket(info pdfaInfo, date string) []byte {
	prop := func(name, desc string) string {
		return `<rdf:li rdf:parseType="Resource"><pdfaProperty:name>` + name + `</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>` + desc + `</pdfaProperty:description></rdf:li>` + "\n"
	}
	s := `<?xpacket begin="` + "\ufeff" + `" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<pdfaid:part>3</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">` + xmlEsc(info.Title) + `</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>` + xmlEsc(info.Author) + `</rdf:li></rdf:Seq></dc:creator>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">` + xmlEsc(info.Subject) + `</rdf:li></rdf:Alt></dc:description>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<pdf:Producer>` + xmlEsc(producer) + `</pdf:Producer>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
<xmp:CreatorTool>` + xmlEsc(producer) + `</xmp:CreatorTool>
<xmp:CreateDate>` + date + `</xmp:CreateDate>
<xmp:ModifyDate>` + date + `</xmp:ModifyDate>
<xmp:MetadataDate>` + date + `</xmp:MetadataDate>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>fx</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq>
` + prop("DocumentFileName", "name of the embedded XML invoice file") +
		prop("DocumentType", "INVOICE") +
		prop("Version", "The actual version of the Factur-X XML schema") +
		prop("ConformanceLevel", "The conformance level of the embedded Factur-X data") + `</rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
<fx:DocumentType>INVOICE</fx:DocumentType>
<fx:DocumentFileName>` + FacturXName + `</fx:DocumentFileName>
<fx:Version>1.0</fx:Version>
<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`
	return []byte(s)
}
