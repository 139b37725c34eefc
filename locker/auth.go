package locker

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/consent"
	"golang.org/x/crypto/bcrypt"
)

// Sign-in rules (DESIGN.md, "Reference locker as a DigiLocker sandbox").
const (
	OTPValidity    = 10 * time.Minute
	OTPTries       = 3
	OTPsPerHour    = 5
	DefaultIdle    = 15 * time.Minute
	SessionCookie  = "lk_session"
	pinHashCost    = bcrypt.DefaultCost
	sessionTokenSz = 32
)

// Sign-in errors; the API turns each into its status code.
var (
	ErrTooManyOTPs = errors.New("too many OTPs for this mobile in the last hour")
	ErrBadOTP      = errors.New("the OTP is wrong, used or expired")
	ErrBadPIN      = errors.New("the PIN is wrong")
	ErrNeedPIN     = errors.New("a 6-digit security PIN is required")
	ErrNoSession   = errors.New("not signed in, or the session ended")
)

var (
	mobileRE = regexp.MustCompile(`^[6-9][0-9]{9}$`)
	sixRE    = regexp.MustCompile(`^[0-9]{6}$`)
)

// ValidMobile reports whether m is a 10-digit Indian mobile number.
func ValidMobile(m string) bool { return mobileRE.MatchString(m) }

// NormalizeMobile is m as people write it made the 10 digits the sandbox
// keys on: spaces, hyphens, dots and brackets dropped, and a +91, 91 or 0
// in front of the 10 digits too ("+91 98765-43210", "098765 43210"). What
// is not such a number comes back with only the separators dropped.
func NormalizeMobile(m string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(m) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return strings.TrimSpace(m) // not a phone number: refused as it is
		}
	}
	d := b.String()
	switch {
	case len(d) == 12 && strings.HasPrefix(d, "91"):
		d = d[2:]
	case len(d) == 11 && d[0] == '0':
		d = d[1:]
	}
	return d
}

// SendOTP makes a new 6-digit OTP for mobile and puts it in the sandbox SMS
// outbox (read with LatestOTP). At most OTPsPerHour per mobile.
func (s *Store) SendOTP(ctx context.Context, mobile string, now time.Time) error {
	mobile = NormalizeMobile(mobile)
	if !ValidMobile(mobile) {
		return fmt.Errorf("mobile: want 10 digits starting with 6-9")
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM otps WHERE mobile = ? AND created_at > ?`,
		mobile, unix(now.Add(-time.Hour))).Scan(&n); err != nil {
		return err
	}
	if n >= OTPsPerHour {
		return ErrTooManyOTPs
	}
	v, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO otps (mobile, code, created_at, expires_at) VALUES (?,?,?,?)`,
		mobile, fmt.Sprintf("%06d", v.Int64()), unix(now), unix(now.Add(OTPValidity)))
	return err
}

// LatestOTP returns the newest OTP of mobile still usable at now: the
// sandbox's SMS outbox.
func (s *Store) LatestOTP(ctx context.Context, mobile string, now time.Time) (string, error) {
	mobile = NormalizeMobile(mobile)
	var code string
	err := s.db.QueryRowContext(ctx, `SELECT code FROM otps WHERE mobile = ? AND used = 0 AND tries < ? AND expires_at > ?
		ORDER BY id DESC LIMIT 1`, mobile, OTPTries, unix(now)).Scan(&code)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return code, err
}

// useOTP checks code against the newest usable OTP of mobile and uses it
// up; a wrong code counts a try, and the third wrong try voids it.
func (s *Store) useOTP(ctx context.Context, mobile, code string, now time.Time) error {
	var id int64
	var want string
	err := s.db.QueryRowContext(ctx, `SELECT id, code FROM otps WHERE mobile = ? AND used = 0 AND tries < ? AND expires_at > ?
		ORDER BY id DESC LIMIT 1`, mobile, OTPTries, unix(now)).Scan(&id, &want)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrBadOTP
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(code), []byte(want)) != 1 {
		if _, err := s.db.ExecContext(ctx, `UPDATE otps SET tries = tries + 1 WHERE id = ?`, id); err != nil {
			return err
		}
		return ErrBadOTP
	}
	res, err := s.db.ExecContext(ctx, `UPDATE otps SET used = 1 WHERE id = ? AND used = 0`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrBadOTP // used by a concurrent sign-in
	}
	return nil
}

// SignIn checks the OTP and the PIN of mobile (the first sign-in sets the
// PIN and creates the citizen) and opens a session. It returns the
// citizen's DigiLocker id and the session token for the cookie.
func (s *Store) SignIn(ctx context.Context, mobile, otp, pin string, now time.Time) (id, token string, err error) {
	mobile = NormalizeMobile(mobile)
	if !ValidMobile(mobile) {
		return "", "", ErrBadOTP
	}
	// The PIN's form first: a mistyped PIN must not use up the OTP (its
	// check says nothing about the OTP).
	if !sixRE.MatchString(pin) {
		return "", "", ErrNeedPIN
	}
	if err := s.useOTP(ctx, mobile, otp, now); err != nil {
		return "", "", err
	}
	var pinHash string
	err = s.db.QueryRowContext(ctx, `SELECT id, pin_hash FROM citizens WHERE mobile = ?`, mobile).Scan(&id, &pinHash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		h, err := bcrypt.GenerateFromPassword([]byte(pin), pinHashCost)
		if err != nil {
			return "", "", err
		}
		id = consent.NewID()
		if _, err := s.db.ExecContext(ctx, `INSERT INTO citizens (id, mobile, pin_hash, created_at) VALUES (?,?,?,?)`,
			id, mobile, string(h), unix(now)); err != nil {
			return "", "", err
		}
		s.Record(ctx, id, now, "signup", "locker created; security PIN set")
	case err != nil:
		return "", "", err
	default:
		if bcrypt.CompareHashAndPassword([]byte(pinHash), []byte(pin)) != nil {
			s.Record(ctx, id, now, "signin_failed", "wrong security PIN")
			return "", "", ErrBadPIN
		}
	}
	token, err = s.newSession(ctx, id, now)
	if err != nil {
		return "", "", err
	}
	s.Record(ctx, id, now, "signin", "signed in with OTP and PIN")
	return id, token, nil
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Store) newSession(ctx context.Context, citizen string, now time.Time) (string, error) {
	b := make([]byte, sessionTokenSz)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (token_hash, citizen_id, last_seen) VALUES (?,?,?)`, tokenHash(token), citizen, unix(now))
	return token, err
}

// Session returns the citizen of a session token and marks it seen at now;
// a session idle for longer than idle has ended (and is deleted).
func (s *Store) Session(ctx context.Context, token string, now time.Time, idle time.Duration) (string, error) {
	if token == "" {
		return "", ErrNoSession
	}
	h := tokenHash(token)
	var citizen string
	var last int64
	err := s.db.QueryRowContext(ctx, `SELECT citizen_id, last_seen FROM sessions WHERE token_hash = ?`, h).Scan(&citizen, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNoSession
	}
	if err != nil {
		return "", err
	}
	if now.Sub(fromUnix(last)) > idle {
		s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, h)
		return "", ErrNoSession
	}
	_, err = s.db.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE token_hash = ?`, unix(now), h)
	return citizen, err
}

// SignOut ends a session.
func (s *Store) SignOut(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash(token))
	return err
}
