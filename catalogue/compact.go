package catalogue

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"sync"

	"kairos/lheo"
)

// compactDoc returns the JSON of a lheo.Formation (as encoding/json writes
// it: no insignificant whitespace) without the members that decoding would
// not miss: null ones, and "", false or 0 ones of a field that is a plain
// string, boolean or number wherever its name is used in lheo.Formation
// (not a pointer: a *int 0 is not an absent one). Decoding the result into
// a zero Formation gives what decoding doc gives, and the stored document
// of a national file is about half as large: fewer bytes staged,
// published, checkpointed and read back. The hash of a formation is still
// that of its full JSON. A document it cannot read is returned unchanged.
func compactDoc(doc []byte) []byte {
	plain := plainKeys()
	if plain == nil {
		return doc
	}
	out := make([]byte, 0, len(doc))
	from := 0          // doc[from:i] is still to be copied
	var objs []bool    // per open container: is an object
	var emitted []bool // per open container: a member of it was kept
	expectKey := false
	for i := 0; i < len(doc); {
		switch doc[i] {
		case '"':
			end, ok := stringEnd(doc, i)
			if !ok {
				return doc
			}
			if !expectKey {
				i = end
				continue
			}
			expectKey = false
			if end >= len(doc) || doc[end] != ':' {
				return doc
			}
			v := end + 1
			n := zeroLen(doc, v)
			if n == 0 || (doc[v] != 'n' && !plain[string(doc[i+1:end-1])]) {
				emitted[len(emitted)-1] = true
				i = v
				continue
			}
			// Leave the member out, with one comma.
			memberEnd := v + n
			if emitted[len(emitted)-1] {
				if doc[i-1] != ',' {
					return doc
				}
				out = append(out, doc[from:i-1]...)
				from = memberEnd
			} else {
				out = append(out, doc[from:i]...)
				from = memberEnd
				if doc[memberEnd] == ',' {
					from++
					expectKey = true
				}
			}
			i = from
		case '{':
			objs, emitted = append(objs, true), append(emitted, false)
			expectKey = true
			i++
		case '[':
			objs, emitted = append(objs, false), append(emitted, false)
			i++
		case '}', ']':
			if len(objs) == 0 || objs[len(objs)-1] != (doc[i] == '}') {
				return doc
			}
			objs, emitted = objs[:len(objs)-1], emitted[:len(emitted)-1]
			expectKey = false
			i++
		case ',':
			expectKey = len(objs) > 0 && objs[len(objs)-1]
			i++
		default:
			i++
		}
	}
	if len(objs) != 0 {
		return doc
	}
	return append(out, doc[from:]...)
}

// stringEnd returns the index just past the JSON string starting at i.
func stringEnd(b []byte, i int) (int, bool) {
	for j := i + 1; ; {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, false
		}
		j += k
		bs := 0
		for b[j-1-bs] == '\\' {
			bs++
		}
		if bs%2 == 0 {
			return j + 1, true
		}
		j++
	}
}

// zeroLen returns the length of the null, "", false or 0 at b[i:] that ends
// a member, or 0.
func zeroLen(b []byte, i int) int {
	if i >= len(b) {
		return 0
	}
	for _, z := range [...]string{"null", `""`, "false", "0"} {
		j := i + len(z)
		if j < len(b) && b[i] == z[0] && string(b[i:j]) == z && (b[j] == ',' || b[j] == '}') {
			return len(z)
		}
	}
	return 0
}

// plainKeys returns the field names of lheo.Formation (and of the types it
// holds) whose every field is a plain string, boolean or number, so that
// their zero value may be left out; nil if the type holds a map or an
// interface (whose members are data, not fields).
var plainKeys = sync.OnceValue(func() map[string]bool {
	plain, seen := map[string]bool{}, map[reflect.Type]bool{}
	ok := true
	marshaler := reflect.TypeFor[json.Marshaler]()
	textMarshaler := reflect.TypeFor[encoding.TextMarshaler]()
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		if seen[t] {
			return
		}
		seen[t] = true
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(t.Elem())
		case reflect.Map, reflect.Interface:
			ok = false
		case reflect.Struct:
			for i := range t.NumField() {
				f := t.Field(i)
				if !f.IsExported() {
					continue // not encoded
				}
				if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
					walk(f.Type) // its fields are the outer object's
					continue
				}
				if f.Anonymous || f.Tag.Get("json") != "" {
					ok = false // keys that are not the field names
					continue
				}
				ft := f.Type
				isPlain := false
				switch ft.Kind() {
				case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
					reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
					isPlain = !ft.Implements(marshaler) && !ft.Implements(textMarshaler) &&
						!reflect.PointerTo(ft).Implements(marshaler) && !reflect.PointerTo(ft).Implements(textMarshaler)
				}
				if p, dup := plain[f.Name]; dup {
					plain[f.Name] = p && isPlain
				} else {
					plain[f.Name] = isPlain
				}
				walk(ft)
			}
		}
	}
	walk(reflect.TypeFor[lheo.Formation]())
	if !ok {
		return nil
	}
	return plain
})
