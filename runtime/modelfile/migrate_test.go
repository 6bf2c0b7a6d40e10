package modelfile

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"strconv"
	"testing"
)

var migrateV1 = flag.String("migrate-v1", "", "rewrite this version-1 model file as version 2 (same tensors and metadata, new hashes), then exit")

// TestMigrateV1 is the one-off tool that moved checked-in version-1 files to version 2
// without retraining (runtime/testdata/smarthome-int8.safetensors):
//
//	go test ./runtime/modelfile -run TestMigrateV1 -migrate-v1 $PWD/runtime/testdata/smarthome-int8.safetensors
//
// It checks the version-1 data sha256 (of the data section) before rewriting.
func TestMigrateV1(t *testing.T) {
	if *migrateV1 == "" {
		t.Skip("SKIP: a tool, run with -migrate-v1 FILE")
	}
	data, err := os.ReadFile(*migrateV1)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(data[:8])
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &raw); err != nil {
		t.Fatal(err)
	}
	var md map[string]string
	json.Unmarshal(raw["__metadata__"], &md)
	delete(raw, "__metadata__")
	if md["format_version"] != "1" {
		t.Fatalf("format_version %q", md["format_version"])
	}
	body := data[8+n:]
	if got := sha256Hex(body); got != md["data_sha256"] {
		t.Fatalf("version-1 data sha256 %s, header %s: corrupt", got, md["data_sha256"])
	}
	f := &File{}
	for name, r := range raw {
		var th tensorHeader
		if err := json.Unmarshal(r, &th); err != nil {
			t.Fatal(err)
		}
		f.Tensors = append(f.Tensors, Tensor{Name: name, DType: th.DType, Shape: th.Shape, Data: body[th.DataOffsets[0]:th.DataOffsets[1]]})
	}
	md["format_version"] = strconv.Itoa(Version)
	md["data_sha256"] = TensorsSHA256(f.Tensors)
	md["sha256"] = MetadataSHA256(md)
	if err := f.Meta.decode(md); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(*migrateV1, f); err != nil {
		t.Fatal(err)
	}
	t.Logf("rewrote %s as version %d", *migrateV1, Version)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
