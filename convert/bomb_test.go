package convert

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// deflateZeros returns a raw deflate stream that inflates to n zero bytes (n a multiple of
// 1 MiB, at least 2 MiB), about 1 KiB per MiB: one 1 MiB block is compressed, then repeated
// (each ends byte-aligned on a sync flush and refers only to earlier zeros), then a final
// empty block.
func deflateZeros(n int64) []byte {
	const seg = 1 << 20
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	zero := make([]byte, seg)
	w.Write(zero)
	w.Flush()
	first := len(buf.Bytes())
	w.Write(zero)
	w.Flush()
	rep := append([]byte(nil), buf.Bytes()[first:]...)
	for i := int64(2); i < n/seg; i++ {
		buf.Write(rep)
	}
	buf.Write([]byte{0x03, 0x00}) // final fixed-Huffman block holding only end-of-block
	return buf.Bytes()
}

// zlibZeros wraps deflateZeros in a zlib stream with its (correct) Adler-32.
func zlibZeros(n int64) []byte {
	out := []byte{0x78, 0xda}
	out = append(out, deflateZeros(n)...)
	return binary.BigEndian.AppendUint32(out, uint32(n%65521)<<16|1)
}

func TestDeflateZerosGenerator(t *testing.T) {
	const n = 8 << 20
	r, err := zlib.NewReader(bytes.NewReader(zlibZeros(n)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || len(got) != n || bytes.Count(got, []byte{0}) != n {
		t.Fatalf("generator: %d bytes, %v", len(got), err)
	}
}

// h5Bomb returns tiny_gz.h5 with its embedding chunk (20x4 float32 = 320 bytes) replaced by
// a zlib stream inflating to inflated bytes, appended at the end of the file: the v1 B-tree
// entry of the chunk gets the new size and address, and the superblock the new end of file.
func h5Bomb(t testing.TB, inflated int64) []byte { return h5WithChunk(t, zlibZeros(inflated)) }

// h5WithChunk returns tiny_gz.h5 with its embedding chunk replaced by the zlib stream bomb.
func h5WithChunk(t testing.TB, bomb []byte) []byte {
	b, err := os.ReadFile(td("tiny_gz.h5"))
	if err != nil {
		t.Fatal(err)
	}
	b = append([]byte(nil), b...)
	for off := 0; ; off += 4 {
		k := bytes.Index(b[off:], []byte("TREE"))
		if k < 0 {
			t.Fatal("tiny_gz.h5: no chunk B-tree holds a 320-byte chunk; regenerate it with gen_gzip_fixture.py")
		}
		off += k
		// TREE, type 1 (chunks), level 0, 1 entry, 2 sibling addresses; key: size, filter
		// mask, 3 offsets (rank 2 + element); then the child address.
		if b[off+4] != 1 || b[off+5] != 0 {
			continue
		}
		key := off + 24
		size := binary.LittleEndian.Uint32(b[key:])
		addrAt := key + 8 + 3*8
		addr := binary.LittleEndian.Uint64(b[addrAt:])
		r, err := zlib.NewReader(bytes.NewReader(b[addr : addr+uint64(size)]))
		if err != nil {
			continue
		}
		if data, _ := io.ReadAll(r); len(data) != 320 {
			continue
		}
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		binary.LittleEndian.PutUint32(b[key:], uint32(len(bomb)))
		binary.LittleEndian.PutUint64(b[addrAt:], uint64(len(b)))
		b = append(b, bomb...)
		binary.LittleEndian.PutUint64(b[40:], uint64(len(b))) // superblock v0: end-of-file address
		return b
	}
}

// kerasBomb returns tiny.keras with model.weights.h5 replaced by a deflate member that
// inflates to inflated bytes; its header declares declared bytes.
func kerasBomb(t testing.TB, inflated int64, declared uint64) []byte {
	zr, err := zip.OpenReader(td("tiny.keras"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name == "model.weights.h5" {
			raw := deflateZeros(inflated)
			// CRC left 0: the reader must refuse the member long before it could check it.
			w, err := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Deflate,
				CompressedSize64: uint64(len(raw)), UncompressedSize64: declared})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(raw)
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		rc, _ := f.Open()
		io.Copy(w, rc)
		rc.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// allocDuring returns the bytes allocated while fn runs.
func allocDuring(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func TestGzipChunkedH5ReadsLikeContiguous(t *testing.T) {
	gz, err := ReadH5(td("tiny_gz.h5"))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := ReadH5(td("tiny_k24.h5"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range plain.Layers {
		for j, w := range plain.Layers[i].Weights {
			g := gz.Layers[i].Weights[j]
			if len(g.Data) != len(w.Data) {
				t.Fatalf("%s: %d values, want %d", w.Name, len(g.Data), len(w.Data))
			}
			for k := range w.Data {
				if g.Data[k] != w.Data[k] {
					t.Fatalf("%s[%d] = %v, want %v", w.Name, k, g.Data[k], w.Data[k])
				}
			}
		}
	}
}

// The bomb: a ~1 MB .h5 whose 320-byte embedding chunk inflates to 1 GiB. It must be
// refused, naming the cause, after inflating at most one chunk's worth (not 1 GiB).
func TestH5GzipBombRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bomb.h5")
	if err := os.WriteFile(p, h5Bomb(t, 1<<30), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	alloc := allocDuring(func() { _, err = ReadModel(p) })
	if err == nil || !strings.Contains(err.Error(), "inflates to more than the 320 bytes") {
		t.Fatalf("bomb: got %v, want a refusal naming the chunk's 320 bytes", err)
	}
	// The file itself is ~1 MB and is read once; anything near 1 GiB means the chunk was inflated.
	if alloc > 64<<20 {
		t.Fatalf("refusing the bomb allocated %d MiB", alloc>>20)
	}
	t.Logf("refused after allocating %.1f MiB: %v", float64(alloc)/(1<<20), err)
}

// A chunk that inflates to fewer bytes than its layout declares used to be read as zeros.
func TestH5ShortChunkRefused(t *testing.T) {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(make([]byte, 100))
	w.Close()
	p := filepath.Join(t.TempDir(), "short.h5")
	os.WriteFile(p, h5WithChunk(t, z.Bytes()), 0o600)
	_, err := ReadModel(p)
	if err == nil || !strings.Contains(err.Error(), "decodes to 100 bytes, its layout declares 320") {
		t.Fatalf("got %v, want a chunk size mismatch", err)
	}
}

func TestKerasZipBombRefused(t *testing.T) {
	for _, c := range []struct {
		name     string
		declared uint64
		want     string
	}{
		{"honest header, 1.5 GB", 1536 << 20, "more than the"},
		{"lying header, 4 KiB", 4096, "inflates past the 4096 bytes its header declares"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "bomb.keras")
			if err := os.WriteFile(p, kerasBomb(t, 1536<<20, c.declared), 0o600); err != nil {
				t.Fatal(err)
			}
			tmpBefore, _ := filepath.Glob(filepath.Join(os.TempDir(), "edgewatt-*"))
			var err error
			alloc := allocDuring(func() { _, err = ReadModel(p) })
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if alloc > 64<<20 {
				t.Fatalf("refusing the bomb allocated %d MiB", alloc>>20)
			}
			tmpAfter, _ := filepath.Glob(filepath.Join(os.TempDir(), "edgewatt-*"))
			if len(tmpAfter) > len(tmpBefore) {
				t.Fatalf("temporary files left behind: %v", tmpAfter)
			}
			t.Logf("refused after allocating %.1f MiB: %v", float64(alloc)/(1<<20), err)
		})
	}
}

// BenchmarkH5GzipBomb measures the cost of refusing the 1 GiB bomb (time and memory per
// refusal: go test -bench GzipBomb -benchmem ./convert).
func BenchmarkH5GzipBomb(b *testing.B) {
	p := filepath.Join(b.TempDir(), "bomb.h5")
	os.WriteFile(p, h5Bomb(b, 1<<30), 0o600)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ReadModel(p); err == nil {
			b.Fatal("accepted")
		}
	}
}

// pickle0Dict is pickle.dumps({'word_index': {'a': 1}, 'num_words': 3}, protocol=0).
const pickle0Dict = "(dp0\nVword_index\np1\n(dp2\nVa\np3\nI1\nssVnum_words\np4\nI3\ns."

// Issue 11, item 8: protocol 0/1 pickles that do not start with the Tokenizer's GLOBAL went
// to the vocab parser ("vocab line 1 is \"(dp0\""); they reach the pickle reader, whose
// message says what the pickle holds.
func TestOldPicklesReachThePickleReader(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"p0dict.pickle": pickle0Dict,
		"p1dict.pickle": "}q\x00(X\n\x00\x00\x00word_indexq\x01}q\x02X\x01\x00\x00\x00aq\x03K\x01sX\t\x00\x00\x00num_wordsq\x04K\x03u.",
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(data), 0o600)
		_, _, err := ReadTokenizerFile(p, "")
		if err == nil || !strings.Contains(err.Error(), "the pickle holds a dict") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !looksLikeOldPickle(mustRead(t, td("tok_p0.pickle"))) {
		t.Error("tok_p0.pickle not recognised")
	}
	for _, vocab := range []string{"<PAD> 0\nhello 1\n", "(a 1\n", "cat 1\ndog 2\nend."} {
		if looksLikeOldPickle([]byte(vocab)) {
			t.Errorf("vocab %q taken for a pickle", vocab)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The zip appended to a .tflite (associated files) is bounded like a .keras member.
func TestTFLiteZipBombRefused(t *testing.T) {
	for _, declared := range []uint64{4096, 1536 << 20} {
		var err error
		alloc := allocDuring(func() { _, err = tfliteZip(kerasBomb(t, 64<<20, declared)) })
		if err == nil {
			t.Fatalf("declared %d: accepted", declared)
		}
		if alloc > 16<<20 {
			t.Errorf("declared %d: refusing allocated %d MiB", declared, alloc>>20)
		}
	}
}
