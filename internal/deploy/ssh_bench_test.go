package deploy

import (
	"context"
	"testing"
)

// BenchmarkSSHCommand measures one remote command over the test sshd, on a fresh connection
// each time and multiplexed over one (what a deployment does: about ten commands a host).
func BenchmarkSSHCommand(b *testing.B) {
	s := startSSHDB(b)
	ctx := context.Background()
	hosts := []Host{{Dest: "pi-a", Prefix: "/tmp"}}
	b.Run("fresh", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.ssh().Run(ctx, "pi-a", "true", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("multiplexed", func(b *testing.B) {
		m, done := s.ssh().multiplex(ctx, hosts)
		defer done()
		if len(m.Args) == len(s.ssh().Args) {
			b.Fatal("not multiplexed")
		}
		for i := 0; i < b.N; i++ {
			if _, err := m.Run(ctx, "pi-a", "true", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
