package chorus

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"kairos"
)

// TokenMargin is how long before its expiry a token is renewed (OCA's
// l10n_fr_chorus_account keeps 240 s).
const TokenMargin = 240 * time.Second

// Config is what the client needs (KAIROS_CHORUS_*).
type Config struct {
	APIURL       string // KAIROS_CHORUS_API_URL, e.g. https://sandbox-api.piste.gouv.fr
	OAuthURL     string // KAIROS_CHORUS_OAUTH_URL, e.g. https://sandbox-oauth.piste.gouv.fr/api/oauth/token
	ClientID     string // KAIROS_CHORUS_CLIENT_ID
	ClientSecret string // KAIROS_CHORUS_CLIENT_SECRET
	Login        string // KAIROS_CHORUS_LOGIN: the technical account
	Password     string // KAIROS_CHORUS_PASSWORD
}

// Client calls the Chorus Pro API. It is safe for concurrent use.
type Client struct {
	Config
	HTTP  *http.Client // default: 30 s timeout
	Clock kairos.Clock

	mu      sync.Mutex
	token   string
	expires time.Time
}

// NewClient returns a client for cfg.
func NewClient(cfg Config, clock kairos.Clock) *Client {
	return &Client{Config: cfg, HTTP: &http.Client{Timeout: 30 * time.Second}, Clock: clock}
}

func (c *Client) now() time.Time {
	return c.Clock.Now()
}

// Error is an answer of Chorus Pro that is not a success: an HTTP status
// other than 200, or a codeRetour other than 0.
type Error struct {
	Status     int
	CodeRetour int
	Libelle    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("chorus: HTTP %d, codeRetour %d: %s", e.Status, e.CodeRetour, e.Libelle)
}

// Token returns a PISTE access token, from the cache while it is valid for
// more than TokenMargin.
func (c *Client) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.expires.Add(-TokenMargin)) {
		return c.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}, "scope": {"openid"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.OAuthURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("chorus: token: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", &Error{Status: resp.StatusCode, Libelle: "jeton PISTE refusé : " + strings.TrimSpace(string(b))}
	}
	var t TokenResponse
	if err := json.Unmarshal(b, &t); err != nil || t.AccessToken == "" {
		return "", fmt.Errorf("chorus: token: bad answer %q", b)
	}
	c.token, c.expires = t.AccessToken, c.now().Add(time.Duration(t.ExpiresIn)*time.Second)
	return c.token, nil
}

// invalidate forgets the cached token (after a 401).
func (c *Client) invalidate(token string) {
	c.mu.Lock()
	if c.token == token {
		c.token = ""
	}
	c.mu.Unlock()
}

// CproAccount is the value of the cpro-account header: base64(login:password).
func CproAccount(login, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(login + ":" + password))
}

// Post sends body as JSON to route and decodes the answer into out. A 401
// renews the token once (PISTE answers 401 to an expired token as to a bad
// technical account).
func (c *Client) Post(ctx context.Context, route string, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		token, err := c.Token(ctx)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.APIURL, "/")+route, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json;charset=utf-8")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("cpro-account", CproAccount(c.Login, c.Password))
		resp, err := c.HTTP.Do(req)
		if err != nil {
			return fmt.Errorf("chorus: %s: %w", route, err)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("chorus: %s: %w", route, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			c.invalidate(token)
			continue
		}
		var r Retour
		_ = json.Unmarshal(b, &r)
		if resp.StatusCode != http.StatusOK {
			if r.Libelle == "" {
				r.Libelle = strings.TrimSpace(string(b))
			}
			return &Error{Status: resp.StatusCode, CodeRetour: r.CodeRetour, Libelle: r.Libelle}
		}
		if r.CodeRetour != 0 {
			return &Error{Status: resp.StatusCode, CodeRetour: r.CodeRetour, Libelle: r.Libelle}
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				return fmt.Errorf("chorus: %s: answer: %w", route, err)
			}
		}
		return nil
	}
}

