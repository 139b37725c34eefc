// Package home lays out and opens an issuer's home directory: issuerkit.yaml,
// keys/ (0600 files), catalog.db and store/ (the DESIGN.md Storage CONTRACT).
package home

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/store"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
	"go.yaml.in/yaml/v3"
)

// File names inside a home.
const (
	ConfigFile  = "issuerkit.yaml"
	KeysDir     = "keys"
	SigningKey  = "keys/signing.key"
	SigningCert = "keys/signing.crt"
	APIKeyFile  = "keys/api-key"
	AadhaarKey  = "keys/aadhaar.key"
	CatalogFile = "catalog.db"
	StoreDir    = "store"
)

// Config is issuerkit.yaml.
type Config struct {
	Issuer struct {
		ID   string `yaml:"id"`
		Name string `yaml:"name"`
		Type string `yaml:"type"` // CG, SG or NG
		// TIN and UID, optional, fill the documents' Organization/@tin and @uid.
		TIN string `yaml:"tin,omitempty"`
		UID string `yaml:"uid,omitempty"`
		// Address is the issuer's address on every document
		// (Organization/Address): type line1 line2 house landmark locality
		// vtc district pin state country; country defaults to IN.
		Address map[string]string `yaml:"address,omitempty"`
	} `yaml:"issuer"`
	Signing struct {
		Key  string `yaml:"key"`  // path relative to the home, or absolute
		Cert string `yaml:"cert"` // PEM chain, leaf first
		// Algorithm: empty for the key's default (rsa-sha256 or
		// ecdsa-sha256); rsa-sha1 only for compatibility with DigiLocker's
		// own documents.
		Algorithm string `yaml:"algorithm,omitempty"`
		// RSABackend: empty to sign RSA keys from files through OpenSSL's
		// libcrypto when it loads (else crypto/rsa), "openssl" to require
		// it, "go" for crypto/rsa. $ISSUERKIT_RSA_BACKEND overrides it.
		RSABackend string `yaml:"rsa_backend,omitempty"`
	} `yaml:"signing"`
	Catalog struct {
		Type string `yaml:"type"`           // sqlite (default) or postgres
		Path string `yaml:"path,omitempty"` // sqlite: the file
		// DSN is the PostgreSQL connection string; $ISSUERKIT_CATALOG_DSN
		// overrides it. Keep passwords out of it: PGPASSWORD or ~/.pgpass.
		DSN string `yaml:"dsn,omitempty"`
	} `yaml:"catalog"`
	Store StoreConfig `yaml:"store"`
	API   struct {
		KeyFile string `yaml:"key_file"`
		// PublicURL is where the public reaches the repository API: the
		// QR code on a document's PDF links to
		// PublicURL/verify/URI?k=TOKEN (Home.PublicURL decides the default).
		PublicURL string `yaml:"public_url,omitempty"`
		// OrgID, when set, is the only orgId (the locker's id in its
		// requests) the repository API answers; others get 401.
		OrgID string `yaml:"org_id,omitempty"`
	} `yaml:"api"`
	PDF struct {
		// FontDir, when set, holds the four Noto font files to use instead of
		// the ones built into the binary (docpdf.LoadFonts).
		FontDir string `yaml:"font_dir,omitempty"`
	} `yaml:"pdf,omitempty"`
	Aadhaar struct {
		KeyFile string `yaml:"key_file"`
	} `yaml:"aadhaar"`
	Push PushConfig `yaml:"push"`
}

// PushConfig is the push: section of issuerkit.yaml.
type PushConfig struct {
	// Gateway is the locker gateway's base URL; Push URI goes to
	// {gateway}/public/issuer/api/issuedoc/1/xml.
	Gateway string `yaml:"gateway,omitempty"`
	// Endpoint and BulkEndpoint, when set, are the full URLs of the
	// single and the bulk push endpoint (default: Gateway with
	// /public/issuer/api/issuedoc/1/xml and /public/issuer/api/issuedoc/1/csv),
	// e.g. https://…/public/account/1/pushuri for the authorized-partner API.
	Endpoint     string `yaml:"endpoint,omitempty"`
	BulkEndpoint string `yaml:"bulk_endpoint,omitempty"`
	// CAFile, when set, is a PEM bundle of trust anchors for an HTTPS
	// gateway with a private CA (instead of the system's roots).
	CAFile string `yaml:"ca_file,omitempty"`
	// KeyFile is the push key (0600); empty means the API key.
	KeyFile string `yaml:"key_file,omitempty"`
	// Workers is the number of concurrent pushes (default 8).
	Workers int `yaml:"workers,omitempty"`
	// Bulk > 1 sends that many rows per request with the bulk CSV variant,
	// for gateways that take it.
	Bulk int `yaml:"bulk,omitempty"`
}

