// Package kairos holds the domain core shared by every capability of the
// platform: the error type, roles and habilitations, the acting identity and
// the request context. It depends on nothing but the standard library.
package kairos

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Code classifies an error. One place (web and api) maps codes to HTTP status.
type Code string

const (
	ENotFound     Code = "not_found"
	EInvalid      Code = "invalid"
	EForbidden    Code = "forbidden"
	EConflict     Code = "conflict"
	EUnauthorized Code = "unauthorized"
	ETooMany      Code = "too_many_requests"
	EUnavailable  Code = "unavailable" // overloaded: retry later (503)
	EInternal     Code = "internal"
)

// Error is the one error type of the domain. Message is in French and is
// shown to users; Fields holds per-field messages for forms; Err is an
// internal cause that is logged, never shown.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string
	Err     error
	// RetryAfter, for ETooMany and EUnavailable, is how long the client
	// should wait before retrying (the Retry-After header), 0 if unknown.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a French message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound is the error returned for a missing object and for an object that
// belongs to another tenant: both must look the same from outside.
func NotFound(what string) *Error {
	return &Error{Code: ENotFound, Message: what + " introuvable."}
}

// Invalid returns an EInvalid error carrying field-level messages.
func Invalid(fields map[string]string) *Error {
	return &Error{Code: EInvalid, Message: "Le formulaire contient des erreurs.", Fields: fields}
}

// ErrorCode returns the code of err, EInternal for foreign errors, "" for nil.
func ErrorCode(err error) Code {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EInternal
}

// ErrorCause returns the internal cause (Err) of err's *Error, nil when it
// has none or err is not an *Error.
func ErrorCause(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e.Err
	}
	return nil
}

// ErrorMessage returns the French message to show for err. Internal errors
// never leak their text.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EInternal {
		return e.Message
	}
	return "Une erreur interne est survenue. Veuillez réessayer ; si le problème persiste, contactez l'assistance."
}

// RetryAfter returns the whole seconds a client should wait before
// retrying after err (at least 1 for ETooMany and EUnavailable), 0 otherwise.
func RetryAfter(err error) int {
	var e *Error
	if !errors.As(err, &e) || (e.Code != ETooMany && e.Code != EUnavailable) {
		return 0
	}
	s := int((e.RetryAfter + time.Second - 1) / time.Second)
	return max(s, 1)
}

// FieldErrors returns the field-level messages of err, if any.
func FieldErrors(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Clock returns the current time; tests inject a fixed one.
type Clock func() time.Time

// SystemClock is the real clock, in UTC, at microsecond precision (what both
// storage engines keep).
func SystemClock() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// FixedClock returns a clock frozen at t (KAIROS_NOW in demo mode, tests).
func FixedClock(t time.Time) Clock {
	t = t.UTC().Truncate(time.Microsecond)
	return func() time.Time { return t }
}

// MovingClock returns a clock that reads t when it is made and then moves
// with the real time elapsed since (the monotonic clock). Under KAIROS_NOW
// the portal's facts stay at the frozen instant (FixedClock), while the
// timing of its infrastructure — job leases, retries and backoffs, polling
// — runs on this clock: a retry due in 30 s runs 30 s later, as it would in
// production, instead of never. A restarted process starts again from t:
// what a previous process timed on its own moving clock comes due once this
// one has run as long.
func MovingClock(t time.Time) Clock {
	t = t.UTC().Truncate(time.Microsecond)
	start := time.Now()
	return func() time.Time { return t.Add(time.Since(start)).Truncate(time.Microsecond) }
}

// Now returns c's time, or the system clock's when c is nil. Services call
// it with their injected clock; it is the only reader of the wall clock.
func (c Clock) Now() time.Time {
	if c == nil {
		return SystemClock()
	}
	return c().UTC()
}

type ctxKey int

const (
	actorKey ctxKey = iota
	ipKey
)

// WithActor returns a context carrying the acting identity.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// ActorFrom returns the acting identity of ctx, or nil.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey).(*Actor)
	return a
}

// WithClientIP returns a context carrying the client's IP address, for the audit trail.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, ipKey, ip)
}

// ClientIPFrom returns the client IP of ctx, or "".
func ClientIPFrom(ctx context.Context) string {
	ip, _ := ctx.Value(ipKey).(string)
	return ip
}

// HTTPStatus maps an error code to its HTTP status. It is the one place
// where that mapping lives (used by both the HTML and the JSON edges).
func HTTPStatus(c Code) int {
	switch c {
	case "":
		return 200
	case ENotFound:
		return 404
	case EInvalid:
		return 422
	case EForbidden:
		return 403
	case EConflict:
		return 409
	case EUnauthorized:
		return 401
	case ETooMany:
		return 429
	case EUnavailable:
		return 503
	}
	return 500
}
