package order

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// IDLen is the length of an id: 24 lower-case hex digits, the text form of a
// MongoDB ObjectID, so ids sort by creation time in every store.
const IDLen = 24

// NewID returns a new id: 4 bytes of Unix seconds then 8 random bytes.
func NewID(now time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(now.Unix()))
	_, _ = rand.Read(b[4:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// ValidID reports whether s has the form of an id.
func ValidID(s string) bool {
	if len(s) != IDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// IDTime returns the second an id was made in (its first 4 bytes); ok is
// false for a string that is not an id.
func IDTime(id string) (t time.Time, ok bool) {
	if !ValidID(id) {
		return time.Time{}, false
	}
	b, err := hex.DecodeString(id[:8])
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(binary.BigEndian.Uint32(b)), 0).UTC(), true
}
