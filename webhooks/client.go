package webhooks

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Timeouts of an outbound delivery.
const (
	DialTimeout    = 5 * time.Second
	RequestTimeout = 15 * time.Second
)

// errBlocked is returned when the receiver resolves to an address that
// deliveries may not reach.
var errBlocked = errors.New("adresse de destination interdite (réseau privé, local ou réservé)")

var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach IPv4 private space
	netip.MustParsePrefix("2001:db8::/32"),
}

// blockedAddr reports whether deliveries must not connect to ip: loopback,
// private, link-local (cloud metadata), multicast, unspecified or reserved.
func blockedAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// NewClient returns the HTTP client of deliveries: no proxy, no redirect
// followed (a 3xx is a failure), timeouts, and — unless allowPrivate — a
// check, at connection time on the address actually dialled (so DNS cannot
// be used to rebind), that the receiver is on a public address.
func NewClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || blockedAddr(ap.Addr()) {
				return errBlocked
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   DialTimeout,
		ResponseHeaderTimeout: RequestTimeout,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       RequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// CheckURL validates a subscription URL and returns it normalised, or a
// French message. https is required unless allowPrivate (tests, demo), which
// also allows http and private or loopback hosts.
func CheckURL(raw string, allowPrivate bool) (string, string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "Indiquez l'adresse (URL) qui recevra les événements."
	}
	if len(raw) > 2000 || !utf8.ValidString(raw) || strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", "Adresse invalide : 2 000 caractères au plus, sans caractère de contrôle."
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", "Adresse invalide : donnez une URL complète, par exemple https://erp.exemple.fr/kairos/webhooks."
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowPrivate:
	default:
		return "", "L'adresse doit commencer par https:// (les événements sont chiffrés en transit)."
	}
	if u.User != nil {
		return "", "L'adresse ne doit pas contenir d'identifiant ni de mot de passe : l'authenticité est assurée par la signature."
	}
	if u.Fragment != "" {
		return "", "L'adresse ne doit pas contenir de fragment (#…)."
	}
	host := u.Hostname()
	if !allowPrivate {
		if ip, err := netip.ParseAddr(host); err == nil {
			if blockedAddr(ip) {
				return "", "Cette adresse IP est privée, locale ou réservée : Kairos n'y envoie pas d'événements."
			}
		} else if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") || strings.HasSuffix(h, ".local") || strings.HasSuffix(h, ".internal") || !strings.Contains(h, ".") {
			return "", "Ce nom d'hôte est local : Kairos n'envoie des événements qu'à des adresses publiques."
		}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	return u.String(), ""
}
