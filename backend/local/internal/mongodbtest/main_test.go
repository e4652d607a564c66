package mongodbtest

import (
	"os"
	"testing"

	"github.com/orderstack/orderstack/backend/local/internal/localdb"
)

// serverURI is the embedded FerretDB that TestMain starts for the package;
// each test opens a database of its own on it.
var serverURI string

func TestMain(m *testing.M) {
	os.Exit(localdb.RunWithTemp("mongodbtest-", func(uri, _ string) { serverURI = uri }, m.Run))
}
