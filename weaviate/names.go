package weaviate

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/google/uuid"
)

// namespace is reef's UUIDv5 namespace for object ids.
var namespace = uuid.MustParse("6f0d5c2e-8a4b-5e1f-9c3d-72a1b4e6f809")

// ObjectUUID is the UUID of reef object id in a collection: a name-based
// (version 5) UUID, so every reef node and every retry derives the same
// one and a write is an upsert.
func ObjectUUID(collection, id string) string {
	return uuid.NewSHA1(namespace, []byte(collection+"\x00"+id)).String()
}

// CollectionName is the collection of one level ("point" or "object") of
// a reef dataset. Weaviate class names allow only letters, digits and _,
// start upper-case and compare case-insensitively in places, so the name
// keeps a readable part and a hash of the exact dataset name and level.
func CollectionName(dataset, level string) string {
	var b strings.Builder
	b.WriteString("Reef_")
	for _, r := range dataset {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 5+48 {
			break
		}
	}
	sum := sha256.Sum256([]byte(dataset + "\x00" + level))
	b.WriteString("_" + level + "_" + hex.EncodeToString(sum[:5]))
	return b.String()
}
