package mongouri

import (
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		uri, want string
	}{
		{"mongodb://localhost:27017", "mongodb://localhost:27017"},
		{"mongodb://127.0.0.1:27017/", "mongodb://127.0.0.1:27017/"},
		{"mongodb://app:s3cret@db-0:27017,db-1:27017/orders?replicaSet=rs0&authSource=admin&tls=true",
			"mongodb://app:REDACTED@db-0:27017,db-1:27017/orders?replicaSet=rs0&authSource=admin&tls=true"},
		{"mongodb+srv://app:p%40ss%3Aw0rd@cluster0.example.net/shop?retryWrites=true&w=majority",
			"mongodb+srv://app:REDACTED@cluster0.example.net/shop?retryWrites=true&w=majority"},
		// An unescaped '@' in the password: everything up to the last '@' goes.
		{"mongodb://app:pa@ss@db:27017/", "mongodb://app:REDACTED@db:27017/"},
		// A user without a password (X.509) has nothing to hide.
		{"mongodb://CN=client@db:27017/?authMechanism=MONGODB-X509&tls=true",
			"mongodb://CN=client@db:27017/?authMechanism=MONGODB-X509&tls=true"},
		{"mongodb://db:27017/?tls=true&tlsCertificateKeyFilePassword=hunter2&tlsCAFile=/ca.pem",
			"mongodb://db:27017/?tls=true&tlsCertificateKeyFilePassword=REDACTED&tlsCAFile=/ca.pem"},
		{"mongodb://db/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:tok123",
			"mongodb://db/?authMechanism=MONGODB-AWS&authMechanismProperties=REDACTED"},
		{"mongodb://u:pw@db/?password=other", "mongodb://u:REDACTED@db/?password=REDACTED"},
		{"not a uri with secret", "REDACTED"},
		{"", "REDACTED"},
	}
	for _, tt := range tests {
		if got := Redact(tt.uri); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.uri, got, tt.want)
		}
	}
}

func TestDatabaseName(t *testing.T) {
	tests := []struct {
		uri, want string
	}{
		{"mongodb://localhost:27017", "orders"},
		{"mongodb://localhost:27017/", "orders"},
		{"mongodb://localhost:27017/?replicaSet=rs0", "orders"},
		{"mongodb://localhost:27017/shop", "shop"},
		{"mongodb://app:s3cret@db-0:27017,db-1:27017/orders_prod?replicaSet=rs0&authSource=admin&tls=true", "orders_prod"},
		{"mongodb+srv://app:p%2Fss@cluster0.example.net/shop?retryWrites=true", "shop"},
		{"mongodb+srv://cluster0.example.net", "orders"},
		{"mongodb://u:p/w@db/app", "app"},
		{"garbage", "orders"},
	}
	for _, tt := range tests {
		if got := DatabaseName(tt.uri); got != tt.want {
			t.Errorf("DatabaseName(%q) = %q, want %q", tt.uri, got, tt.want)
		}
	}
}

// TestCheckAccepts: what the driver accepts passes, without any
// network: a mongodb+srv:// name is not resolved at this stage (.invalid
// never resolves), so a DNS outage at start is not a configuration error.
func TestCheckAccepts(t *testing.T) {
	for _, u := range []string{
		"mongodb://localhost",
		"mongodb://u:p%40ss@db-0.db.mongodb.svc.cluster.local:27017,db-1:27017/orders?replicaSet=rs0&tls=true&tlsCAFile=/etc/orders/mongodb/ca.crt",
		"mongodb://[::1]:27017/x",
		"mongodb://%2Ftmp%2Fmongodb-27017.sock/x",
		"mongodb+srv://u:p@orders.invalid/shop?retryWrites=true&w=majority",
		"mongodb+srv://cluster0.example.net/?srvServiceName=custom&srvMaxHosts=2",
	} {
		if err := Check(u); err != nil {
			t.Errorf("Check(%q) = %v, want nil", u, err)
		}
	}
}