// DefaultGateway is the reference locker's default address.
const DefaultGateway = "http://127.0.0.1:9090"

// StoreConfig is the store: section of issuerkit.yaml.
type StoreConfig struct {
	Type string `yaml:"type"`           // fs (default) or s3
	Path string `yaml:"path,omitempty"` // fs: the directory
	// s3: credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or
	// the shared credentials file named here, never from this file.
	Endpoint           string `yaml:"endpoint,omitempty"`
	Bucket             string `yaml:"bucket,omitempty"`
	Prefix             string `yaml:"prefix,omitempty"`
	Region             string `yaml:"region,omitempty"`
	CredentialsFile    string `yaml:"credentials_file,omitempty"`
	CredentialsProfile string `yaml:"credentials_profile,omitempty"`
}

// Home is an opened home directory.
type Home struct {
	Dir    string
	Config Config
}

// InitOptions configure Init.
type InitOptions struct {
	IssuerID   string
	IssuerName string
	IssuerType string
	KeyType    signer.KeyType
	Force      bool
	// Store is the store to use; the zero value is the fs store in store/.
	Store StoreConfig
	// CatalogDSN, when set, makes the catalog PostgreSQL at that DSN.
	CatalogDSN string
}

// ErrNotEmpty: Init found an existing home and Force was not set.
var ErrNotEmpty = errors.New("directory is not empty")

// Init creates a home in dir (missing or empty; with Force, an existing
// home's config, signing key, certificate and API key are replaced). The
// Aadhaar key, catalog and store are never replaced: they hold issued data.
func Init(ctx context.Context, dir string, o InitOptions) (*Home, error) {
	if err := xmlschema.ValidateIssuerID(o.IssuerID); err != nil {
		return nil, fmt.Errorf("--issuer-id: %w", err)
	}
	if strings.TrimSpace(o.IssuerName) == "" {
		return nil, errors.New("--issuer-name must not be empty")
	}
	if o.IssuerType == "" {
		o.IssuerType = "SG"
	}
	if o.KeyType == "" {
		o.KeyType = signer.RSA2048
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 && !o.Force {
		return nil, fmt.Errorf("init %s: %w (use --force to replace its config and keys)", dir, ErrNotEmpty)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	// Everything is generated before anything is written, so a failure
	// leaves nothing half-made.
	key, err := signer.GenerateKey(o.KeyType)
	if err != nil {
		return nil, err
	}
	cert, err := signer.SelfSignedCert(key, o.IssuerName+" (development signing key)", o.IssuerName, 3*365*24*time.Hour)
	if err != nil {
		return nil, err
	}
	keyPEM, err := signer.MarshalKeyPEM(key)
	if err != nil {
		return nil, err
	}
	apiKey := make([]byte, 32)
	if _, err := rand.Read(apiKey); err != nil {
		return nil, err
	}
	h := &Home{Dir: dir}
	c := &h.Config
	c.Issuer.ID, c.Issuer.Name, c.Issuer.Type = o.IssuerID, o.IssuerName, o.IssuerType
	c.Signing.Key, c.Signing.Cert = SigningKey, SigningCert
	c.Catalog.Type, c.Catalog.Path = "sqlite", CatalogFile
	if o.CatalogDSN != "" {
		c.Catalog.Type, c.Catalog.Path, c.Catalog.DSN = "postgres", "", o.CatalogDSN
	}
	c.Store = o.Store
	if c.Store.Type == "" || c.Store.Type == "fs" {
		c.Store = StoreConfig{Type: "fs", Path: StoreDir}
	} else if _, err := h.OpenStore(ctx); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	c.API.KeyFile = APIKeyFile
	c.Aadhaar.KeyFile = AadhaarKey
	c.Push.Gateway = DefaultGateway
	cfg, err := yaml.Marshal(c)
	if err != nil {
		return nil, err
	}
	if err := privateDirs(dir); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	files := []homeFile{
		{SigningKey, keyPEM, 0o600},
		{SigningCert, signer.MarshalCertsPEM(cert), 0o644},
		{APIKeyFile, []byte(hex.EncodeToString(apiKey) + "\n"), 0o600},
		{ConfigFile, append([]byte("# issuerkit home configuration (see README.md)\n"), cfg...), configMode},
	}
	// Keys that issued data depends on are made once, never replaced: the
	// Aadhaar key (every encrypted number), the verify key (every printed
	// /verify link).
	for _, name := range []string{AadhaarKey, VerifyKeyFile} {
		f, err := keepOrNewKey(h.Path(name), name)
		if err != nil {
			return nil, err
		}
		if f != nil {
			files = append(files, *f)
		}
	}
	for _, f := range files {
		if err := writeFileAtomic(h.Path(f.name), f.data, f.mode); err != nil {
			return nil, fmt.Errorf("init: %w", err)
		}
	}
	cat, err := h.OpenCatalog(ctx)
	if err != nil {
		return nil, err
	}
	if err := cat.Close(); err != nil {
		return nil, err
	}
	if c.Store.Type == "fs" {
		if err := os.MkdirAll(h.Path(c.Store.Path), 0o750); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// privateDirs makes dir and its keys/ 0700: a home holds keys and a
// catalog of names and dates of birth, and only its owner enters it, also
// when it existed before init.
func privateDirs(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, KeysDir), 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// homeFile is a file init writes.
type homeFile struct {
	name string
	data []byte
	mode fs.FileMode
}

// keepOrNewKey returns a new random key file for name unless path exists.
func keepOrNewKey(path, name string) (*homeFile, error) {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	k, err := aadhaar.NewKey()
	if err != nil {
		return nil, err
	}
	return &homeFile{name, []byte(hex.EncodeToString(k) + "\n"), 0o600}, nil
}

func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Open loads the home in dir.
func Open(dir string) (*Home, error) {
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no issuerkit home at %s: run `issuerkit init --issuer-id ID --issuer-name NAME` first, or pass --home", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open home: %w", err)
	}
	h := &Home{Dir: dir}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&h.Config); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ConfigFile), err)
	}
	if err := xmlschema.ValidateIssuerID(h.Config.Issuer.ID); err != nil {
		return nil, fmt.Errorf("%s: issuer.id: %w", filepath.Join(dir, ConfigFile), err)
	}
	return h, nil
}

