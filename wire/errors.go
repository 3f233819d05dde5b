package wire

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
)

// Error is a failed exchange: what was asked, what kind of failure it was,
// and the underlying error. Its text is redacted.
type Error struct {
	Method, URL string
	Kind        ErrorKind
	Err         error
	red         *Redactor
}

func (e *Error) Error() string {
	host := e.URL
	if u, err := url.Parse(e.URL); err == nil && u.Host != "" {
		host = u.Host
	}
	return e.red.String(fmt.Sprintf("%s %s: %s", e.Method, e.URL, e.Kind.describe(e.Err, host)))
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorKind names what went wrong on the wire, in words a finding can use.
type ErrorKind string

const (
	KindTimeout     ErrorKind = "timeout"
	KindRefused     ErrorKind = "connection refused"
	KindDNS         ErrorKind = "name not resolved"
	KindTLS         ErrorKind = "tls"
	KindClosed      ErrorKind = "connection closed"
	KindProtocol    ErrorKind = "not HTTP"
	KindTooLarge    ErrorKind = "body too large"
	KindInsecure    ErrorKind = "plain http refused"
	KindCanceled    ErrorKind = "canceled"
	KindInterrupted ErrorKind = "interrupted"
	KindDeadOrigin  ErrorKind = "not sent: the origin did not answer earlier"
	KindOther       ErrorKind = "error"
)

// ErrBodyTooLarge is the cause of a read that went past its limit.
var ErrBodyTooLarge = errors.New("body larger than the limit")

// ErrInsecureScheme is the cause of a refused plain-http request.
var ErrInsecureScheme = errors.New("plain http is refused except on loopback")

// tooLargeError says how large a body was allowed to be.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("body larger than %s: read stopped there", Size(e.limit))
}
func (e *tooLargeError) Unwrap() error { return ErrBodyTooLarge }

// describe says what went wrong; host names the server a hint is about.
func (k ErrorKind) describe(err error, host string) string {
	switch k {
	case KindTimeout:
		return "no answer in time (timeout)"
	case KindCanceled:
		return "canceled"
	case KindClosed:
		return "the server closed the connection without a complete answer"
	case KindDeadOrigin:
		var dead *OriginDeadError
		if errors.As(err, &dead) {
			return fmt.Sprintf("not sent: %s did not answer earlier in this run (%s)", dead.Dead.Origin, dead.Dead.Kind)
		}
	}
	msg := unwrapURLError(err).Error()
	if k == KindTLS {
		var unknownCA x509.UnknownAuthorityError
		if errors.As(err, &unknownCA) || strings.Contains(msg, "unknown authority") {
			return msg + " (if " + host + " uses a private CA, pass it with --ca-file)"
		}
	}
	return msg
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Classify sorts a transport error into a kind a finding can name.
func Classify(err error) ErrorKind {
	if err == nil {
		return ""
	}
	var we *Error
	if errors.As(err, &we) && we.Kind != "" {
		return we.Kind
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var unknownCA x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var alert tls.AlertError
	var recordErr tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.Is(err, ErrOriginDead):
		return KindDeadOrigin
	case errors.Is(err, ErrBodyTooLarge):
		return KindTooLarge
	case errors.Is(err, ErrInsecureScheme):
		return KindInsecure
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return KindTimeout
		}
		return KindDNS
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &unknownCA),
		errors.As(err, &invalid), errors.As(err, &alert):
		return KindTLS
	case errors.As(err, &recordErr):
		// Plain text where TLS was expected: an http server on an https URL.
		return KindTLS
	case errors.As(err, &netErr) && netErr.Timeout():
		return KindTimeout
	case errors.Is(err, syscall.ECONNREFUSED), strings.Contains(err.Error(), "connection refused"):
		return KindRefused
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET),
		strings.Contains(err.Error(), "connection reset"), strings.Contains(err.Error(), "server closed"):
		return KindClosed
	case strings.Contains(err.Error(), "malformed"), errors.Is(err, http.ErrBodyNotAllowed):
		return KindProtocol
	}
	return KindOther
}

// IsTooLarge reports whether err is a read stopped at its limit.
func IsTooLarge(err error) bool { return errors.Is(err, ErrBodyTooLarge) }

// Size writes a byte count the way limits are spoken of: 1 MiB, 8 MiB, 512 bytes.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