// DeposerFlux deposits a Factur-X PDF (one invoice per flux).
func (c *Client) DeposerFlux(ctx context.Context, name string, pdf []byte) (*DeposerFluxResponse, error) {
	var out DeposerFluxResponse
	err := c.Post(ctx, RouteDeposerFlux, DeposerFluxRequest{
		FichierFlux: base64.StdEncoding.EncodeToString(pdf), NomFichier: name, SyntaxeFlux: SyntaxeFacturX}, &out)
	return &out, err
}

// ConsulterCRDetaille reads the deposit report of a flux.
func (c *Client) ConsulterCRDetaille(ctx context.Context, numeroFluxDepot string) (*ConsulterCRDetailleResponse, error) {
	var out ConsulterCRDetailleResponse
	err := c.Post(ctx, RouteConsulterCRDetaille, ConsulterCRDetailleRequest{NumeroFluxDepot: numeroFluxDepot, SyntaxeFlux: SyntaxeFacturX}, &out)
	return &out, err
}

// RechercherFournisseur searches the supplier's invoices; it reads every
// page (Chorus Pro answers 10 per page by default).
func (c *Client) RechercherFournisseur(ctx context.Context, q RechercherFournisseurRequest) ([]FactureTrouvee, error) {
	var all []FactureTrouvee
	for page := 1; page <= 100; page++ {
		q.RechercheFactureParFournisseur = &Pagination{NbResultatsParPage: 100, PageResultatDemandee: page}
		var out RechercherFournisseurResponse
		if err := c.Post(ctx, RouteRechercherFournisseur, q, &out); err != nil {
			return nil, err
		}
		all = append(all, out.ListeFactures...)
		if out.ParametresRetour == nil || page >= out.ParametresRetour.Pages {
			return all, nil
		}
	}
	return all, errors.New("chorus: rechercher/fournisseur: more than 100 pages")
}

// ConsulterHistorique reads the status history of an invoice.
func (c *Client) ConsulterHistorique(ctx context.Context, idFacture int64) (*ConsulterHistoriqueResponse, error) {
	var out ConsulterHistoriqueResponse
	err := c.Post(ctx, RouteConsulterHistorique, ConsulterHistoriqueRequest{IDFacture: idFacture}, &out)
	return &out, err
}

// Recycler fixes the routing data of an A_RECYCLER invoice.
func (c *Client) Recycler(ctx context.Context, r RecyclerRequest) (*ActionResponse, error) {
	var out ActionResponse
	err := c.Post(ctx, RouteRecycler, r, &out)
	return &out, err
}

// Completer completes a SUSPENDUE invoice with attachments and a comment.
func (c *Client) Completer(ctx context.Context, r CompleterRequest) (*ActionResponse, error) {
	var out ActionResponse
	err := c.Post(ctx, RouteCompleter, r, &out)
	return &out, err
}

// AjouterFichier uploads an attachment (≤ 10 MB, name ≤ 50 characters).
func (c *Client) AjouterFichier(ctx context.Context, name, mime string, data []byte) (int64, error) {
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ext = strings.ToUpper(name[i+1:])
	}
	var out AjouterFichierResponse
	err := c.Post(ctx, RouteAjouterFichier, AjouterFichierRequest{
		PieceJointeFichier: base64.StdEncoding.EncodeToString(data), PieceJointeNom: name, PieceJointeTypeMime: mime, PieceJointeExtension: ext}, &out)
	return out.PieceJointeID, err
}

// RechercherStructure finds a public structure by SIRET (France Travail's
// idStructureCPP).
func (c *Client) RechercherStructure(ctx context.Context, siret string) ([]StructureTrouvee, error) {
	var q RechercherStructureRequest
	q.Structure.IdentifiantStructure, q.Structure.TypeIdentifiantStructure = siret, "SIRET"
	var out RechercherStructureResponse
	err := c.Post(ctx, RouteRechercherStructure, q, &out)
	return out.ListeStructures, err
}

// ConsulterStructure reads the references a public structure requires
// (code service, engagement number) before any deposit to it.
func (c *Client) ConsulterStructure(ctx context.Context, idStructureCPP int64) (*ConsulterStructureResponse, error) {
	var out ConsulterStructureResponse
	err := c.Post(ctx, RouteConsulterStructure, ConsulterStructureRequest{IDStructureCPP: idStructureCPP}, &out)
	return &out, err
}