// Path resolves a config path against the home.
func (h *Home) Path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(h.Dir, p)
}

// OpenCatalog opens the configured catalog.
func (h *Home) OpenCatalog(ctx context.Context) (repository.Catalog, error) {
	switch h.Config.Catalog.Type {
	case "sqlite", "":
		// sqlitedb.Open makes it (names, dates of birth) 0600.
		return repository.OpenSQLite(ctx, h.Path(h.Config.Catalog.Path))
	case "postgres":
		dsn := h.Config.Catalog.DSN
		if v := os.Getenv("ISSUERKIT_CATALOG_DSN"); v != "" {
			dsn = v
		}
		if dsn == "" {
			return nil, fmt.Errorf("catalog type postgres needs catalog.dsn in %s or $ISSUERKIT_CATALOG_DSN", h.Path(ConfigFile))
		}
		return repository.OpenPostgres(ctx, dsn)
	}
	return nil, fmt.Errorf("catalog type %q is not supported (want sqlite or postgres)", h.Config.Catalog.Type)
}

// OpenStore opens the configured object store.
func (h *Home) OpenStore(ctx context.Context) (store.Store, error) {
	return OpenStore(ctx, h, h.Config.Store)
}

// OpenStore opens the store sc describes, with paths relative to h.
func OpenStore(ctx context.Context, h *Home, sc StoreConfig) (store.Store, error) {
	switch sc.Type {
	case "fs", "":
		return store.OpenFS(h.Path(sc.Path))
	case "s3":
		cfg := store.S3Config{Endpoint: sc.Endpoint, Bucket: sc.Bucket, Prefix: sc.Prefix, Region: sc.Region,
			CredentialsProfile: sc.CredentialsProfile}
		if sc.CredentialsFile != "" {
			cfg.CredentialsFile = h.Path(sc.CredentialsFile)
		}
		return store.OpenS3(ctx, cfg)
	}
	return nil, fmt.Errorf("store type %q is not supported (want fs or s3)", sc.Type)
}

// ImportSigningKey installs key and its certificate chain as the home's
// signing key (PKCS#8, 0600) and certificate; signing.key points at the
// key file again if it named a PKCS#11 key. A previous key and
// certificate are kept beside them with a timestamp suffix, never deleted.
func (h *Home) ImportSigningKey(key crypto.Signer, chain []*x509.Certificate) error {
	keyPEM, err := signer.MarshalKeyPEM(key)
	if err != nil {
		return err
	}
	stamp := time.Now().UTC().Format("20060102T150405Z")
	if signer.IsPKCS11URI(h.Config.Signing.Key) {
		h.Config.Signing.Key = SigningKey
		if err := h.Save(); err != nil {
			return err
		}
	}
	for _, f := range []string{h.Config.Signing.Key, h.Config.Signing.Cert} {
		p := h.Path(f)
		if _, err := os.Stat(p); err == nil {
			if err := os.Rename(p, p+"."+stamp+".bak"); err != nil {
				return fmt.Errorf("keep the previous %s: %w", f, err)
			}
		}
	}
	if err := writeFileAtomic(h.Path(h.Config.Signing.Key), keyPEM, 0o600); err != nil {
		return err
	}
	return writeFileAtomic(h.Path(h.Config.Signing.Cert), signer.MarshalCertsPEM(chain...), 0o644)
}

