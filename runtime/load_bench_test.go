package runtime

import (
	"testing"

	"github.com/edgewatt/edgewatt/runtime/modelfile"
)

// BenchmarkLoad is runtime.Load of the peers' network (Embedding 10000x16, Dense 24, Dense 1)
// from a file in the page cache: open, read (or map), verify the sha256, build the model.
// go test -run '^$' -bench Load -benchmem ./runtime (figures in BENCH.md).
func BenchmarkLoad(b *testing.B) {
	for _, c := range []struct{ name, emb, dense string }{
		{"f32", modelfile.SchemeF32, modelfile.SchemeF32},
		{"int8", modelfile.SchemeInt8Row, modelfile.SchemeInt8Chan},
	} {
		b.Run(c.name, func(b *testing.B) {
			f, _ := buildModel(b, peerSpec(c.emb, c.dense), 1)
			path := writeModel(b, f)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				m, err := Load(path)
				if err != nil {
					b.Fatal(err)
				}
				m.Close()
			}
		})
	}
}
