package einvoice

import (
	"encoding/binary"
	"math"
	"sync"
)

// srgbProfile returns an ICC v2 display profile of sRGB (IEC 61966-2-1):
// the D50-adapted primaries of the standard and its transfer curve as a
// 1024-entry table. It is computed once; PDF/A's output intent embeds it.
var srgbProfile = sync.OnceValue(func() []byte {
	xyz := func(x, y, z float64) []byte {
		b := make([]byte, 20)
		copy(b, "XYZ ")
		binary.BigEndian.PutUint32(b[8:], uint32(s15f16(x)))
		binary.BigEndian.PutUint32(b[12:], uint32(s15f16(y)))
		binary.BigEndian.PutUint32(b[16:], uint32(s15f16(z)))
		return b
	}
	const n = 1024
	curve := make([]byte, 12+2*n)
	copy(curve, "curv")
	binary.BigEndian.PutUint32(curve[8:], n)
	for i := range n {
		v := float64(i) / (n - 1)
		var lin float64
		if v <= 0.04045 {
			lin = v / 12.92
		} else {
			lin = math.Pow((v+0.055)/1.055, 2.4)
		}
		binary.BigEndian.PutUint16(curve[12+2*i:], uint16(math.Round(lin*65535)))
	}
	descText := "sRGB IEC61966-2.1"
	desc := make([]byte, 12+len(descText)+1+4+4+2+1+67)
	copy(desc, "desc")
	binary.BigEndian.PutUint32(desc[8:], uint32(len(descText)+1))
	copy(desc[12:], descText)
	cprtText := "No copyright, use freely"
	cprt := make([]byte, 8+len(cprtText)+1)
	copy(cprt, "text")
	copy(cprt[8:], cprtText)

	type tag struct {
		sig  string
		data []byte
	}
	tags := []tag{
		{"desc", desc}, {"cprt", cprt}, {"wtpt", xyz(0.9642, 1.0, 0.8249)},
		{"rXYZ", xyz(0.4360747, 0.2225045, 0.0139322)},
		{"gXYZ", xyz(0.3850649, 0.7168786, 0.0971045)},
		{"bXYZ", xyz(0.1430804, 0.0606169, 0.7141733)},
		{"rTRC", curve}, {"gTRC", curve}, {"bTRC", curve},
	}
	pad := func(n int) int { return (n + 3) &^ 3 }
	off := 128 + 4 + 12*len(tags)
	type entry struct{ off, size int }
	entries := make([]entry, len(tags))
	var body []byte
	shared := -1
	for i, t := range tags {
		if t.sig == "gTRC" || t.sig == "bTRC" {
			entries[i] = entries[shared]
			continue
		}
		if t.sig == "rTRC" {
			shared = i
		}
		entries[i] = entry{off + len(body), len(t.data)}
		body = append(body, t.data...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	size := off + pad(len(body))
	p := make([]byte, 128, size)
	binary.BigEndian.PutUint32(p[0:], uint32(size))
	binary.BigEndian.PutUint32(p[8:], 0x02100000) // version 2.1
	copy(p[12:], "mntr")
	copy(p[16:], "RGB ")
	copy(p[20:], "XYZ ")
	binary.BigEndian.PutUint16(p[24:], 2026)
	binary.BigEndian.PutUint16(p[26:], 1)
	binary.BigEndian.PutUint16(p[28:], 1)
	copy(p[36:], "acsp")
	binary.BigEndian.PutUint32(p[68:], uint32(s15f16(0.9642)))
	binary.BigEndian.PutUint32(p[72:], uint32(s15f16(1.0)))
	binary.BigEndian.PutUint32(p[76:], uint32(s15f16(0.8249)))
	p = binary.BigEndian.AppendUint32(p, uint32(len(tags)))
	for i, t := range tags {
		p = append(p, t.sig...)
		p = binary.BigEndian.AppendUint32(p, uint32(entries[i].off))
		p = binary.BigEndian.AppendUint32(p, uint32(entries[i].size))
	}
	p = append(p, body...)
	for len(p) < size {
		p = append(p, 0)
	}
	return p
})

func s15f16(v float64) int32 { return int32(math.Round(v * 65536)) }
