package mongouri

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"

	"github.com/orderstack/orderstack/backend/internal/order"
)

// Check reports what is wrong with a MongoDB connection string,
// without contacting anything: the driver's own parser
// (x/mongo/driver/connstring) checks the syntax and options, and each host
// must be a host name, an IP address or a Unix socket path (the parser
// takes "bad host" as a host). A mongodb+srv:// URI is checked as the
// mongodb:// URI of its one host, because parsing it as is would resolve
// its SRV and TXT records; the SRV-only options are checked by the driver
// when the service connects. The error never contains the password.
func Check(uri string) error {
	check := uri
	if rest, ok := strings.CutPrefix(uri, connstring.SchemeMongoDBSRV+"://"); ok {
		base, query, _ := strings.Cut(rest, "?")
		var kept []string
		for _, p := range strings.Split(query, "&") {
			key, _, _ := strings.Cut(strings.ToLower(p), "=")
			if p != "" && key != "srvmaxhosts" && key != "srvservicename" {
				kept = append(kept, p)
			}
		}
		check = "mongodb://" + base
		if len(kept) > 0 {
			check += "?" + strings.Join(kept, "&")
		}
		hosts := base
		if at := strings.LastIndexByte(hosts, '@'); at >= 0 {
			hosts = hosts[at+1:]
		}
		hosts, _, _ = strings.Cut(hosts, "/")
		if strings.Contains(hosts, ",") {
			return errors.New("a mongodb+srv:// URI names exactly one host")
		}
		if _, _, err := net.SplitHostPort(hosts); err == nil {
			return errors.New("a mongodb+srv:// URI has no port")
		}
	}
	cs, err := connstring.ParseAndValidate(check)
	if err != nil {
		return fmt.Errorf("not a MongoDB connection string the driver accepts: %s", Scrub(err.Error(), uri))
	}
	for _, h := range cs.Hosts {
		if !validHost(h) {
			return fmt.Errorf("host %q is not a host name, an IP address or a socket path", h)
		}
	}
	return nil
}

// validHost accepts host[:port] where host is an RFC 1123 name, an IP
// address (IPv6 in brackets), or a Unix socket path ending in .sock.
func validHost(h string) bool {
	if strings.HasSuffix(h, ".sock") && strings.HasPrefix(h, "/") {
		return true
	}
	host := h
	if hh, _, err := net.SplitHostPort(h); err == nil {
		host = hh
	}
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return true
	}
	return order.ValidHostName(host)
}
