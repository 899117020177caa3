// Package lheo reads and writes LHÉO, the French reference XML language for
// training offers (Langage Harmonisé d'Échange d'informations sur l'Offre de
// formation, décret n° 2015-742).
//
// # Mapping
//
// A LHÉO document is lheo > offres > formation+. Each <formation> is a
// record and maps to a Formation, with its Actions (where, how, at what
// price) and their Sessions (dates, recruitment), its
// OrganismeFormationResponsable and, per action, the OrganismeFormateur,
// LieuDeFormation and Financeur lines. Field order and names follow the
// official XSD (see types.go); single-child XML wrappers such as
// SIRET-formateur/SIRET or adresse-inscription/adresse are flattened, and
// <extras> elements (cercle 3) are kept verbatim as RawXML.
//
// The closed code tables ("dictionnaires") are Go data generated from the
// official definition lheo-gml.xml (codes_gen.go); Label, Valid and Entries
// give their French labels. The element schema used for validation
// (cardinalities, text lengths, code tables, integers, dates) is generated
// from the same file (schema_gen.go).
//
// # Decoding
//
// NewDecoder reads LHÉO 2.3 (http://lheo.gouv.fr/2.3) and 2.2
// (http://www.lheo.org/2.2) documents in a streaming way: Decoder.Next
// returns one Formation at a time, so memory depends on the largest record,
// not on the file. Each Formation, Action and Session carries the line of its
// start tag.
//
// Two kinds of errors are returned, both with French messages:
//   - *DocumentError: the document is not well-formed XML, its root is not
//     <lheo> in a LHÉO namespace, or a security limit is exceeded. It carries
//     the line and column; nothing of the document should be imported.
//   - *RecordError: one formation breaks the standard (missing mandatory
//     element, code outside its table, bad date, text too long…). It carries
//     the line, the formation's numero and the reasons; Next goes on with
//     the next formation.
//
// Real-data habits that the standard allows are accepted: "-" and other
// placeholders in mandatory texts (see IsPlaceholder), unknown dates
// 00000000 and 99999999, month or year precision (AAAAMM00, AAAA0000),
// HTML escaped inside texts (kept as decoded, see PlainText), XML white
// space around codes, numbers and dates, ISO-8859-1 and windows-1252
// documents. Beyond the XSD, the Decoder is lenient on element order and
// treats an optional element left empty (e.g. <restauration/>) as absent;
// it rejects a periode whose debut is after its fin.
//
// Security: encoding/xml never fetches a DTD nor expands entities other than
// the five predefined ones; a DOCTYPE with an internal subset (entity
// declarations) is refused and an undeclared entity is a document error.
// Every XML token (text, tag, comment, DOCTYPE) is bounded by
// Options.MaxTextSize while it is read, the nesting depth by
// Options.MaxDepth and a record by Options.MaxRecordSize.
//
// # Encoding
//
// NewEncoder writes LHÉO 2.3, one formation at a time, in XSD order. Every
// formation is validated first with the same schema (strictly), so the
// output validates against the official lheo.xsd; decoding, encoding and
// decoding again gives the same Formations.
//
// Package kairos/lheo/lheotest generates synthetic valid documents of any
// number of sessions for tests and benchmarks.
package lheo

//go:generate go run ./internal/gen -in testdata/lheo-gml.xml -codes codes_gen.go -schema schema_gen.go