// Save rewrites issuerkit.yaml atomically from h.Config (configMode).
func (h *Home) Save() error {
	cfg, err := yaml.Marshal(&h.Config)
	if err != nil {
		return err
	}
	return writeFileAtomic(h.Path(ConfigFile), append([]byte("# issuerkit home configuration (see README.md)\n"), cfg...), configMode)
}

// configMode is issuerkit.yaml's: its catalog.dsn may carry a PostgreSQL
// password.
const configMode = 0o600

// Signer loads the signing key and certificate chain. signing.key is a
// PEM file, or a PKCS#11 URI for a key held in an HSM or token. A
// certificate outside its validity window is refused: documents signed
// with it would not verify.
func (h *Home) Signer() (*signer.Signer, error) {
	chain, err := signer.LoadCertsFile(h.Path(h.Config.Signing.Cert))
	if err != nil {
		return nil, err
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("signing certificate %s: no certificate in it", h.Path(h.Config.Signing.Cert))
	}
	if leaf, now := chain[0], time.Now(); now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("signing certificate %s is valid from %s to %s, not now: install a current one with `issuerkit keys import`",
			h.Path(h.Config.Signing.Cert), leaf.NotBefore.Format(time.DateOnly), leaf.NotAfter.Format(time.DateOnly))
	}
	var key crypto.Signer
	if signer.IsPKCS11URI(h.Config.Signing.Key) {
		u, err := signer.ParsePKCS11URI(h.Config.Signing.Key)
		if err != nil {
			return nil, fmt.Errorf("%s: signing.key: %w", h.Path(ConfigFile), err)
		}
		// The module stays loaded for the life of the process.
		if key, _, err = signer.OpenPKCS11(u); err != nil {
			return nil, err
		}
	} else {
		if err := checkPrivate(h.Path(h.Config.Signing.Key)); err != nil {
			return nil, err
		}
		if key, err = signer.LoadKeyFile(h.Path(h.Config.Signing.Key)); err != nil {
			return nil, err
		}
	}
	backend := h.Config.Signing.RSABackend
	if v, ok := os.LookupEnv("ISSUERKIT_RSA_BACKEND"); ok {
		backend = v
	}
	return signer.New(key, chain, signer.Options{Algorithm: h.Config.Signing.Algorithm, RSABackend: backend})
}

// UsePKCS11Key makes the key a PKCS#11 URI names the signing key, with its
// certificate chain. The previous key file stays where it is; the previous
// certificate is kept beside the new one as *.bak.
func (h *Home) UsePKCS11Key(uri string, chain []*x509.Certificate) error {
	p := h.Path(SigningCert)
	if _, err := os.Stat(p); err == nil {
		if err := os.Rename(p, p+"."+time.Now().UTC().Format("20060102T150405Z")+".bak"); err != nil {
			return fmt.Errorf("keep the previous certificate: %w", err)
		}
	}
	if err := writeFileAtomic(p, signer.MarshalCertsPEM(chain...), 0o644); err != nil {
		return err
	}
	h.Config.Signing.Key, h.Config.Signing.Cert = uri, SigningCert
	return h.Save()
}

// Certificates returns the signing certificate chain.
func (h *Home) Certificates() ([]*x509.Certificate, error) {
	return signer.LoadCertsFile(h.Path(h.Config.Signing.Cert))
}

// APIKey loads the key shared with lockers (keys/api-key, 0600).
func (h *Home) APIKey() ([]byte, error) {
	return readSecret(h.Path(h.Config.API.KeyFile), "API key")
}

func readSecret(p, what string) ([]byte, error) {
	if err := checkPrivate(p); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	k := strings.TrimSpace(string(b))
	if k == "" {
		return nil, fmt.Errorf("%s file %s is empty", what, p)
	}
	return []byte(k), nil
}

// PushKey loads the key pushes are signed with: push.key_file, or the API
// key when none is set.
func (h *Home) PushKey() ([]byte, error) {
	if h.Config.Push.KeyFile == "" {
		return h.APIKey()
	}
	return readSecret(h.Path(h.Config.Push.KeyFile), "push key")
}

// Keyring loads the Aadhaar master key.
func (h *Home) Keyring() (*aadhaar.Keyring, error) {
	p := h.Path(h.Config.Aadhaar.KeyFile)
	k, err := readHexSecret(p)
	if err != nil {
		return nil, err
	}
	return aadhaar.NewKeyring(k)
}

// checkPrivate refuses a secret file that others may read.
func checkPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("read key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("key file %s is accessible to other users (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	return nil
}

func readHexSecret(path string) ([]byte, error) {
	if err := checkPrivate(path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("key file %s: not hex", path)
	}
	return k, nil
}
