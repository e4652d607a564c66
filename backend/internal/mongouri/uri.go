// Package mongouri reads MongoDB connection strings without contacting
// anything: Check tells what is wrong with one (for the settings), Redact
// and Scrub keep its secrets out of logs and error messages, and
// DatabaseName finds the database it names. The service's settings and the
// MongoDB adapter share it, so a URI is judged and redacted one way.
package mongouri

import (
	"net/url"
	"strings"
)

const redacted = "REDACTED"

// DefaultDatabase is used when the URI names no database.
const DefaultDatabase = "orders"

// Redact returns uri fit for logs and errors: the password and the values
// of query options that carry secrets (passwords, tokens, keys) are
// replaced by REDACTED. It never fails; text it cannot make sense of is
// redacted as a whole.
func Redact(uri string) string {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return redacted
	}
	// The user info ends at the last '@'. A stray '@' in the query makes
	// this redact too much, never too little.
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		user, _, hasPassword := strings.Cut(rest[:at], ":")
		if hasPassword {
			rest = user + ":" + redacted + rest[at:]
		}
	}
	base, query, hasQuery := strings.Cut(rest, "?")
	if !hasQuery {
		return scheme + "://" + base
	}
	params := strings.Split(query, "&")
	for i, p := range params {
		key, _, hasValue := strings.Cut(p, "=")
		if hasValue && secretOption(key) {
			params[i] = key + "=" + redacted
		}
	}
	return scheme + "://" + base + "?" + strings.Join(params, "&")
}

// secretOption reports whether a URI option's value is a secret:
// password, tlsCertificateKeyFilePassword, authMechanismProperties (which
// can hold AWS_SESSION_TOKEN), and anything naming a password, secret or
// token.
func secretOption(key string) bool {
	k := strings.ToLower(key)
	if u, err := url.QueryUnescape(k); err == nil {
		k = u
	}
	if k == "authmechanismproperties" {
		return true
	}
	for _, s := range []string{"password", "secret", "token"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// DatabaseName returns the database named in the path of uri, or
// DefaultDatabase when there is none.
func DatabaseName(uri string) string {
	_, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return DefaultDatabase
	}
	rest, _, _ = strings.Cut(rest, "?")
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	_, path, ok := strings.Cut(rest, "/")
	if !ok || path == "" {
		return DefaultDatabase
	}
	if name, err := url.PathUnescape(path); err == nil {
		return name
	}
	return path
}

// Scrub removes from msg every secret of uri that Redact hides, in raw and
// unescaped form, for error messages that quote the URI or parts of it. A
// parser's complaint about the user info of a URI with a password is
// replaced whole by what to do about it (it may quote the user info).
func Scrub(msg, uri string) string {
	if hasPassword(uri) && (strings.Contains(msg, "password") || strings.Contains(msg, "user info") || strings.Contains(msg, "username")) {
		return "the user name or password is not percent-encoded (escape : / @ % as %3A %2F %40 %25)"
	}
	var secrets []string
	_, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return strings.ReplaceAll(msg, uri, redacted)
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		if _, pw, has := strings.Cut(rest[:at], ":"); has && pw != "" {
			secrets = append(secrets, pw)
		}
	}
	if _, query, has := strings.Cut(rest, "?"); has {
		for _, p := range strings.Split(query, "&") {
			if key, v, has := strings.Cut(p, "="); has && v != "" && secretOption(key) {
				secrets = append(secrets, v)
			}
		}
	}
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, redacted)
		if u, err := url.QueryUnescape(s); err == nil && u != "" {
			msg = strings.ReplaceAll(msg, u, redacted)
		}
		if u, err := url.PathUnescape(s); err == nil && u != "" {
			msg = strings.ReplaceAll(msg, u, redacted)
		}
	}
	return msg
}

// hasPassword reports whether uri's user info holds a password.
func hasPassword(uri string) bool {
	_, rest, _ := strings.Cut(uri, "://")
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return false
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	return ok && pw != ""
}
