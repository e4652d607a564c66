package mongodb

import (
	"strings"
	"testing"

	"github.com/orderstack/orderstack/backend/internal/mongouri"
)

// TestOpenErrorHidesPassword: a URI the driver rejects is reported
// without its secrets.
func TestOpenErrorHidesPassword(t *testing.T) {
	for _, uri := range []string{
		"mongodb://app:Sup3rS3cret@db:27017/?replicaSet=rs0&maxPoolSize=notanumber",
		"mongodb://app:Sup3rS3cret@db:27017/?unknownOption=1&tlsCertificateKeyFilePassword=Sup3rS3cret&tls=maybe",
		"http://app:Sup3rS3cret@db:27017/",
		"mongodb://app:Sup3r%53cret@db:99999999/",
	} {
		_, err := Open(t.Context(), uri, Options{})
		if err == nil {
			t.Errorf("Open(%s) = nil error, want one", mongouri.Redact(uri))
			continue
		}
		t.Logf("Open error: %v", err)
		if msg := err.Error(); strings.Contains(msg, "Sup3rS3cret") || strings.Contains(msg, "Sup3r%53cret") {
			t.Errorf("Open error leaks the password: %s", msg)
		}
	}
}
