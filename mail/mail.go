// Package mail composes the platform's e-mails, stores them in the database
// in the transaction of the change that sends them, and delivers them from a
// background job: by SMTP when configured, otherwise (demo mode) they are
// kept and shown at the dev mailbox page.
package mail

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"kairos/store"
	"kairos/worker"
)

// JobKind is the worker job that delivers one mail.
const JobKind = "mail.send"

// Message is an e-mail to send. Body is plain text (French).
type Message struct {
	To          string
	Subject     string
	Body        string
	Attachments []Attachment // optional files (e.g. an ICS invitation)
}

// Attachment is a file sent with a message. ContentType may carry
// parameters, e.g. "text/calendar; charset=utf-8; method=REQUEST".
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Mail is a stored message.
type Mail struct {
	ID        int64
	CreatedAt time.Time
	To        string
	Subject   string
	Body      string
	Status    string // pending, sent, kept, failed
	SentAt    *time.Time
	Error     string

	Attachments []Attachment // loaded by Get and for delivery, not by List
}

// Enqueue stores m and schedules its delivery, inside tx.
func Enqueue(ctx context.Context, tx *store.Tx, m Message) error {
	if m.To == "" || strings.ContainsFunc(m.To, isControl) {
		return fmt.Errorf("mail: invalid recipient")
	}
	// A subject often quotes what a user typed (an appointment's title):
	// control characters, which could inject headers, become spaces.
	m.Subject = strings.Join(strings.FieldsFunc(strings.ToValidUTF8(m.Subject, "?"), isControl), " ")
	id, err := tx.Insert(ctx, "INSERT INTO mails (created_at, to_addr, subject, body, status) VALUES (?, ?, ?, ?, 'pending')",
		tx.Now(), m.To, m.Subject, m.Body)
	if err != nil {
		return fmt.Errorf("mail: store: %w", err)
	}
	for _, a := range m.Attachments {
		if a.Name == "" || strings.ContainsAny(a.Name, "\r\n\"") || strings.ContainsAny(a.ContentType, "\r\n") {
			return fmt.Errorf("mail: invalid attachment name or type")
		}
		if _, err := tx.Exec(ctx, "INSERT INTO mail_attachments (mail_id, name, content_type, data) VALUES (?, ?, ?, ?)",
			id, a.Name, a.ContentType, a.Data); err != nil {
			return fmt.Errorf("mail: store attachment: %w", err)
		}
	}
	_, err = worker.Enqueue(ctx, tx, JobKind, map[string]int64{"mail_id": id}, time.Time{})
	return err
}

func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }

// SMTPConfig configures delivery. An empty Host means no SMTP: mails are kept.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
}

// Deliverer delivers stored mails.
type Deliverer struct {
	DB   *store.DB
	SMTP SMTPConfig
}

// Handle is the worker handler of JobKind.
func (d *Deliverer) Handle(ctx context.Context, payload json.RawMessage) error {
	var p struct {
		MailID int64 `json:"mail_id"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return err
	}
	var m Mail
	err := d.DB.QueryRow(ctx, "SELECT id, created_at, to_addr, subject, body, status FROM mails WHERE id = ?", p.MailID).Scan(&m.ID, &m.CreatedAt, &m.To, &m.Subject, &m.Body, &m.Status)
	if err != nil {
		return err
	}
	if m.Status == "sent" || m.Status == "kept" {
		return nil // delivered by an earlier attempt
	}
	if m.Attachments, err = attachments(ctx, d.DB, m.ID); err != nil {
		return err
	}
	now := d.DB.Now()
	if d.SMTP.Host == "" {
		_, err = d.DB.Exec(ctx, "UPDATE mails SET status = 'kept', sent_at = ? WHERE id = ?", now, m.ID)
		return err
	}
	if err := d.send(m); err != nil {
		d.DB.Exec(ctx, "UPDATE mails SET error = ? WHERE id = ?", err.Error(), m.ID)
		return err
	}
	_, err = d.DB.Exec(ctx, "UPDATE mails SET status = 'sent', sent_at = ?, error = '' WHERE id = ?", now, m.ID)
	return err
}

func (d *Deliverer) send(m Mail) error {
	c := d.SMTP
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	var auth smtp.Auth
	if c.Username != "" {
		auth = smtp.PlainAuth("", c.Username, c.Password, c.Host)
	}
	return smtp.SendMail(addr, auth, c.From, []string{m.To}, Format(c.From, m))
}

// Format renders m as an RFC 5322 message. Its Date is when the message was
// written (CreatedAt, from the portal's clock), not when a retry sends it.
func Format(from string, m Mail) []byte {
	var b strings.Builder
	var id [12]byte
	rand.Read(id[:])
	host := "kairos.local"
	if i := strings.LastIndex(from, "@"); i >= 0 {
		host = strings.Trim(from[i+1:], "> ")
	}
	fmt.Fprintf(&b, "From: %s\r\n", from)
	fmt.Fprintf(&b, "To: %s\r\n", m.To)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", m.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", m.CreatedAt.UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(id[:]), host)
	body := strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")
	if len(m.Attachments) == 0 {
		b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		b.WriteString(body)
		return []byte(b.String())
	}
	// multipart/mixed: the text, then each attachment in base64.
	boundary := "kairos-" + hex.EncodeToString(id[:])
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary)
	b.WriteString("This is a multi-part message in MIME format.\r\n")
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n", boundary, body)
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		name := mime.QEncoding.Encode("utf-8", a.Name)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary, ct, name, name)
		enc := base64.StdEncoding.EncodeToString(a.Data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return []byte(b.String())
}

func attachments(ctx context.Context, db *store.DB, mailID int64) ([]Attachment, error) {
	rows, err := db.Query(ctx, "SELECT name, content_type, data FROM mail_attachments WHERE mail_id = ? ORDER BY id", mailID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		var a Attachment
		if err := rows.Scan(&a.Name, &a.ContentType, &a.Data); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// List returns the most recent stored mails, newest first (dev mailbox).
func List(ctx context.Context, db *store.DB, limit int) ([]Mail, error) {
	rows, err := db.Query(ctx, "SELECT id, created_at, to_addr, subject, body, status, sent_at, error FROM mails ORDER BY id DESC LIMIT "+strconv.Itoa(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Mail
	for rows.Next() {
		var m Mail
		if err := rows.Scan(&m.ID, &m.CreatedAt, &m.To, &m.Subject, &m.Body, &m.Status, &m.SentAt, &m.Error); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Get returns one stored mail.
func Get(ctx context.Context, db *store.DB, id int64) (*Mail, error) {
	var m Mail
	err := db.QueryRow(ctx, "SELECT id, created_at, to_addr, subject, body, status, sent_at, error FROM mails WHERE id = ?", id).
		Scan(&m.ID, &m.CreatedAt, &m.To, &m.Subject, &m.Body, &m.Status, &m.SentAt, &m.Error)
	if err != nil {
		return nil, store.NotFoundIf(err, "Message")
	}
	if m.Attachments, err = attachments(ctx, db, m.ID); err != nil {
		return nil, err
	}
	return &m, nil
}
