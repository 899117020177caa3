package mail_test

import (
	"context"
	"encoding/json"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"kairos"
	"kairos/mail"
	"kairos/store"
	"kairos/store/storetest"
)

// smtpServer is a minimal SMTP server on loopback that records what it receives.
type smtpServer struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
	rcpt []string
}

func startSMTP(t *testing.T) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	tp.PrintfLine("220 test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch cmd {
		case "EHLO", "HELO":
			tp.PrintfLine("250-test\r\n250 8BITMIME")
		case "MAIL":
			tp.PrintfLine("250 OK")
		case "RCPT":
			s.mu.Lock()
			s.rcpt = append(s.rcpt, line)
			s.mu.Unlock()
			tp.PrintfLine("250 OK")
		case "DATA":
			tp.PrintfLine("354 go")
			b, _ := tp.ReadDotBytes()
			s.mu.Lock()
			s.msgs = append(s.msgs, string(b))
			s.mu.Unlock()
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("250 OK")
		}
	}
}

func enqueue(t *testing.T, db *store.DB, m mail.Message) int64 {
	t.Helper()
	ctx := kairos.WithActor(context.Background(), kairos.System)
	if err := db.Tx(ctx, func(tx *store.Tx) error { return mail.Enqueue(ctx, tx, m) }); err != nil {
		t.Fatal(err)
	}
	mails, err := mail.List(ctx, db, 1)
	if err != nil || len(mails) != 1 {
		t.Fatalf("%v %v", mails, err)
	}
	return mails[0].ID
}

func payload(id int64) json.RawMessage {
	return json.RawMessage(`{"mail_id":` + strconv.FormatInt(id, 10) + `}`)
}

func TestDeliverBySMTP(t *testing.T) {
	srv := startSMTP(t)
	db := storetest.Open(t)
	id := enqueue(t, db, mail.Message{To: "claire@of.example", Subject: "Activez votre compte Kairos — accès", Body: "Bonjour,\nvoici le lien.\n"})
	host, port, _ := net.SplitHostPort(srv.ln.Addr().String())
	p, _ := strconv.Atoi(port)
	d := &mail.Deliverer{DB: db, SMTP: mail.SMTPConfig{Host: host, Port: p, From: "Kairos <ne-pas-repondre@kairos.example>"}}
	if err := d.Handle(context.Background(), payload(id)); err != nil {
		t.Fatal(err)
	}
	// A second run of the same job (at-least-once delivery) sends nothing more.
	if err := d.Handle(context.Background(), payload(id)); err != nil {
		t.Fatal(err)
	}
	if len(srv.msgs) != 1 {
		t.Fatalf("%d messages sent", len(srv.msgs))
	}
	msg := srv.msgs[0]
	if !strings.Contains(msg, "To: claire@of.example") || !strings.Contains(msg, "=?utf-8?q?") || !strings.Contains(msg, "voici le lien.") || !strings.Contains(msg, "charset=utf-8") {
		t.Fatalf("message:\n%s", msg)
	}
	m, _ := mail.Get(context.Background(), db, id)
	if m.Status != "sent" || m.SentAt == nil {
		t.Fatalf("status %s", m.Status)
	}
}

func TestSMTPFailureIsRetried(t *testing.T) {
	db := storetest.Open(t)
	id := enqueue(t, db, mail.Message{To: "x@of.example", Subject: "S", Body: "B"})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close() // nothing listens there
	d := &mail.Deliverer{DB: db, SMTP: mail.SMTPConfig{Host: "127.0.0.1", Port: addr.Port, From: "k@kairos.example"}}
	if err := d.Handle(context.Background(), payload(id)); err == nil {
		t.Fatal("delivery to a closed port succeeded")
	}
	m, _ := mail.Get(context.Background(), db, id)
	if m.Status != "pending" || m.Error == "" {
		t.Fatalf("status %s error %q", m.Status, m.Error)
	}
}

func TestKeptWithoutSMTP(t *testing.T) {
	db := storetest.Open(t)
	id := enqueue(t, db, mail.Message{To: "x@of.example", Subject: "S", Body: "B"})
	if err := (&mail.Deliverer{DB: db}).Handle(context.Background(), payload(id)); err != nil {
		t.Fatal(err)
	}
	m, _ := mail.Get(context.Background(), db, id)
	if m.Status != "kept" {
		t.Fatalf("status %s", m.Status)
	}
}

func TestHeaderInjectionRefused(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		return mail.Enqueue(ctx, tx, mail.Message{To: "x@of.example\r\nBcc: victim@example.org", Subject: "S", Body: "B"})
	})
	if err == nil {
		t.Fatal("header injection accepted")
	}
}

// Issue 16, finding 7: a subject quoting what a user typed (an appointment
// titled "x\r\nSet-Cookie: a=b") no longer fails every registration: its
// control characters become spaces, and no header can be injected.
func TestSubjectControlCharactersFolded(t *testing.T) {
	db := storetest.Open(t)
	id := enqueue(t, db, mail.Message{To: "x@of.example", Subject: "Convocation : x\r\nSet-Cookie: a=b\x00", Body: "B"})
	m, err := mail.Get(context.Background(), db, id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Convocation : x Set-Cookie: a=b" {
		t.Fatalf("subject %q", m.Subject)
	}
}

func TestAttachmentsStoredAndFormattedAsMultipart(t *testing.T) {
	db := storetest.Open(t)
	ctx := kairos.WithActor(context.Background(), kairos.System)
	ics := []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
	err := db.Tx(ctx, func(tx *store.Tx) error {
		return mail.Enqueue(ctx, tx, mail.Message{To: "de@example.org", Subject: "Convocation", Body: "Bonjour,\nà demain.",
			Attachments: []mail.Attachment{{Name: "invitation.ics", ContentType: "text/calendar; charset=utf-8; method=REQUEST", Data: ics}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := mail.List(ctx, db, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %d", err, len(list))
	}
	m, err := mail.Get(ctx, db, list[0].ID)
	if err != nil || len(m.Attachments) != 1 || string(m.Attachments[0].Data) != string(ics) {
		t.Fatalf("get: %v %+v", err, m)
	}
	raw := string(mail.Format("Kairos <ne-pas-repondre@kairos.example>", *m))
	for _, want := range []string{"Content-Type: multipart/mixed; boundary=", "Content-Type: text/plain; charset=utf-8", "à demain.",
		"Content-Type: text/calendar; charset=utf-8; method=REQUEST; name=\"invitation.ics\"", "Content-Disposition: attachment; filename=\"invitation.ics\"",
		"Content-Transfer-Encoding: base64", "QkVHSU46VkNBTEVOREFSDQpFTkQ6VkNBTEVOREFSDQo=",
		"Date: " + m.CreatedAt.UTC().Format(time.RFC1123Z) + "\r\n"} {
		if !strings.Contains(raw, want) {
			t.Errorf("formatted mail lacks %q:\n%s", want, raw)
		}
	}
	if !strings.HasSuffix(raw, "--\r\n") {
		t.Error("multipart not closed")
	}
}
