package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"time"

	"kairos"
	"kairos/store"
)

// Idempotency of POSTs (Idempotency-Key header, draft-ietf-httpapi-idempotency-key-header):
// the first request with a key runs and its answer is stored; a later one
// with the same key and the same request gets that answer again
// (Idempotency-Replayed: true) without running; with another request, 422;
// while the first still runs, the others wait for its answer (then 409 if it
// takes too long). Keys are per API key and kept IdempotencyTTL.
const (
	IdempotencyTTL     = 24 * time.Hour
	idempotencyMaxBody = 8 << 20
	idempotencyWait    = 30 * time.Second
	idempotencyStale   = 5 * time.Minute // a first request still "running" after this has died
)

func (a *API) now() time.Time {
	if a.Clock != nil {
		return a.Clock().UTC()
	}
	return a.Accounts.DB.Now()
}

// recorder captures an answer to store it.
type recorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
	r.ResponseWriter.WriteHeader(s)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

// idempotent runs next once per (API key, Idempotency-Key). It reports
// whether it answered the request itself.
func (a *API) idempotent(w http.ResponseWriter, r *http.Request, next func(w http.ResponseWriter, r *http.Request)) {
	key := r.Header.Get("Idempotency-Key")
	actor := kairos.ActorFrom(r.Context())
	if key == "" || r.Method != http.MethodPost || actor == nil || actor.APIKeyID == 0 {
		next(w, r)
		return
	}
	if len(key) > 255 || !printableASCII(key) {
		a.problem(w, r, kairos.Invalid(map[string]string{"Idempotency-Key": "Clé d'idempotence invalide : 1 à 255 caractères ASCII imprimables (par exemple un UUID)."}))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, idempotencyMaxBody+1))
	if err != nil {
		a.problem(w, r, kairos.Errorf(kairos.EInvalid, "Corps de requête illisible."))
		return
	}
	if len(body) > idempotencyMaxBody {
		a.problem(w, r, kairos.Errorf(kairos.EInvalid, "L'en-tête Idempotency-Key n'est pas accepté pour un corps de plus de 8 Mio : envoyez le fichier sans cet en-tête."))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	h := sha256.New()
	io.WriteString(h, r.Method+" "+r.URL.RequestURI()+"\n"+r.Header.Get("Content-Type")+"\n")
	h.Write(body)
	hash := hex.EncodeToString(h.Sum(nil))
	ctx := r.Context()
	db := a.Accounts.DB
	deadline := time.Now().Add(idempotencyWait) // a wait, measured on the monotonic clock
	for {
		now := a.now()
		res, err := db.Exec(ctx, "INSERT INTO idempotency_keys (api_key_id, idem_key, request_hash, status, created_at) VALUES (?, ?, ?, 0, ?) ON CONFLICT (api_key_id, idem_key) DO NOTHING",
			actor.APIKeyID, key, hash, now)
		if err != nil {
			a.problem(w, r, err)
			return
		}
		if n, _ := res.RowsAffected(); n == 1 {
			a.runAndStore(w, r, next, actor.APIKeyID, key)
			return
		}
		var storedHash, ctype, stored string
		var status int
		var created time.Time
		err = db.QueryRow(ctx, "SELECT request_hash, status, content_type, body, created_at FROM idempotency_keys WHERE api_key_id = ? AND idem_key = ?", actor.APIKeyID, key).
			Scan(&storedHash, &status, &ctype, &stored, &created)
		if errors.Is(err, sql.ErrNoRows) {
			continue // released meanwhile: try again
		}
		if err != nil {
			a.problem(w, r, err)
			return
		}
		expired := now.Sub(created) > IdempotencyTTL || (status == 0 && now.Sub(created) > idempotencyStale)
		if expired {
			db.Exec(ctx, "DELETE FROM idempotency_keys WHERE api_key_id = ? AND idem_key = ? AND created_at = ?", actor.APIKeyID, key, created)
			continue
		}
		if storedHash != hash {
			a.problem(w, r, kairos.Invalid(map[string]string{"Idempotency-Key": "Cette clé d'idempotence a déjà servi pour une autre requête : utilisez une nouvelle clé pour une nouvelle requête."}))
			return
		}
		if status != 0 {
			w.Header().Set("Idempotency-Replayed", "true")
			if ctype != "" {
				w.Header().Set("Content-Type", ctype)
			}
			w.WriteHeader(status)
			io.WriteString(w, stored)
			return
		}
		if time.Now().After(deadline) {
			a.problem(w, r, kairos.Errorf(kairos.EConflict, "Une requête avec cette clé d'idempotence est encore en cours : réessayez dans quelques instants."))
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func (a *API) runAndStore(w http.ResponseWriter, r *http.Request, next func(w http.ResponseWriter, r *http.Request), keyID int64, key string) {
	rec := &recorder{ResponseWriter: w}
	ctx := context.WithoutCancel(r.Context())
	defer func() {
		p := recover()
		if p != nil || rec.status == 0 || rec.status >= 500 {
			// Nothing was done (the transaction rolled back): the key is
			// released, so that the client may try again.
			a.Accounts.DB.Exec(ctx, "DELETE FROM idempotency_keys WHERE api_key_id = ? AND idem_key = ?", keyID, key)
		} else {
			if _, err := a.Accounts.DB.Exec(ctx, "UPDATE idempotency_keys SET status = ?, content_type = ?, body = ? WHERE api_key_id = ? AND idem_key = ?",
				rec.status, rec.Header().Get("Content-Type"), rec.buf.String(), keyID, key); err != nil && a.Log != nil {
				a.Log.Error("api: store idempotent answer", "err", err)
			}
		}
		if p != nil {
			panic(p)
		}
	}()
	next(rec, r)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// CleanupIdempotency deletes the idempotency keys older than IdempotencyTTL.
func CleanupIdempotency(ctx context.Context, db *store.DB, now time.Time) (int64, error) {
	res, err := db.Exec(ctx, "DELETE FROM idempotency_keys WHERE created_at < ?", now.Add(-IdempotencyTTL))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
